/**
 * Git objects of the sandbox's bare repositories for GitHub's git data and contents endpoints: blobs written
 * and read as bytes, trees built on a base tree with a throwaway index, tree listings.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
 * Each step is one git process for all entries (a bump is served in a handful of processes, not dozens).
 */
export async function writeTree(
  gitDir: string,
  base: string | undefined,
  entries: NewTreeEntry[],
): Promise<string> {
  const indexDir = await mkdtemp(join(tmpdir(), 'sandbox-tree-'));
  const env = { GIT_INDEX_FILE: join(indexDir, 'index') };
  try {
    const paths = entries.map((entry) => cleanPath(entry.path));
    await git(gitDir, base ? ['read-tree', base] : ['read-tree', '--empty'], { env });
    const blobs = await writeContents(
      gitDir,
      indexDir,
      entries.map((entry) => entry.content),
    );
    const shas = entries.map((entry, i) => blobs[i] ?? entry.sha ?? undefined);
    const given = shas.filter((sha, i): sha is string => sha !== undefined && blobs[i] === undefined);
    const types = await objectTypes(gitDir, given);
    // Whatever lies at or under a path goes first (`--index-info` removes with mode 0), then the new entries.
    const existing = (await git(gitDir, ['ls-files', '-z', '--', ...paths], { env }))
      .split('\0')
      .filter(Boolean);
    const lines = existing.map((path) => `0 ${ZERO}\t${path}\0`);
    const prefixed: Array<{ path: string; sha: string }> = [];
    for (const [i, entry] of entries.entries()) {
      const sha = shas[i];
      const path = paths[i] as string;
      if (sha === undefined) continue;
      const type = blobs[i] !== undefined ? 'blob' : types.get(sha);
      if (entry.mode === '040000') {
        if (type !== 'tree') throw new TreeInputError(`tree.sha ${sha} is not a valid tree`);
        prefixed.push({ path, sha });
      } else if (['100644', '100755', '120000'].includes(entry.mode)) {
        if (type !== 'blob') throw new TreeInputError(`tree.sha ${sha} is not a valid blob`);
        lines.push(`${entry.mode} ${sha}\t${path}\0`);
      } else if (entry.mode === '160000') {
        lines.push(`${entry.mode} ${sha}\t${path}\0`);
      } else {
        throw new TreeInputError(`invalid tree mode ${JSON.stringify(entry.mode)}`);
      }
    }
    if (lines.length > 0) {
      await git(gitDir, ['update-index', '-z', '--index-info'], { env, input: lines.join('') });
    }
    for (const { path, sha } of prefixed) await git(gitDir, ['read-tree', `--prefix=${path}/`, sha], { env });
    return await git(gitDir, ['write-tree'], { env });
  } finally {
    await rm(indexDir, { recursive: true, force: true });
  }
}

const ZERO = '0'.repeat(40);

function cleanPath(given: string): string {
  const path = given.replace(/^\/+|\/+$/g, '');
  if (path === '' || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new TreeInputError(`invalid path ${JSON.stringify(given)}`);
  }
  return path;
}

/** Writes each given content as a blob with one `hash-object` for all; the sha per item (undefined where none). */
async function writeContents(
  gitDir: string,
  scratch: string,
  contents: Array<string | undefined>,
): Promise<Array<string | undefined>> {
  const files: string[] = [];
  for (const [i, content] of contents.entries()) {
    if (content === undefined) continue;
    const file = join(scratch, `blob-${i}`);
    await writeFile(file, content);
    files.push(file);
  }
  if (files.length === 0) return contents.map(() => undefined);
  const out = await git(gitDir, ['hash-object', '-w', '--no-filters', '--stdin-paths'], {
    input: `${files.join('\n')}\n`,
  });
  const shas = out.split('\n');
  let next = 0;
  return contents.map((content) => (content === undefined ? undefined : shas[next++]));
}

/** The type of each of `shas` (absent when the repository has no such object), with one `cat-file`. */
export async function objectTypes(gitDir: string, shas: string[]): Promise<Map<string, string>> {
  const valid = shas.filter((sha) => /^[0-9a-f]{40}$/.test(sha));
  if (valid.length === 0) return new Map();
  const out = await git(gitDir, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
    input: `${valid.join('\n')}\n`,
  });
  const types = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, type] = line.split(' ');
    if (sha && type && type !== 'missing') types.set(sha, type);
  }
  return types;
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
