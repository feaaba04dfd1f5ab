/**
 * The cheapest way to change a big repository: bump-consumer clones the tip without any file above
 * LARGE_FILE_BYTES; when the server left some out it checks out only the files its configuration names, and says
 * so in the log. The update it pushes is the same as a whole clone's.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BumpConsumerReport } from '../../src/flows/bump-consumer.js';
import { GitRepository } from '../../src/git/git-repository.js';
import { commitFileOnBranch, git } from '../../src/sandbox/github/bare-repo.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { LARGE_FILE_BYTES } from '../../src/update/clone-choice.js';
import { runSandboxFlow, validatedAmis } from './flow-harness.js';

const SMALL = 'acme/consumer-small';
const BIG = 'acme/consumer-big';
const BRANCH = 'windows-update/win2022';
const person = { name: 'Ada Person', email: 'ada@example.invalid' };
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox();
  await sandbox.github.seedRepo(SMALL, seedDirs.serviceRepo);
  await sandbox.github.seedRepo(BIG, seedDirs.serviceRepo);
  // An incompressible file above the limit, which the bump never reads.
  const blob = randomBytes(2 * LARGE_FILE_BYTES).toString('base64');
  await commitFileOnBranch(
    sandbox.github.repo(BIG).dir,
    'main',
    'assets/video.b64',
    blob,
    'Add a video',
    person,
  );
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
});

async function bump(repo: string) {
  const images = validatedAmis(sandbox, { win2022: { 'us-east-1': 'ami-0fedcba9876543211' } });
  return runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', { repo, images });
}

/** What the update branch changes against main: `git diff --raw` (modes and blob ids, per path). */
function updateDiff(repo: string): Promise<string> {
  return git(sandbox.github.repo(repo).dir, ['diff', '--raw', '--abbrev=40', 'main', BRANCH]);
}

/** Every file in a working tree, relative to it, .git left out. */
async function workingFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .filter((path) => !path.startsWith('.git'))
    .sort();
}

describe('bump-consumer on a big repository', () => {
  it('leaves the big file on the server, checks out the configured files, logs why, and pushes the same update as a whole clone', async () => {
    const small = await bump(SMALL);
    expect(small.report?.outcome, small.log).toBe('created');
    expect(small.log).toContain(
      'cloned acme/consumer-small (main) whole: no file of its tip is above 1 MiB, so all are checked out',
    );

    const big = await bump(BIG);
    expect(big.report?.outcome, big.log).toBe('created');
    expect(big.log).toContain(
      'cloned acme/consumer-big (main) sparse: 1 file of its tip above 1 MiB left on the server',
    );
    expect(big.report?.diff).toBe(small.report?.diff);
    const diff = await updateDiff(BIG);
    expect(diff).toContain('resources/config.edn');
    expect(diff).toBe(await updateDiff(SMALL));
  });

  it('updates its pull request from the sparse clone with the git requests of a whole one', async () => {
    // Each repository's pull request is there (made now, or by the test before); a newer AMI updates it, and
    // git's requests for that are counted.
    const gitRoutes = async (repo: string) => {
      const opened = await bump(repo);
      expect(['created', 'updated', 'unchanged'], opened.log).toContain(opened.report?.outcome);
      const before = sandbox.github.router.calls.length;
      const images = validatedAmis(sandbox, { win2022: { 'us-east-1': 'ami-0fedcba9876543299' } });
      const run = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', { repo, images });
      expect(run.report?.outcome, run.log).toBe('updated');
      return sandbox.github.router.calls
        .slice(before)
        .filter((call) => call.path.includes('.git/'))
        .map((call) => `${call.method} ${call.route}`);
    };
    const small = await gitRoutes(SMALL);
    // The push asks nothing about the remote head it replaces: a partial clone would fetch it lazily, twice.
    expect(await gitRoutes(BIG)).toEqual(small);
    expect(small.filter((route) => route.includes('upload-pack'))).toHaveLength(2);
  });

  it('checks out only the files asked for, fetching their contents alone', async () => {
    const url = `${sandbox.env.GITHUB_SERVER_URL}/${BIG}.git`;
    const dir = join(await sandbox.github.repo(BIG).dir, '..', 'sparse-clone');
    const clone = await GitRepository.clone({
      url,
      token: sandbox.env.GITHUB_TOKEN as string,
      dir,
      branch: 'main',
      author: person,
      history: 'tip',
      sparse: ['hephestus.yml'],
    });
    expect(await workingFiles(dir)).toEqual(['hephestus.yml']);
    await clone.sparseCheckout(['hephestus.yml', 'resources/config.edn', 'chart']);
    expect(await workingFiles(dir)).toEqual([
      'chart/Chart.yaml',
      'chart/templates/configmap.yaml',
      'chart/values.yaml',
      'hephestus.yml',
      'resources/config.edn',
    ]);
    // The video's contents never came: the clone holds a few KB, not the 16 MB of its history.
    const objects = await git(join(dir, '.git'), ['count-objects', '-v']);
    expect(Number(/size-pack: (\d+)/.exec(objects)?.[1])).toBeLessThan(100);
  });

  it('with a size limit fetches the small files and counts the big ones without fetching them', async () => {
    const clone = (repo: string, dir: string) =>
      GitRepository.clone({
        url: `${sandbox.env.GITHUB_SERVER_URL}/${repo}.git`,
        token: sandbox.env.GITHUB_TOKEN as string,
        dir: join(sandbox.github.repo(repo).dir, '..', dir),
        branch: 'main',
        author: person,
        history: 'tip',
        blobLimitBytes: LARGE_FILE_BYTES,
        sparse: ['hephestus.yml'],
      });
    const small = await clone(SMALL, 'limited-small');
    expect(small.filesLeftOnServer).toBe(0);
    expect(small.isSparse).toBe(false);
    const everything = (await git(sandbox.github.repo(SMALL).dir, ['ls-tree', '-r', '--name-only', 'main']))
      .trim()
      .split('\n')
      .sort();
    expect(await workingFiles(small.dir)).toEqual(everything);

    const big = await clone(BIG, 'limited-big');
    expect(big.filesLeftOnServer).toBe(1);
    expect(big.isSparse).toBe(true);
    expect(await workingFiles(big.dir)).toEqual(['hephestus.yml']);
    // Counting the omitted file fetched nothing: the pack holds kilobytes, not the video's 2.7 MB.
    const objects = await git(join(big.dir, '.git'), ['count-objects', '-v']);
    expect(Number(/size-pack: (\d+)/.exec(objects)?.[1])).toBeLessThan(100);
  });
});
