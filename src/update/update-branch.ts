/**
 * The git half of an update: the update branch rebuilt from the default branch with the edits applied,
 * committed as the configured author, and pushed only when its content differs from what the remote branch
 * already holds. A branch carrying someone else's commits is never overwritten.
 */

import { FailureError } from '../errors.js';
import type { FlowContext, RepositoryName } from '../flows/flow-context.js';
import { localGit } from '../git/git-environment.js';
import { foreignCommits, trackingRef } from '../git/git-repository.js';
import { GitData } from '../github/git-data.js';
import type { PullRequest } from '../github/schema.js';
import type { GitStepResult } from '../github/update-pull-request.js';
import type { Checkout } from './checkout.js';
import { commitsNotOurs } from './foreign-commits.js';

export interface UpdateCommit {
  step: GitStepResult;
  /** `git diff` of the update against the default branch (empty when there is none). */
  diff: string;
  /** The update's commit (local in a dry run), when there is one. */
  sha?: string;
}

/**
 * Resets `branch` to the default branch, runs `apply` (the edits), commits, and pushes unless the remote
 * branch already has the same content. In a dry run nothing is pushed and the step says what would happen.
 *
 * `reportedHead` is the branch's head as its open pull request reported it (the flows list their open PRs
 * anyway). When that commit is our own, it is all the remote branch needs to tell: nothing sits on top of it,
 * and its tree says whether the update is already there. One REST read of the commit then replaces a fetch of
 * the branch, the costliest step after the clone (see docs/performance.md); the push's lease still refuses
 * the push if the branch moved since. Without a reported head, one REST read of the branch's ref (made while
 * the update is rebuilt) says whether the branch exists at all: a branch that does not (the usual case, the first
 * update of an image set) needs no fetch, and the push's lease (the branch must not exist) covers one created
 * meanwhile. A branch that exists, or a head that is someone else's, is fetched and looked through.
 *
 * `options.checked` is a check the caller runs meanwhile (the EC2 check of the AMIs written): the edits are made
 * and committed in the clone while it runs, but nothing is pushed, and no branch read, until it passed.
 */
export async function commitUpdate(
  context: FlowContext,
  checkout: Checkout,
  branch: string,
  message: string,
  apply: () => Promise<void>,
  reportedHead?: string,
  /** `rebuild`: commit even when the edits change nothing (a rebuild asked for by hand, `--force`). */
  options: { rebuild?: boolean; checked?: Promise<unknown> } = {},
): Promise<UpdateCommit> {
  const { git } = checkout;
  const base = trackingRef(checkout.config.git.default_branch);
  const rebuild = async (): Promise<string | undefined> => {
    await git.resetBranch(branch, base);
    await apply();
    return git.commitAll(message, { allowEmpty: options.rebuild === true });
  };
  // The branch's head is asked about while the update is rebuilt and the caller's check runs: none needs another.
  const [probe, sha] = await settleAll(
    probeBranch(context, checkout, branch, reportedHead),
    rebuild(),
    options.checked ?? Promise.resolve(),
  );
  const ownHead = probe.own;
  const remote = ownHead ? ownHead.sha : probe.absent ? undefined : await git.fetchBranch(branch);
  if (!sha) {
    // The default branch holds the update. A branch with someone's work on it is theirs to close; ours goes.
    const foreign =
      remote === undefined || ownHead ? [] : (await branchCommits(context, checkout, branch, remote)).foreign;
    return {
      step: {
        status: 'no-diff',
        branchExists: remote !== undefined,
        ...(foreign.length ? { foreignCommits: foreign } : {}),
      },
      diff: '',
    };
  }
  const { diff, tree: headTree } = await headCommit(checkout.dir);

  if (remote !== undefined) {
    // Our own head has nothing on top of it; a fetched branch is looked through.
    const onBranch = ownHead ? undefined : await branchCommits(context, checkout, branch, remote);
    const foreign = onBranch?.foreign ?? [];
    // A branch the default branch already contains (left behind by a merge) holds nothing to propose.
    const ahead = onBranch === undefined || onBranch.comparison.commits.length > 0;
    const remoteTree = ownHead ? ownHead.tree : await tree(checkout.dir, trackingRef(branch));
    if (foreign.length > 0) {
      // Someone's commits stay. When the branch holds the update already, there is nothing to add on top of them;
      // otherwise the update is not put on top, which could undo what they meant: the branch is left to them.
      const holds = await holdsUpdate(checkout, branch, apply);
      const step = holds
        ? ({ status: 'up-to-date', foreignCommits: foreign } as const)
        : ({ status: 'blocked', foreignCommits: foreign } as const);
      return { step, diff, sha: holds ? remote : sha };
    }
    if (ahead && headTree === remoteTree) return { step: { status: 'up-to-date' }, diff, sha: remote };
  }
  if (context.dryRun) {
    context.wouldDo(`push ${branch} (${remote ? 'replacing' : 'creating'} it)`);
    return { step: { status: 'pushed' }, diff, sha };
  }
  const pushed = await git.pushWithRetry(
    branch,
    remote,
    async (moved) => {
      if (moved !== undefined && (await branchCommits(context, checkout, branch, moved)).foreign.length > 0) {
        throw new FailureError(
          `git: someone else pushed to ${branch} meanwhile; not overwriting their commits`,
        );
      }
      await rebuild();
    },
    { head: sha },
  );
  context.logger.info(`pushed ${branch} at ${pushed.sha.slice(0, 12)}`);
  return { step: { status: 'pushed' }, diff, sha: pushed.sha };
}

