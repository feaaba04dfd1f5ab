/**
 * On-demand image changes by pull request, against the in-process sandbox with real git and Packer 1.6.6:
 * a person's PR builds only the images whose inputs it touches, merging records them in the lock file
 * through Hephestus's own PR, a later scheduled run changes nothing, a `file`-builder image flows through as a
 * generic artifact, consumers read the lock file, and check-lock fails for a deregistered AMI.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeregisterImageCommand, DisableImageDeregistrationProtectionCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientsPerRegion } from '../../src/aws/ec2-client.js';
import { TAG } from '../../src/aws/image-tags.js';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import type { BumpConsumerReport } from '../../src/flows/bump-consumer.js';
import type { CheckLockReport } from '../../src/flows/check-lock.js';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import type { PromoteReport } from '../../src/flows/promote.js';
import { GitRepository } from '../../src/git/git-repository.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { type LockFile, parseLockFile, renderLockFile } from '../../src/lock/lock-file.js';
import { IMAGES_REPO, type Sandbox, SERVICE_REPO, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { githubWrites, runSandboxFlow } from './flow-harness.js';

const PERSON = { name: 'Dana Operator', email: 'dana@example.com' };
const [owner, imagesName] = IMAGES_REPO.split('/') as [string, string];
const serviceName = SERVICE_REPO.split('/')[1] as string;
const repo = { repo: IMAGES_REPO };

let sandbox: Sandbox;
let github: GitHubClient;
let scratch: string;

beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  github = new GitHubClient({ token: sandbox.tokens.github, baseUrl: sandbox.urls.github, pacing: false });
  scratch = await mkdtemp(join(tmpdir(), 'on-demand-'));
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** A person's change: a branch off `base` of `repoName` with `files` written, pushed over git HTTP. */
async function pushBranch(
  repoName: string,
  branch: string,
  files: Record<string, string | ((text: string) => string)>,
  base = 'main',
): Promise<string> {
  const dir = await mkdtemp(join(scratch, 'clone-'));
  const git = await GitRepository.clone({
    url: sandbox.cloneUrl(repoName),
    token: sandbox.tokens.github,
    dir,
    branch: base,
    author: PERSON,
  });
  for (const [file, content] of Object.entries(files)) {
    const path = join(dir, file);
    await mkdir(dirname(path), { recursive: true });
    const text =
      typeof content === 'string' ? content : content(await readFile(path, 'utf8').catch(() => ''));
    await writeFile(path, text);
  }
  await git.commitAll(`${branch}: ${Object.keys(files).join(', ')}`);
  const pushed = await git.push(branch, branch === base ? await git.revParse(`origin/${base}`) : undefined);
  expect(pushed.status).toBe('pushed');
  return (pushed as { sha: string }).sha;
}

async function openPullRequest(repoName: string, head: string): Promise<number> {
  const { data } = await github.octokit.rest.pulls.create({
    owner,
    repo: repoName,
    head,
    base: 'main',
    title: `Change from ${head}`,
  });
  return data.number;
}

async function merge(repoName: string, number: number): Promise<string> {
  return (await github.octokit.rest.pulls.merge({ owner, repo: repoName, pull_number: number })).data.sha;
}

async function lockOn(branch: string): Promise<LockFile> {
  const dir = await mkdtemp(join(scratch, 'lock-'));
  await GitRepository.clone({
    url: sandbox.cloneUrl(IMAGES_REPO),
    token: sandbox.tokens.github,
    dir,
    branch,
    author: PERSON,
    history: 'tip',
  });
  const text = await readFile(join(dir, 'images.lock.json'), 'utf8');
  // The file is written in its one canonical form: parsing and rendering it again gives the same bytes.
  expect(renderLockFile(parseLockFile(text, 'images.lock.json'))).toBe(text);
  return parseLockFile(text, 'images.lock.json');
}

async function comment(number: number): Promise<string> {
  const { data } = await github.octokit.rest.issues.listComments({
    owner,
    repo: imagesName,
    issue_number: number,
  });
  return data.find((c) => c.body?.includes('hephestus:comment build-validate'))?.body ?? '';
}

const NOTES_TEMPLATE = `# Release notes shipped beside the images: a file-builder output, not an AMI.
source "file" "notes" {
  content = "Windows images release notes\\n"
  target  = "notes-output.txt"
}

build {
  sources = ["source.file.notes"]
}
`;

const NOTES_IMAGE = `  - name: notes
    template: notes/notes.pkr.hcl
    build: file.notes
    inputs: [notes/**]
    regions: [us-east-1]
`;

