/**
 * The state of a pull request as GitHub reports it: the head commit's statuses and check runs, the reviews,
 * and whether it can be merged; and the merge itself. One small method per GitHub call; the summaries
 * below them are pure, so the monitor's decisions can be tested without a server.
 *
 * Merging goes through REST `PUT /pulls/{n}/merge` with the validated head sha, not GitHub's auto-merge:
 * enabling auto-merge exists only as the GraphQL mutation `enablePullRequestAutoMerge` and needs
 * "Allow auto-merge" on the repository and required checks in branch protection. The monitor merges only
 * once every check is green and the head is validated, and the sha guard makes GitHub refuse (409) when
 * someone pushed meanwhile, so the direct merge gives the same guarantee with a plain token.
 */
import type { GitHubClient } from './github-client.js';
import {
  type CheckRun,
  CheckRunSchema,
  CombinedStatusSchema,
  type CommitStatus,
  MergeResultSchema,
  type PullRequestDetail,
  PullRequestDetailSchema,
  type Review,
  ReviewSchema,
} from './pull-request-status-schema.js';
import type { RepositoryRef } from './pull-requests.js';

export type { CheckRun, CommitStatus, PullRequestDetail, Review } from './pull-request-status-schema.js';

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export type MergeOutcome =
  | { merged: true; sha: string }
  /** GitHub refused: 405 not mergeable (protection, conflicts, draft), 409 the head moved, 422 bad input. */
  | { merged: false; status: number; message: string };

const PER_PAGE = 100;

export class PullRequestStatus {
  constructor(
    private readonly client: GitHubClient,
    readonly repository: RepositoryRef,
  ) {}

  /** `owner/name`. */
  get fullName(): string {
    return `${this.repository.owner}/${this.repository.repo}`;
  }

  /** The full pull request: creation time, draft, mergeable (null while GitHub computes it), head. */
  detail(number: number): Promise<PullRequestDetail> {
    return this.client.call(
      `read pull request #${number} of ${this.fullName}`,
      PullRequestDetailSchema,
      (o) => o.rest.pulls.get({ ...this.repository, pull_number: number }),
    );
  }

  /** The newest commit status per context on `sha` (`GET /commits/{ref}/status`). */
  statuses(sha: string): Promise<CommitStatus[]> {
    return this.client.call(
      `read the commit statuses of ${sha} in ${this.fullName}`,
      CombinedStatusSchema,
      (o) => o.rest.repos.getCombinedStatusForRef({ ...this.repository, ref: sha, per_page: PER_PAGE }),
    );
  }

  /** The newest check run of each name on `sha` (all pages). */
  checkRuns(sha: string): Promise<CheckRun[]> {
    return this.client.all(`read the check runs of ${sha} in ${this.fullName}`, CheckRunSchema, (o) =>
      o.paginate(o.rest.checks.listForRef, { ...this.repository, ref: sha, per_page: PER_PAGE }),
    );
  }

  /** Every review of the pull request, oldest first. */
  reviews(number: number): Promise<Review[]> {
    return this.client.all(`read the reviews of #${number} of ${this.fullName}`, ReviewSchema, (o) =>
      o.paginate(o.rest.pulls.listReviews, { ...this.repository, pull_number: number, per_page: PER_PAGE }),
    );
  }

  /** Merges the pull request if its head is still `sha`; GitHub's refusals are returned, not thrown. */
  async merge(number: number, sha: string, method: MergeMethod): Promise<MergeOutcome> {
    const result = await this.client.attempt(
      `merge pull request #${number} of ${this.fullName}`,
      MergeResultSchema,
      (o) => o.rest.pulls.merge({ ...this.repository, pull_number: number, sha, merge_method: method }),
      [405, 409, 422],
    );
    if (!result.ok) return { merged: false, status: result.status, message: result.message };
    return result.data.merged
      ? { merged: true, sha: result.data.sha }
      : { merged: false, status: 200, message: result.data.message };
  }
}

export type ChecksState = 'success' | 'pending' | 'failure' | 'none';

export interface CheckSummary {
  state: ChecksState;
  /** Every status and check run as `name: state`, sorted. */
  checks: Array<{ name: string; state: 'success' | 'pending' | 'failure'; url?: string }>;
}

// Conclusions that do not block a merge, as GitHub's required checks treat them.
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

/** One state for the statuses and check runs together: failure before pending before success. */
export function summarizeChecks(statuses: readonly CommitStatus[], runs: readonly CheckRun[]): CheckSummary {
  const checks: CheckSummary['checks'] = [
    ...statuses.map((s) => ({
      name: s.name,
      state:
        s.state === 'success'
          ? ('success' as const)
          : s.state === 'pending'
            ? ('pending' as const)
            : ('failure' as const),
      url: s.url,
    })),
    ...runs.map((r) => ({
      name: r.name,
      state:
        r.status !== 'completed'
          ? ('pending' as const)
          : PASSING_CONCLUSIONS.has(r.conclusion ?? '')
            ? ('success' as const)
            : ('failure' as const),
      url: r.url,
    })),
  ].sort((a, b) => a.name.localeCompare(b.name));
  const state: ChecksState = checks.some((c) => c.state === 'failure')
    ? 'failure'
    : checks.some((c) => c.state === 'pending')
      ? 'pending'
      : checks.length > 0
        ? 'success'
        : 'none';
  return { state, checks };
}

export type ReviewDecision = 'approved' | 'changes_requested' | 'none';

export interface ReviewSummary {
  decision: ReviewDecision;
  approvedBy: string[];
  changesRequestedBy: string[];
}

/**
 * What the reviewers say now: each reviewer's latest approving, change-requesting or dismissed review
 * counts (comments do not change a verdict, as on GitHub); one request for changes outweighs approvals.
 */
export function summarizeReviews(reviews: readonly Review[]): ReviewSummary {
  const verdicts = new Map<string, string>();
  for (const review of reviews) {
    if (['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED'].includes(review.state))
      verdicts.set(review.user, review.state);
  }
  const by = (state: string) =>
    [...verdicts]
      .filter(([, s]) => s === state)
      .map(([user]) => user)
      .sort();
  const approvedBy = by('APPROVED');
  const changesRequestedBy = by('CHANGES_REQUESTED');
  const decision: ReviewDecision =
    changesRequestedBy.length > 0 ? 'changes_requested' : approvedBy.length > 0 ? 'approved' : 'none';
  return { decision, approvedBy, changesRequestedBy };
}
