/** Creates the sandbox's bare repositories from fixture folders, each with one initial commit. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commitTree, type GitIdentity, git, updateBranch } from './github/bare-repo.js';

/**
 * The fixture folders shipped with the sandbox: beside this module in src/, and in dist/seeds next to the
 * bundle's chunks directory once built.
 */
const seedRoot =
  [new URL('./seeds/', import.meta.url), new URL('../seeds/', import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((dir) => existsSync(join(dir, 'images-repo'))) ??
  fileURLToPath(new URL('./seeds/', import.meta.url));

export const seedDirs = {
  imagesRepo: join(seedRoot, 'images-repo'),
  serviceRepo: join(seedRoot, 'service-repo'),
} as const;

export interface SeedOptions {
  branch?: string;
  /** Fixed by default so a seed always yields the same commit sha. */
  author?: GitIdentity;
  message?: string;
}

const seedAuthor: GitIdentity = {
  name: 'Sandbox Seed',
  email: 'seed@sandbox.invalid',
  date: '2024-01-02T03:04:05Z',
};

/** Initialises a bare repository at `gitDir` whose `main` (or `branch`) holds the files of `fixtureDir`; returns the commit sha. */
export async function seedBareRepo(
  gitDir: string,
  fixtureDir: string,
  options: SeedOptions = {},
): Promise<string> {
  const branch = options.branch ?? 'main';
  await mkdir(gitDir, { recursive: true });
  await git(gitDir, ['init', '--quiet', '--bare', `--initial-branch=${branch}`, gitDir]);
  // http-backend serves receive-pack to authenticated users only; REMOTE_USER is set after the token check.
  await git(gitDir, ['config', 'http.receivepack', 'true']);
  const indexDir = await mkdtemp(join(tmpdir(), 'sandbox-seed-'));
  try {
    const env = { GIT_INDEX_FILE: join(indexDir, 'index'), GIT_WORK_TREE: fixtureDir };
    await git(gitDir, ['add', '--all', '--force', '.'], {
      env: { ...env, GIT_DIR: gitDir },
      cwd: fixtureDir,
    });
    const tree = await git(gitDir, ['write-tree'], { env });
    const commit = await commitTree(
      gitDir,
      tree,
      [],
      options.message ?? 'Initial commit',
      options.author ?? seedAuthor,
    );
    await updateBranch(gitDir, branch, commit, '');
    return commit;
  } finally {
    await rm(indexDir, { recursive: true, force: true });
  }
}