/** The head of `branch` as its open pull request in `repository` reports it (see {@link commitUpdate}). */
export function reportedHead(
  openPullRequests: readonly PullRequest[],
  repository: RepositoryName,
  branch: string,
): string | undefined {
  return openPullRequests.find((pr) => pr.headRef === branch && pr.headRepo === repository.fullName)?.headSha;
}

/**
 * `sha` with its tree when it is a commit of ours (author and committer), else undefined. The flows rebuild the
 * branch as one commit on the default branch, so a head of ours is a branch holding only our work.
 */
async function ownCommit(context: FlowContext, checkout: Checkout, sha: string) {
  const { owner, repo } = checkout.repository;
  const commit = await new GitData(context.github(), { owner, repo }).commit(sha);
  if (!commit || !checkout.author) return undefined;
  return foreignCommits([commit], [checkout.author]).length === 0 ? commit : undefined;
}

/** The commits on `branch` (at `head`) against the default branch, and those not ours ({@link commitsNotOurs}). */
async function branchCommits(context: FlowContext, checkout: Checkout, branch: string, head: string) {
  const base = await checkout.git.revParse(trackingRef(checkout.config.git.default_branch));
  return commitsNotOurs(context, checkout.repository, { branch, base, head, author: checkout.author });
}

/**
 * True when the fetched `branch` already holds the update: `apply` on top of it changes nothing. Leaves the clone
 * on the branch's head (the callers are done with it).
 */
async function holdsUpdate(checkout: Checkout, branch: string, apply: () => Promise<void>): Promise<boolean> {
  await checkout.git.resetBranch(branch, trackingRef(branch));
  try {
    await apply();
  } catch {
    // An edit that does not apply to their version of a file: the branch does not hold the update.
    return false;
  }
  return (await local(checkout.dir, ['status', '--porcelain'])).trim() === '';
}

/**
 * What one REST read tells of the remote branch: our own reported head (its tree too), or that the branch does not
 * exist; neither means the branch is to be fetched.
 */
async function probeBranch(
  context: FlowContext,
  checkout: Checkout,
  branch: string,
  reportedHead: string | undefined,
): Promise<{ own?: Awaited<ReturnType<typeof ownCommit>>; absent: boolean }> {
  if (reportedHead !== undefined)
    return { own: await ownCommit(context, checkout, reportedHead), absent: false };
  const { owner, repo } = checkout.repository;
  const data = new GitData(context.github(), { owner, repo });
  return { absent: (await data.branchSha(branch)) === undefined };
}

/**
 * The results once all have finished (so no git command outlives a failure), or the first failure: the caller's
 * check before the others, as when it ran before the edits (an AMI refused is the news, not an edit that failed).
 */
async function settleAll<A, B>(a: Promise<A>, b: Promise<B>, check: Promise<unknown>): Promise<[A, B]> {
  const [ra, rb, rc] = await Promise.allSettled([a, b, check]);
  if (rc.status === 'rejected') throw rc.reason;
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}

/**
 * HEAD's tree and its diff against its parent (the default branch: the update is one commit on it), asked of git
 * at once: `git show` prints the tree the format names, a blank line, then the same patch `git diff base HEAD`
 * prints. Signatures are left out so that a user's `log.showSignature` cannot add lines.
 */
async function headCommit(dir: string): Promise<{ tree: string; diff: string }> {
  const out = await local(dir, ['-c', 'log.showSignature=false', 'show', '--format=%T', 'HEAD']);
  const newline = out.indexOf('\n');
  return { tree: out.slice(0, newline).trim(), diff: out.slice(newline + 1).replace(/^\n/, '') };
}

function tree(dir: string, rev: string): Promise<string> {
  return local(dir, ['rev-parse', `${rev}^{tree}`]).then((out) => out.trim());
}

/** A read-only git command in the clone (no remote, so no credentials). */
function local(dir: string, args: string[]): Promise<string> {
  return localGit(dir).raw(args);
}
