/**
 * The git half of an update: the update branch rebuilt from the default branch with the edits applied,
 * committed as the configured author, and pushed only when its content differs from what the remote branch
 * already holds. A branch carrying someone else's commits is never overwritten.
 */
import { simpleGit } from 'simple-git';
import { FailureError } from '../errors.js';
import { type CommitSummary, foreignCommits, type GitIdentity, trackingRef } from '../git/git-repository.js';
import type { GitStepResult } from '../github/update-pull-request.js';
import type { Checkout } from './checkout.js';
import type { FlowContext } from './flow-context.js';

export interface BranchUpdate {
  step: GitStepResult;
  /** `git diff` of the update against the default branch (empty when there is none). */
  diff: string;
  /** The update's commit (local in a dry run), when there is one. */
  sha?: string;
}

/**
 * Resets `branch` to the default branch, runs `apply` (the edits), commits, and pushes unless the remote
 * branch already has the same content. In a dry run nothing is pushed and the step says what would happen.
 */
export async function updateBranch(
  context: FlowContext,
  co: Checkout,
  branch: string,
  message: string,
  apply: () => Promise<void>,
): Promise<BranchUpdate> {
  const { git } = co;
  const base = trackingRef(co.config.git.default_branch);
  const rebuild = async (): Promise<string | undefined> => {
    await git.resetBranch(branch, base);
    await apply();
    return git.commitAll(message);
  };
  const remote = await git.fetchBranch(branch);
  const sha = await rebuild();
  const diff = sha ? await local(co.dir, ['diff', base, 'HEAD']) : '';
  if (!sha) return { step: { status: 'no-diff', branchExists: remote !== undefined }, diff };

  if (remote !== undefined) {
    const foreign = await foreignOn(co, branch);
    // Putting the update on top of someone's commits could undo what they meant; leave the branch to them.
    if (foreign.length > 0) return { step: { status: 'blocked', foreignCommits: foreign }, diff, sha };
    if ((await tree(co.dir, 'HEAD')) === (await tree(co.dir, trackingRef(branch)))) {
      return { step: { status: 'up-to-date' }, diff, sha: remote };
    }
  }
  if (context.dryRun) {
    context.wouldDo(`push ${branch} (${remote ? 'replacing' : 'creating'} it)`);
    return { step: { status: 'pushed' }, diff, sha };
  }
  const pushed = await git.pushWithRetry(branch, remote, async () => {
    if ((await foreignOn(co, branch)).length > 0) {
      throw new FailureError(
        `git: someone else pushed to ${branch} meanwhile; not overwriting their commits`,
      );
    }
    await rebuild();
  });
  context.logger.info(`pushed ${branch} at ${pushed.sha.slice(0, 12)}`);
  return { step: { status: 'pushed' }, diff, sha: pushed.sha };
}

async function foreignOn(co: Checkout, branch: string) {
  // The clone is shallow; the rule below only trusts commits newer than one of our own, which a depth-bound
  // fetch of the branch holds.
  const commits = await co.git.commitsSince(trackingRef(co.config.git.default_branch), trackingRef(branch), {
    recentOnly: true,
  });
  return foreignOnTop(commits, co.author);
}

/** The commits by anyone but `author` made on top of the branch's own commits (`commits` newest first). */
export function foreignOnTop(
  commits: readonly CommitSummary[],
  author: GitIdentity | undefined,
): CommitSummary[] {
  const foreign = foreignCommits(commits, author ? [author] : []);
  // Newest first: commits older than the branch's first own commit are the base it was built on, which a
  // force-push of the default branch left behind; only commits made on top of ours are someone's work.
  const firstOwn = commits.findLastIndex((commit) => !foreign.includes(commit));
  return firstOwn < 0 ? foreign : foreign.filter((commit) => commits.indexOf(commit) < firstOwn);
}

function tree(dir: string, rev: string): Promise<string> {
  return local(dir, ['rev-parse', `${rev}^{tree}`]).then((out) => out.trim());
}

/** A read-only git command in the clone (no remote, so no credentials). */
function local(dir: string, args: string[]): Promise<string> {
  return simpleGit({ baseDir: dir }).raw(args);
}
