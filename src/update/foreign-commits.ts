/**
 * The one definition of "commits on an update branch that are not ours", used by every flow that writes one
 * (open-update, bump-consumer through a clone or the API, the lock file's pull request): commits reachable from the
 * branch, not reachable from the default branch, and not made by the bot (author and committer).
 *
 * Reachability is GitHub's compare (`base...head`), not the clone's history: the clones are one commit deep, and a
 * shallow history cannot tell a commit of the default branch (a merge commit, a person's commit merged with the
 * update) from one made on the branch. Commits older than the branch's first own commit are the base it was built
 * on (the default branch was force-pushed since), not work anyone did on the branch.
 *
 * A branch left behind by a merged pull request (its head is the head that pull request merged, by squash or
 * rebase, so its commits are not reachable from the default branch) holds nothing unmerged: nobody's to protect.
 */

import type { FlowContext } from '../flows/flow-context.js';
import type { CommitSummary, GitIdentity } from '../git/git-repository.js';
import { foreignCommits } from '../git/git-repository.js';
import { type Comparison, GitData } from '../github/git-data.js';
import { PullRequests, type RepositoryRef } from '../github/pull-requests.js';

export interface BranchCommits {
  /** The commits on the branch that are not ours, newest first; empty when the branch holds only our work. */
  foreign: CommitSummary[];
  /** GitHub's comparison of the default branch with the branch (files included). */
  comparison: Comparison;
}

/** The commits on `branch` (at `head`) not ours, against the default branch at `base`; see the module comment. */
export async function commitsNotOurs(
  context: FlowContext,
  repository: RepositoryRef,
  input: { branch: string; base: string; head: string; author: GitIdentity | undefined },
): Promise<BranchCommits> {
  const ref = { owner: repository.owner, repo: repository.repo };
  const comparison = await new GitData(context.github(), ref).compare(input.base, input.head);
  const foreign = foreignOnTop(comparison.commits, input.author);
  if (foreign.length === 0) return { foreign, comparison };
  const merged = (await new PullRequests(context.github(), ref).forCommit(input.head)).some(
    (pr) => pr.mergedAt !== null && pr.headSha === input.head && pr.headRef === input.branch,
  );
  return { foreign: merged ? [] : foreign, comparison };
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
