/**
 * The cheapest way to change a big repository: bump-consumer asks GitHub how big the consumer is while it starts
 * a shallow clone; above SPARSE_CLONE_ABOVE_KB it clones blobless and checks out only the files its
 * configuration names, and says so in the log. The update it pushes is the same as a whole clone's.
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
import { SPARSE_CLONE_ABOVE_KB } from '../../src/update/clone-choice.js';
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
  // Incompressible history above the limit, in a file the bump never reads.
  const blob = randomBytes((SPARSE_CLONE_ABOVE_KB + 2048) * 1024).toString('base64');
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
  it('clones blobless with only the configured files, logs why, and pushes the same update as a whole clone', async () => {
    const small = await bump(SMALL);
    expect(small.report?.outcome, small.log).toBe('created');
    expect(small.log).toMatch(
      /cloned acme\/consumer-small \(main\) shallow: it reports \d+ KiB, within 10 MiB/,
    );

    const big = await bump(BIG);
    expect(big.report?.outcome, big.log).toBe('created');
    expect(big.log).toMatch(
      /cloning acme\/consumer-big \(main\) sparse: it reports 1\d\.\d MiB, above 10 MiB/,
    );
    expect(big.report?.diff).toBe(small.report?.diff);
    const diff = await updateDiff(BIG);
    expect(diff).toContain('resources/config.edn');
    expect(diff).toBe(await updateDiff(SMALL));
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
});
