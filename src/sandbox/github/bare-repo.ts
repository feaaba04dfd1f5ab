/**
 * Git plumbing on the sandbox's bare repositories: read refs, compare, and merge the way GitHub's
 * merge button does, without a working tree where plumbing suffices.
 *
 * Plain `git` through execFile rather than simple-git: these are plumbing calls that need stdin,
 * exit codes (merge-tree reports conflicts with 1) and per-call environments (identities, index files).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitIdentity {
  name: string;
  email: string;
  /** A git date (`2024-01-01T00:00:00Z`); defaults to now. */
  date?: string;
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git in `gitDir` (a bare repository) and returns its exit code and output, never throwing on a non-zero exit. */
export function runGit(
  gitDir: string,
  args: string[],
  options: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        cwd: options.cwd ?? gitDir,
        // A worktree (cwd) finds its repository itself; everything else runs against the bare directory.
        env: { ...cleanEnv(), ...(options.cwd ? {} : { GIT_DIR: gitDir }), ...options.env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like {@link runGit}, but fails on a non-zero exit and returns trimmed stdout. */
export async function git(
  gitDir: string,
  args: string[],
  options: Parameters<typeof runGit>[2] = {},
): Promise<string> {
  const result = await runGit(gitDir, args, options);
  if (result.code !== 0)
    throw new Error(`git ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** The environment without the caller's GIT_* variables (a test run inside a git hook must not leak GIT_DIR). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('GIT_')) env[key] = value;
  }
  env.GIT_CONFIG_NOSYSTEM = '1';
  env.GIT_TERMINAL_PROMPT = '0';
  return env;
}

/** Author and committer variables for `identity` (committer defaults to the author). */
export function identityEnv(author: GitIdentity, committer: GitIdentity = author): Record<string, string> {
  const env: Record<string, string> = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
  };
  if (author.date) env.GIT_AUTHOR_DATE = author.date;
  if (committer.date) env.GIT_COMMITTER_DATE = committer.date;
  return env;
}

/** The full sha `rev` names, or undefined when it names no commit. */
export async function resolveCommit(gitDir: string, rev: string): Promise<string | undefined> {
  const result = await runGit(gitDir, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return result.code === 0 ? result.stdout.trim() : undefined;
}

/** Branch name -> tip sha. */
export async function listBranches(gitDir: string): Promise<Record<string, string>> {
  const out = await git(gitDir, ['for-each-ref', '--format=%(refname:strip=2) %(objectname)', 'refs/heads/']);
  const branches: Record<string, string> = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const [name, sha] = line.split(' ');
    if (name && sha) branches[name] = sha;
  }
  return branches;
}

/** Commits reachable from `head` but not from `base`, oldest first. */
export async function commitsBetween(gitDir: string, base: string, head: string): Promise<string[]> {
  const out = await git(gitDir, ['rev-list', '--reverse', `${base}..${head}`]);
  return out.split('\n').filter(Boolean);
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: GitIdentity & { date: string };
  committer: GitIdentity & { date: string };
  message: string;
}

/** Reads one commit's metadata. */
export async function readCommit(gitDir: string, sha: string): Promise<CommitInfo> {
  const out = await git(gitDir, ['show', '-s', '--format=%H%n%T%n%P%n%an%n%ae%n%aI%n%cn%n%ce%n%cI%n%B', sha]);
  const [
    hash = '',
    tree = '',
    parents = '',
    an = '',
    ae = '',
    ad = '',
    cn = '',
    ce = '',
    cd = '',
    ...message
  ] = out.split('\n');
  return {
    sha: hash,
    tree,
    parents: parents.split(' ').filter(Boolean),
    author: { name: an, email: ae, date: ad },
    committer: { name: cn, email: ce, date: cd },
    message: message.join('\n').trim(),
  };
}

export interface FileChange {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed';
  additions: number;
  deletions: number;
  blobSha: string;
  previousFilename?: string;
}

/** Files changed between two commits, with line counts (binary files count 0). */
export async function diffFiles(gitDir: string, from: string, to: string): Promise<FileChange[]> {
  // One diff-tree for both: its raw lines (`:mode mode sha sha status\tpath`) come first, then as many numstat lines.
  const lines = (
    await git(gitDir, ['diff-tree', '-r', '-M', '--no-commit-id', '--raw', '--numstat', from, to])
  )
    .split('\n')
    .filter(Boolean);
  const raw = lines.filter((line) => line.startsWith(':'));
  const counts = lines.filter((line) => !line.startsWith(':')).map((line) => line.split('\t'));
  return raw.map((line, i) => {
    const [meta = '', ...paths] = line.split('\t');
    const [, , , blobSha = '', code = 'M'] = meta.split(' ');
    const [added = '0', deleted = '0'] = counts[i] ?? [];
    const letter = code[0];
    const status =
      letter === 'A' ? 'added' : letter === 'D' ? 'removed' : letter === 'R' ? 'renamed' : 'modified';
    const change: FileChange = {
      filename: paths[paths.length - 1] ?? '',
      status,
      additions: Number(added) || 0,
      deletions: Number(deleted) || 0,
      blobSha,
    };
    if (status === 'renamed') change.previousFilename = paths[0];
    return change;
  });
}

/** Merges two commits' trees without a working tree; `undefined` when they conflict. */
export async function mergeTrees(gitDir: string, ours: string, theirs: string): Promise<string | undefined> {
  const result = await runGit(gitDir, ['merge-tree', '--write-tree', '--no-messages', ours, theirs]);
  if (result.code === 1) return undefined;
  if (result.code !== 0) throw new Error(`git merge-tree failed: ${result.stderr.trim()}`);
  return result.stdout.split('\n')[0]?.trim();
}

/** Creates a commit object for `tree` with `parents`. */
export async function commitTree(
  gitDir: string,
  tree: string,
  parents: string[],
  message: string,
  author: GitIdentity,
  committer: GitIdentity = author,
): Promise<string> {
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
  return git(gitDir, args, { input: message, env: identityEnv(author, committer) });
}

/** Moves `refs/heads/<branch>` to `sha` only if it still points at `expected` (empty string: must not exist). */
export async function updateBranch(
  gitDir: string,
  branch: string,
  sha: string,
  expected?: string,
): Promise<void> {
  const args = ['update-ref', `refs/heads/${branch}`, sha];
  if (expected !== undefined) args.push(expected || '0'.repeat(40));
  await git(gitDir, args);
}

/** Deletes `refs/heads/<branch>`. */
export async function deleteBranch(gitDir: string, branch: string): Promise<void> {
  await git(gitDir, ['update-ref', '-d', `refs/heads/${branch}`]);
}

/**
 * Replays `commits` onto `onto` as GitHub's "rebase and merge" does (authors kept, committer replaced);
 * `undefined` when one does not apply. Needs a worktree: git 2.39's merge-tree cannot take a merge base.
 */
export async function replayCommits(
  gitDir: string,
  onto: string,
  commits: string[],
  committer: GitIdentity,
): Promise<string[] | undefined> {
  const worktree = await mkdtemp(join(tmpdir(), 'sandbox-rebase-'));
  await git(gitDir, ['worktree', 'add', '--detach', worktree, onto]);
  try {
    const env = {
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
      ...(committer.date ? { GIT_COMMITTER_DATE: committer.date } : {}),
    };
    const created: string[] = [];
    for (const commit of commits) {
      const picked = await runGit(
        gitDir,
        ['cherry-pick', '--allow-empty', '--keep-redundant-commits', commit],
        {
          cwd: worktree,
          env,
        },
      );
      if (picked.code !== 0) return undefined;
      created.push(await git(gitDir, ['rev-parse', 'HEAD'], { cwd: worktree }));
    }
    return created;
  } finally {
    await runGit(gitDir, ['worktree', 'remove', '--force', worktree]);
    await rm(worktree, { recursive: true, force: true });
  }
}

/** Commits `content` at `path` on top of `branch` without a working tree (a "someone else pushed" commit). */
export async function commitFileOnBranch(
  gitDir: string,
  branch: string,
  path: string,
  content: string,
  message: string,
  author: GitIdentity,
): Promise<string> {
  const tip = await git(gitDir, ['rev-parse', `refs/heads/${branch}`]);
  const indexDir = await mkdtemp(join(tmpdir(), 'sandbox-index-'));
  try {
    const env = { GIT_INDEX_FILE: join(indexDir, 'index') };
    await git(gitDir, ['read-tree', tip], { env });
    const blob = await git(gitDir, ['hash-object', '-w', '--stdin'], { input: content });
    await git(gitDir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
    const tree = await git(gitDir, ['write-tree'], { env });
    const commit = await commitTree(gitDir, tree, [tip], message, author);
    await updateBranch(gitDir, branch, commit, tip);
    return commit;
  } finally {
    await rm(indexDir, { recursive: true, force: true });
  }
}