/** Each Windows image gets a script of its own, and a file-builder image joins them. */
function splitConfig(text: string): string {
  let n = 0;
  const withScripts = text.replace(/scripts\/\*\*\/\*\.ps1/g, () =>
    n++ === 0 ? 'scripts/*.ps1, scripts/win2022/**' : 'scripts/*.ps1, scripts/win2019/**',
  );
  return withScripts.replace(/\nchannels:/, `${NOTES_IMAGE}\nchannels:`);
}

describe('on-demand changes by pull request on the sandbox', () => {
  let baseline: BuildValidateReport;
  let tuned: BuildValidateReport;
  let tunePr: number;

  it('a first PR builds every image; the file builder flows through as a generic artifact', async () => {
    // Pin the newest base AMIs, so the scheduled run later has nothing newer to propose.
    const dry = await runSandboxFlow<OpenUpdateReport>(sandbox, 'open-update', { ...repo, dryRun: true });
    const latest = Object.fromEntries((dry.report?.images ?? []).map((i) => [i.image, i.latest]));
    await pushBranch(IMAGES_REPO, 'dana/per-image-scripts', {
      'hephestus.yml': splitConfig,
      'packer/windows.auto.pkrvars.hcl': (text) =>
        text
          .replace(/win2022_source_ami = "[^"]+"/, `win2022_source_ami = "${latest.win2022}"`)
          .replace(/win2019_source_ami = "[^"]+"/, `win2019_source_ami = "${latest.win2019}"`),
      'scripts/win2022/iis.ps1': "Write-Output 'win2022 IIS settings'\n",
      'scripts/win2019/iis.ps1': "Write-Output 'win2019 IIS settings'\n",
      'notes/notes.pkr.hcl': NOTES_TEMPLATE,
    });
    const pr = await openPullRequest(imagesName, 'dana/per-image-scripts');
    const run = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
      ...repo,
      branch: 'dana/per-image-scripts',
    });
    expect(run.exitCode, run.log).toBe(0);
    baseline = run.report as BuildValidateReport;
    expect(baseline.images.map((i) => [i.image, i.action, i.status])).toEqual([
      ['win2022', 'built', 'validated'],
      ['win2019', 'built', 'validated'],
      ['notes', 'built', 'built'],
    ]);
    const notes = baseline.images[2];
    expect(notes?.artifacts).toEqual([{ builder_id: 'packer.file', id: 'notes-output.txt' }]);
    expect(notes?.note).toMatch(/not an AMI: tagging, validation and promotion skipped/);
    expect(baseline.packerVersion).toBe('Packer v1.6.6');
    const text = await comment(pr);
    expect(text).toContain(
      `| win2022 | validated | us-west-2 | \`${baseline.images[0]?.amis['us-west-2']}\` | 1/1 passed |`,
    );
    expect(text).toContain('| notes | built |  | packer.file `notes-output.txt` | skipped |');

    const sha = await merge(imagesName, pr);
    const promoted = await runSandboxFlow<PromoteReport>(sandbox, 'promote', { ...repo, sha });
    expect(promoted.exitCode, promoted.log).toBe(0);
    expect(promoted.report?.lock?.outcome).toBe('created');
    expect(promoted.report?.images.find((i) => i.image === 'notes')).toMatchObject({
      foundBy: 'pull-request',
      moves: [],
    });
    const lock = await lockOn('windows-update/lock');
    expect(Object.keys(lock.images)).toEqual(['notes', 'win2019', 'win2022']);
    for (const image of baseline.images.slice(0, 2)) {
      expect(lock.images[image.image]).toEqual({
        amis: image.amis,
        input_hash: image.inputHash,
        source_commit: baseline.sha,
        packer_version: 'Packer v1.6.6',
        validation: { run: baseline.run },
      });
    }
    expect(lock.images.notes).toMatchObject({
      amis: {},
      artifacts: [{ builder_id: 'packer.file', id: 'notes-output.txt' }],
      input_hash: notes?.inputHash,
    });
    const lockPr = promoted.report?.lock?.pullRequest?.number as number;
    const lockMerge = await merge(imagesName, lockPr);
    const afterLock = await runSandboxFlow<PromoteReport>(sandbox, 'promote', { ...repo, sha: lockMerge });
    expect(afterLock.report?.outcome, afterLock.log).toBe('skipped');
  });

  it("a PR changing one image's provisioning script builds only that image", async () => {
    await pushBranch(IMAGES_REPO, 'dana/tune-iis', {
      'scripts/win2022/iis.ps1': (text) =>
        `${text}Set-WebConfigurationProperty -Filter /system.webServer -Name x -Value 1\n`,
    });
    tunePr = await openPullRequest(imagesName, 'dana/tune-iis');
    const images = sandbox.ec2.state.images.size;
    const run = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
      ...repo,
      branch: 'dana/tune-iis',
    });
    expect(run.exitCode, run.log).toBe(0);
    tuned = run.report as BuildValidateReport;
    expect(tuned.images.map((i) => [i.image, i.action])).toEqual([
      ['win2022', 'built'],
      ['win2019', 'reused'],
      ['notes', 'reused'],
    ]);
    // One new AMI in each of the two regions, for win2022 only.
    expect(sandbox.ec2.state.images.size).toBe(images + 2);
    expect(tuned.images[1]?.amis).toEqual(baseline.images[1]?.amis);
    expect(tuned.images[0]?.amis['us-east-1']).not.toBe(baseline.images[0]?.amis['us-east-1']);
    for (const ami of Object.values(tuned.images[0]?.amis ?? {}))
      expect(sandbox.ec2.state.images.get(ami)?.tags[TAG.branch]).toBe('dana/tune-iis');
    const text = await comment(tunePr);
    expect(text).toContain('| win2019 | validated (reused) |');
    expect(text).toContain('passed earlier');
  });

  it('merging writes the new AMIs into the lock file through a PR, and a re-run writes nothing', async () => {
    const sha = await merge(imagesName, tunePr);
    const run = await runSandboxFlow<PromoteReport>(sandbox, 'promote', { ...repo, sha });
    expect(run.exitCode, run.log).toBe(0);
    expect(run.report?.lock?.outcome).toMatch(/created|updated/);
    const lock = await lockOn('windows-update/lock');
    const main = await lockOn('main');
    expect(lock.images.win2022).toMatchObject({
      amis: tuned.images[0]?.amis,
      input_hash: tuned.images[0]?.inputHash,
      source_commit: tuned.sha,
    });
    expect(lock.images.win2019).toEqual(main.images.win2019);
    expect(lock.images.notes).toEqual(main.images.notes);

    const writes = githubWrites(sandbox).length;
    const again = await runSandboxFlow<PromoteReport>(sandbox, 'promote', { ...repo, sha });
    expect(again.report?.lock?.outcome, again.log).toBe('unchanged');
    expect(githubWrites(sandbox).length).toBe(writes);
    await merge(imagesName, run.report?.lock?.pullRequest?.number as number);
  });

  it('a scheduled run with nothing newer and no changed input writes nothing', async () => {
    const writes = githubWrites(sandbox).length;
    const run = await runSandboxFlow<OpenUpdateReport>(sandbox, 'open-update', repo);
    expect(run.report?.outcome, run.log).toBe('nothing-newer');
    expect(githubWrites(sandbox).length).toBe(writes);
  });

  it('a consumer takes the image ids from the lock file', async () => {
    await pushBranch(SERVICE_REPO, 'main', {
      'hephestus.yml': (text) =>
        text.replace('bump:\n', 'bump:\n  source: lock\n  images_repository: acme/windows-images\n'),
    });
    const run = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', { repo: SERVICE_REPO });
    expect(run.exitCode, run.log).toBe(0);
    expect(run.report?.outcome).toBe('created');
    expect(run.report?.images.win2022).toEqual(tuned.images[0]?.amis);
    expect(run.report?.diff).toContain(`"windows-server-2022" "${tuned.images[0]?.amis['us-east-1']}"`);
    expect(serviceName).toBe('vm-manager');
  });

  it('check-lock passes for the recorded AMIs and fails, naming image and region, for a deregistered one', async () => {
    const ok = await runSandboxFlow<CheckLockReport>(sandbox, 'check-lock', repo);
    expect(ok.exitCode, ok.log).toBe(0);
    expect(ok.report?.checks.map((c) => [c.image, c.region, c.outcome])).toEqual([
      ['notes', undefined, 'skipped'],
      ['win2019', 'us-east-1', 'validated'],
      ['win2019', 'us-west-2', 'validated'],
      ['win2022', 'us-east-1', 'validated'],
      ['win2022', 'us-west-2', 'validated'],
    ]);
    const gone = baseline.images[1]?.amis['us-west-2'] as string;
    const { ec2 } = awsClientsPerRegion({ env: sandbox.env })('us-west-2');
    // The AMI holds a channel, so it is protected: someone deleting it by hand lifts the protection first.
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: gone }));
    await ec2.send(new DeregisterImageCommand({ ImageId: gone }));
    const bad = await runSandboxFlow<CheckLockReport>(sandbox, 'check-lock', repo);
    expect(bad.exitCode, bad.log).toBe(1);
    expect(bad.report?.outcome).toBe('failed');
    expect(bad.log).toContain(`win2019 in us-west-2 (${gone}: missing)`);
  });
});
