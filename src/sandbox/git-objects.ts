/**
 * Git objects of the sandbox's bare repositories for GitHub's git data and contents endpoints: blobs written
 * and read as bytes, trees built on a base tree with a throwaway index, tree listings.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, runGit } from './bare-repo.js';

export interface TreeEntry {
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  path: string;
  /** Bytes of a blob; undefined for trees and submodules. */
  size?: number;
}

/** One entry of a tree to create: `sha` (null removes the path) or `content` (a new UTF-8 blob). */
export interface NewTreeEntry {
  path: string;
  mode: string;
  type: string;
  sha?: string | null;
  content?: string;
}

/** Thrown for a tree request git cannot carry out (a missing object, a bad mode): GitHub answers 422. */
export class TreeInputError extends Error {}

/** The type of the object `sha` names, or undefined when the repository has none. */
export async function objectType(gitDir: string, sha: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{40}$/.test(sha)) return undefined;
  const result = await runGit(gitDir, ['cat-file', '-t', sha]);
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/** Writes `bytes` as a blob and returns its sha. */
export async function writeBlob(gitDir: string, bytes: Buffer): Promise<string> {
  return (await gitBytes(gitDir, ['hash-object', '-w', '--stdin'], bytes)).toString('utf8').trim();
}

/** The bytes of blob `sha`. */
export function readBlob(gitDir: string, sha: string): Promise<Buffer> {
  return gitBytes(gitDir, ['cat-file', 'blob', sha]);
}

/** The entries of `tree` (a tree-ish), with sizes; every level when `recursive` (trees listed too). */
export async function listTree(gitDir: string, tree: string, recursive = false): Promise<TreeEntry[]> {
  const out = await git(gitDir, ['ls-tree', '-l', '-z', ...(recursive ? ['-r', '-t'] : []), tree]);
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta = '', path = ''] = line.split('\t');
      const [mode = '', type = 'blob', sha = '', size = '-'] = meta.split(/\s+/);
      return {
        mode,
        type: type as TreeEntry['type'],
        sha,
        path,
        ...(size === '-' ? {} : { size: Number(size) }),
      };
    });
}

/** The entry at `path` in `commit`'s tree, or undefined when there is none. */
export async function entryAt(gitDir: string, commit: string, path: string): Promise<TreeEntry | undefined> {
  const clean = path.replace(/^\/+|\/+$/g, '');
  if (clean === '')
    return {
      mode: '040000',
      type: 'tree',
      sha: await git(gitDir, ['rev-parse', `${commit}^{tree}`]),
      path: '',
    };
  const name = clean.slice(clean.lastIndexOf('/') + 1);
  const siblings = await listTree(gitDir, `${commit}:${parentOf(clean)}`).catch(() => [] as TreeEntry[]);
  const found = siblings.find((e) => e.path === name);
  return found ? { ...found, path: clean } : undefined;
}

/**
 * Writes a tree: `base` (a tree sha, or none for an empty start) with `entries` applied in order, as
 * `POST /git/trees` does. A temporary index does the work: it handles nested paths and keeps entries sorted.
 */
export async function writeTree(
  gitDir: string,
  base: string | undefined,
  entries: NewTreeEntry[],
): Promise<string> {
  const indexDir = await mkdtemp(join(tmpdir(), 'sandbox-tree-'));
  const env = { GIT_INDEX_FILE: join(indexDir, 'index') };
  try {
    await git(gitDir, base ? ['read-tree', base] : ['read-tree', '--empty'], { env });
    for (const entry of entries) {
      const path = entry.path.replace(/^\/+|\/+$/g, '');
      if (path === '' || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
        throw new TreeInputError(`invalid path ${JSON.stringify(entry.path)}`);
      }
      await removePath(gitDir, path, env);
      if (entry.content === undefined && (entry.sha === null || entry.sha === undefined)) continue;
      const sha =
        entry.content !== undefined
          ? await writeBlob(gitDir, Buffer.from(entry.content, 'utf8'))
          : String(entry.sha);
      const type = await objectType(gitDir, sha);
      if (entry.mode === '040000') {
        if (type !== 'tree') throw new TreeInputError(`tree.sha ${sha} is not a valid tree`);
        await git(gitDir, ['read-tree', `--prefix=${path}/`, sha], { env });
      } else if (['100644', '100755', '120000'].includes(entry.mode)) {
        if (type !== 'blob') throw new TreeInputError(`tree.sha ${sha} is not a valid blob`);
        await git(gitDir, ['update-index', '--add', '--cacheinfo', `${entry.mode},${sha},${path}`], { env });
      } else if (entry.mode === '160000') {
        await git(gitDir, ['update-index', '--add', '--cacheinfo', `${entry.mode},${sha},${path}`], { env });
      } else {
        throw new TreeInputError(`invalid tree mode ${JSON.stringify(entry.mode)}`);
      }
    }
    return await git(gitDir, ['write-tree'], { env });
  } finally {
    await rm(indexDir, { recursive: true, force: true });
  }
}

/** Removes `path` (a file, or everything under a directory) from the temporary index. */
async function removePath(gitDir: string, path: string, env: Record<string, string>): Promise<void> {
  const listed = await git(gitDir, ['ls-files', '-z', '--', path], { env });
  const paths = listed.split('\0').filter(Boolean);
  // `--index-info` works without a work tree (`--force-remove` does not); mode 0 removes an entry.
  const zero = '0'.repeat(40);
  if (paths.length > 0) {
    await git(gitDir, ['update-index', '-z', '--index-info'], {
      env,
      input: paths.map((p) => `0 ${zero}\t${p}\0`).join(''),
    });
  }
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** Runs git in `gitDir` with binary input and output (blobs are bytes, not text). */
function gitBytes(gitDir: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          GIT_DIR: gitDir,
          GIT_CONFIG_NOSYSTEM: '1',
        },
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`git ${args.join(' ')} failed: ${stderr.toString('utf8').trim()}`));
        else resolve(stdout);
      },
    );
    // A git that fails early closes its stdin; the failure is reported through its exit code instead.
    child.stdin?.on('error', () => {});
    if (input !== undefined) child.stdin?.end(input);
  });
}
