/**
 * A flow that meets what `config check` reports stops with exit 2 naming the setting, before it builds or writes
 * (a dry run included); a `--branch` that does not exist, or that the flow would not use, is refused the same way.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import { GitRepository } from '../../src/git/git-repository.js';
import { IMAGES_REPO, type Sandbox, SERVICE_REPO, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { githubWrites, runSandboxFlow } from '../flows/flow-harness.js';

let sandbox: Sandbox;
let scratch: string;

beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  scratch = await mkdtemp(join(tmpdir(), 'repository-in-flows-'));
  // A person's branch whose hephestus.yml names a template that is not there.
  const dir = join(scratch, 'clone');
  const git = await GitRepository.clone({
    url: sandbox.cloneUrl(IMAGES_REPO),
    token: sandbox.tokens.github,
    dir,
    branch: 'main',
    author: { name: 'Dana Operator', email: 'dana@example.com' },
  });
  const config = join(dir, 'hephestus.yml');
  await writeFile(
    config,
    (await readFile(config, 'utf8')).replace(
      'template: packer/windows.pkr.hcl',
      'template: packer/windows-2022.pkr.hcl',
    ),
  );
  await git.commitAll('Rename the template in hephestus.yml only');
  expect((await git.push('dana/missing-template', undefined)).status).toBe('pushed');
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('a configuration naming a template that does not exist', () => {
  it.each([false, true])(
    'build-validate (dry run: %s) exits 2 naming the setting and its line, and builds nothing',
    async (dryRun) => {
      const writes = githubWrites(sandbox).length;
      const run = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
        repo: IMAGES_REPO,
        branch: 'dana/missing-template',
        dryRun,
      });
      expect(run.exitCode, run.log).toBe(2);
      expect(run.error?.describe()).toBe(
        'hephestus.yml:16:15: images[0].template: template packer/windows-2022.pkr.hcl does not exist; did you mean packer/windows.pkr.hcl?',
      );
      expect(run.report).toBeUndefined();
      expect(sandbox.ec2.count('RunInstances')).toBe(0);
      expect(githubWrites(sandbox).length).toBe(writes);
    },
  );
});

describe('--branch', () => {
  it('that does not exist: exit 2 naming --branch, with the branch it probably meant', async () => {
    const run = await runSandboxFlow(sandbox, 'build-validate', { repo: IMAGES_REPO, branch: 'mian' });
    expect(run.exitCode, run.log).toBe(2);
    expect(run.error?.describe()).toBe('--branch: no branch mian in acme/windows-images; did you mean main?');
  });

  it('from CIRCLE_BRANCH that does not exist: the same, naming CIRCLE_BRANCH', async () => {
    const run = await runSandboxFlow(sandbox, 'check-lock', { repo: IMAGES_REPO }, { CIRCLE_BRANCH: 'mian' });
    expect(run.exitCode, run.log).toBe(2);
    expect(run.error?.describe()).toMatch(/^CIRCLE_BRANCH: no branch mian in acme\/windows-images/);
  });

  it.each([
    ['open-update', IMAGES_REPO, {}],
    ['bump-consumer', SERVICE_REPO, { images: '{"win2022":{"us-east-1":"ami-0123456789abcdef0"}}' }],
  ] as const)(
    '%s, which works from the default branch, refuses another one instead of ignoring it',
    async (flow, repo, extra) => {
      const writes = githubWrites(sandbox).length;
      const run = await runSandboxFlow(sandbox, flow, { repo, branch: 'mian', ...extra });
      expect(run.exitCode, run.log).toBe(2);
      expect(run.error?.describe()).toBe(
        '--branch: --branch mian: this flow works from the default branch main (git.default_branch); pass --branch main or leave --branch out',
      );
      expect(githubWrites(sandbox).length).toBe(writes);
    },
  );

  it('naming the default branch is accepted by those flows', async () => {
    const run = await runSandboxFlow(sandbox, 'open-update', {
      repo: IMAGES_REPO,
      branch: 'main',
      dryRun: true,
    });
    expect(run.exitCode, run.log).toBe(0);
  });
});
