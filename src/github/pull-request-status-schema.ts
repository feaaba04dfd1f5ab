/**
 * What GitHub's REST API answers to the reads of pull-request-status.ts: only the fields the monitor uses,
 * turned into its own types (docs.github.com/rest: commits/statuses, checks/runs, pulls/reviews, pulls).
 */
import { z } from 'zod';

/** `GET /repos/{o}/{r}/commits/{ref}/status`: GitHub's overall state and the newest status per context. */
export const CombinedStatusSchema = z
  .object({
    state: z.string(),
    total_count: z.number().int(),
    statuses: z.array(
      z.object({
        context: z.string(),
        state: z.enum(['error', 'failure', 'pending', 'success']),
        target_url: z.string().nullable(),
      }),
    ),
  })
  .transform((combined) =>
    combined.statuses.map((s) => ({ name: s.context, state: s.state, url: s.target_url ?? undefined })),
  );
export type CommitStatus = z.output<typeof CombinedStatusSchema>[number];

/** One `check-run` of `GET /repos/{o}/{r}/commits/{ref}/check-runs` (paginated under `check_runs`). */
export const CheckRunSchema = z
  .object({
    name: z.string(),
    status: z.string(),
    conclusion: z.string().nullable(),
    details_url: z.string().nullable().optional(),
  })
  .transform((run) => ({
    name: run.name,
    status: run.status,
    conclusion: run.conclusion ?? undefined,
    url: run.details_url ?? undefined,
  }));
export type CheckRun = z.output<typeof CheckRunSchema>;

/** One `pull-request-review`; `user` is null for a deleted account. */
export const ReviewSchema = z
  .object({
    user: z.object({ login: z.string() }).nullable(),
    state: z.string(),
    submitted_at: z.string().nullable().optional(),
    commit_id: z.string().nullable(),
  })
  .transform((review) => ({
    user: review.user?.login ?? 'ghost',
    state: review.state,
    submittedAt: review.submitted_at ?? undefined,
    commitId: review.commit_id ?? undefined,
  }));
export type Review = z.output<typeof ReviewSchema>;

/** The fields of a full `pull-request` (`GET /pulls/{n}`) that lists do not carry. */
export const PullRequestDetailSchema = z
  .object({
    number: z.number().int(),
    created_at: z.string(),
    draft: z.boolean().optional(),
    // null while GitHub is still computing it.
    mergeable: z.boolean().nullable(),
    mergeable_state: z.string(),
    head: z.object({ sha: z.string() }),
  })
  .transform((pr) => ({
    number: pr.number,
    createdAt: pr.created_at,
    draft: pr.draft ?? false,
    mergeable: pr.mergeable,
    mergeableState: pr.mergeable_state,
    headSha: pr.head.sha,
  }));
export type PullRequestDetail = z.output<typeof PullRequestDetailSchema>;

/** `PUT /pulls/{n}/merge`. */
export const MergeResultSchema = z
  .object({ sha: z.string(), merged: z.boolean(), message: z.string() })
  .transform((result) => ({ sha: result.sha, merged: result.merged, message: result.message }));
