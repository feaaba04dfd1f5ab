/**
 * The lock file in a clone and on GitHub: read it, and bring a new one to the default branch, either through
 * Hephestus's own pull request (`<prefix>lock`, by default) or pushed directly (`lock_commit: direct`).
 * Nothing is written when the default branch already holds the same bytes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { FlowContext, RepositoryName } from '../flows/flow-context.js';
import type { PullRequestRef } from '../flows/flow-report.js';
import { trackingRef } from '../git/git-repository.js';
import { GitData } from '../github/git-data.js';
import { updatePullRequest } from '../github/update-pull-request.js';
import { type Checkout, checkOut, repoPath } from '../update/checkout.js';
import { configFileOf, readConfigAt } from '../update/config-file.js';
import { commitUpdate } from '../update/update-branch.js';
import { type LockFile, parseLockFile, renderLockFile } from './lock-file.js';

export interface LockWrite {
  outcome: 'unchanged' | 'created' | 'updated' | 'closed' | 'committed' | 'would-write';
  file: string;
  pullRequest?: PullRequestRef;
  summary: string[];
}

/** The image set name of the lock's own pull request (and the branch `<prefix>lock`). */
export const LOCK_IMAGE_SET = 'lock';

/** The branch the lock's pull request comes from. */
export function lockBranch(checkout: Checkout): string {
  return `${checkout.config.git.branch_prefix}${LOCK_IMAGE_SET}`;
}

/** The lock file of the clone, or undefined when it has none. */
export async function readLock(checkout: Checkout): Promise<LockFile | undefined> {
  const file = checkout.config.lock_file;
  let text: string;
  try {
    text = await readFile(repoPath(checkout.dir, file, 'lock_file'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseLockFile(text, file);
}

/** The lock pull request's title and first paragraph, when not promote's "Record validated images". */
export interface LockPullRequestText {
  title: string;
  intro: string;
}

/** Brings `lock` to the default branch as configured; see the module comment. */
export async function writeLock(
  context: FlowContext,
  checkout: Checkout,
  lock: LockFile,
  message: string,
  text?: LockPullRequestText,
): Promise<LockWrite> {
  const file = checkout.config.lock_file;
  const rendered = renderLockFile(lock);
  const apply = () => writeFile(repoPath(checkout.dir, file, 'lock_file'), rendered);
  if (checkout.config.lock_commit === 'direct')
    return commitDirectly(context, checkout, file, message, apply);

  const branch = lockBranch(checkout);
  const commit = await commitUpdate(context, checkout, branch, message, apply);
  if (context.dryRun) {
    const outcome = commit.step.status === 'no-diff' ? 'unchanged' : 'would-write';
    return {
      outcome,
      file,
      summary: [`${file}: ${outcome === 'unchanged' ? 'current' : `would go through ${branch}`}`],
    };
  }
  const result = await updatePullRequest(context.pullRequests(checkout.repository), commit.step, {
    imageSet: LOCK_IMAGE_SET,
    branch,
    base: checkout.config.git.default_branch,
    title: text?.title ?? `Record validated images in ${file}`,
    body: [
      text?.intro ??
        `Hephestus validated these images; this pull request records them in \`${file}\`, so the default branch\nnames the images that were built and validated from it.`,
      '',
      '```diff',
      commit.diff.trim(),
      '```',
    ].join('\n'),
    labels: checkout.config.github.labels,
    reviewers: checkout.config.github.reviewers,
    author: checkout.author ?? { name: '', email: '' },
  });
  return {
    outcome: result.outcome,
    file,
    pullRequest: result.pullRequest,
    summary: [
      `${file}: ${result.outcome === 'unchanged' && commit.step.status === 'no-diff' ? 'current' : `pull request ${result.outcome}`}`,
    ],
  };
}

async function commitDirectly(
  context: FlowContext,
  checkout: Checkout,
  file: string,
  message: string,
  apply: () => Promise<void>,
): Promise<LockWrite> {
  const branch = checkout.config.git.default_branch;
  const rebuild = async (): Promise<string | undefined> => {
    await checkout.git.resetBranch(branch, trackingRef(branch));
    await apply();
    return checkout.git.commitAll(message);
  };
  const remote = await checkout.git.fetchBranch(branch);
  if (!(await rebuild())) return { outcome: 'unchanged', file, summary: [`${file}: current`] };
  if (context.dryRun) {
    context.wouldDo(`push ${file} to ${branch}`);
    return { outcome: 'would-write', file, summary: [`${file}: would be pushed to ${branch}`] };
  }
  // Someone else's push meanwhile is fine: the lock is rewritten on top of it.
  const pushed = await checkout.git.pushWithRetry(branch, remote, async () => {
    await rebuild();
  });
  context.logger.info(`pushed ${file} to ${branch} at ${pushed.sha.slice(0, 12)}`);
  return {
    outcome: 'committed',
    file,
    summary: [`${file}: committed to ${branch} (${pushed.sha.slice(0, 12)})`],
  };
}

/** The lock file on the default branch of the images repository `repository`, as its configuration names it. */
export async function fetchLock(
  context: FlowContext,
  repository: RepositoryName,
): Promise<{ lock?: LockFile; file: string }> {
  // A clone, not the contents API: the images repository's own hephestus.yml says where its lock file is.
  const checkout = await checkOut(context, { repository });
  return { lock: await readLock(checkout), file: checkout.config.lock_file };
}

/**
 * The lock file on the default branch, as the default branch's own configuration names it, read through the
 * contents API. build-validate reuses only AMIs this names: a branch's lock file (or a tag) is the branch's
 * word, and anyone who can push a branch can write it.
 */
export async function readDefaultLock(
  context: FlowContext,
  checkout: Checkout,
): Promise<LockFile | undefined> {
  const data = new GitData(context.github(), {
    owner: checkout.repository.owner,
    repo: checkout.repository.repo,
  });
  const branch = checkout.config.git.default_branch;
  const configFile = configFileOf(context);
  const config = await readConfigAt(data, branch, configFile, `${configFile} on ${branch}`);
  const file = config ? config.lock_file : checkout.config.lock_file;
  const text = await data.readFile(file, branch);
  return text === undefined ? undefined : parseLockFile(text, `${file} on ${branch}`);
}
