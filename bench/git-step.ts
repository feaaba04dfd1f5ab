/**
 * The git half of a bump as the benchmarks run it, through the project's own modules: clone the base, rebuild
 * the update branch on it, edit the image id with editFile, commit, and push with a lease, unless the remote
 * branch already holds the same tree. The flows (src/flows/) will do the same; until they exist the benchmarks
 * compose the modules here.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { editFile } from '../src/edit/edit-file.js';
import { type CloneOptions, GitRepository } from '../src/git/git-repository.js';
import type { GitStepResult } from '../src/github/update-pull-request.js';
import { BENCH_TOKEN, BOT } from './github-sandbox.js';

const run = promisify(execFile);

/** The file and setting every benchmark bumps: the service repository's Windows Server 2022 AMI. */
export const BUMP_FILE = 'resources/config.edn';
export const BUMP_PATH = '[:vm-manager :images "aws" "windows-server-2022"]';

export interface BumpOptions {
  url: string;
  /** A fresh directory for the clone. */
  dir: string;
  branch: string;
  ami: string;
  history?: CloneOptions['history'];
}

/** Clones, edits, commits and pushes; what the PR half needs to know. */
export async function bumpRepository(options: BumpOptions): Promise<GitStepResult> {
  const repo = await GitRepository.clone({
    url: options.url,
    token: BENCH_TOKEN,
    dir: options.dir,
    branch: 'main',
    author: BOT,
    history: options.history ?? 'tip',
  });
  const remote = await repo.fetchBranch(options.branch);
  await repo.resetBranch(options.branch, 'refs/remotes/origin/main');
  await editFile({
    file: path.join(options.dir, BUMP_FILE),
    path: BUMP_PATH,
    value: options.ami,
    root: options.dir,
  });
  const sha = await repo.commitAll(`Bump windows-server-2022 to ${options.ami}`);
  if (!sha) return { status: 'no-diff', branchExists: remote !== undefined };
  if (remote && (await treeOf(options.dir, 'HEAD')) === (await treeOf(options.dir, remote))) {
    return { status: 'up-to-date' };
  }
  await repo.push(options.branch, remote);
  return { status: 'pushed' };
}

// GitRepository has no tree comparison (the flows may add one); a plain rev-parse in the clone is enough here.
async function treeOf(dir: string, rev: string): Promise<string> {
  const { stdout } = await run('git', ['rev-parse', `${rev}^{tree}`], { cwd: dir });
  return stdout.trim();
}
