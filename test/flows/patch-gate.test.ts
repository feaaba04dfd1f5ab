/**
 * The patch compliance gate in build-validate, against the in-process sandbox with real git and Packer 1.6.6:
 * images built from a base AMI that misses the month's cumulative update fail validation like a failed smoke
 * test (tagged `failed`, the PR comment lists the KB, Slack's failed notice names it, the report carries the
 * patch counts), while an image from a compliant base validates with its counts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import { GitRepository } from '../../src/git/git-repository.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runSandboxFlow } from './flow-harness.js';

const [owner, imagesName] = IMAGES_REPO.split('/') as [string, string];
const BRANCH = 'dana/october-scripts';

let sandbox: Sandbox;
let github: GitHubClient;
let scratch: string;

beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  github = new GitHubClient({ token: sandbox.tokens.github, baseUrl: sandbox.urls.github, pacing: false });
  scratch = await mkdtemp(join(tmpdir(), 'patch-gate-'));
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('build-validate with the patch compliance gate', () => {
  it('fails the image whose base misses a critical update and lists the KB; the other validates', async () => {
    // Every Windows Server 2022 base AMI misses the month's cumulative update; images built from one inherit it.
    for (const image of sandbox.ec2.state.images.values()) {
      if (image.name.startsWith('Windows_Server-2022')) {
        sandbox.ssm.state.patches.imageProfiles.set(image.imageId, 'missing-critical');
      }
    }
    const dir = await mkdtemp(join(scratch, 'clone-'));
    const git = await GitRepository.clone({
      url: sandbox.cloneUrl(IMAGES_REPO),
      token: sandbox.tokens.github,
      dir,
      branch: 'main',
      author: { name: 'Dana Operator', email: 'dana@example.com' },
    });
    await writeFile(join(dir, 'scripts', 'october.ps1'), "Write-Output 'October settings'\n");
    await git.commitAll('October settings');
    expect((await git.push(BRANCH, undefined)).status).toBe('pushed');
    const { data: pr } = await github.octokit.rest.pulls.create({
      owner,
      repo: imagesName,
      head: BRANCH,
      base: 'main',
      title: 'October settings',
    });

    const run = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
      repo: IMAGES_REPO,
      branch: BRANCH,
    });
    expect(run.exitCode, run.log).toBe(1);
    const report = run.report as BuildValidateReport;
    const byName = Object.fromEntries(report.images.map((i) => [i.image, i]));
    expect(byName.win2022).toMatchObject({
      status: 'failed',
      validation: {
        failedStep: 'patch-compliance',
        patches: { installed: 3, missing: 1, failed: 0 },
        missingPatches: [expect.objectContaining({ kbId: 'KB5044281', severity: 'Critical' })],
      },
    });
    expect(byName.win2022?.failure).toContain('critical patches not installed: 1 (allowed: 0)');
    expect(byName.win2019).toMatchObject({
      status: 'validated',
      validation: { patches: { installed: 4, missing: 0, failed: 0 } },
    });

    const ami = byName.win2022?.amis['us-east-1'] as string;
    expect(sandbox.ec2.state.images.get(ami)?.tags['hephestus:status']).toBe('failed');
    const { data: comments } = await github.octokit.rest.issues.listComments({
      owner,
      repo: imagesName,
      issue_number: pr.number,
    });
    const comment = comments.find((c) => c.body?.includes('hephestus:comment build-validate'))?.body ?? '';
    expect(comment).toContain('failed at patch-compliance');
    expect(comment).toContain('| KB5044281 | SecurityUpdates | Critical | MISSING |');
    const failed = sandbox.slack
      .messages('#execution-teams')
      .map((m) => JSON.stringify(m))
      .join('\n');
    expect(failed).toContain('KB5044281: 2026-10 Cumulative Update');
  });
});
