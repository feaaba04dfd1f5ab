/**
 * What GitHub's REST API answers to the calls the pull-request module makes: only the fields it reads, turned
 * into the module's own types (docs.github.com/rest: pulls, issue comments, labels, git refs).
 */
import { z } from 'zod';

const Login = z.object({ login: z.string() }).transform((user) => user.login);

/** A `pull-request-simple` (lists) or `pull-request` (create, get, update): the fields the flows use. */
export const PullRequestSchema = z
  .object({
    number: z.number().int(),
    html_url: z.string(),
    state: z.enum(['open', 'closed']),
    title: z.string(),
    body: z.string().nullable(),
    draft: z.boolean().optional(),
    user: Login.nullable(),
    labels: z.array(z.object({ name: z.string() })),
    requested_reviewers: z.array(Login).nullish(),
    requested_teams: z.array(z.object({ slug: z.string() })).nullish(),
    head: z.object({
      ref: z.string(),
      sha: z.string(),
      // A fork that was deleted leaves `repo: null`.
      repo: z.object({ full_name: z.string() }).nullable(),
    }),
    base: z.object({ ref: z.string() }),
    merged_at: z.string().nullable(),
    merge_commit_sha: z.string().nullable(),
  })
  .transform((pr) => ({
    number: pr.number,
    url: pr.html_url,
    state: pr.state,
    title: pr.title,
    body: pr.body ?? '',
    draft: pr.draft ?? false,
    author: pr.user ?? undefined,
    labels: pr.labels.map((label) => label.name),
    requestedReviewers: pr.requested_reviewers ?? [],
    requestedTeams: (pr.requested_teams ?? []).map((team) => team.slug),
    headRef: pr.head.ref,
    headSha: pr.head.sha,
    headRepo: pr.head.repo?.full_name,
    baseRef: pr.base.ref,
    mergedAt: pr.merged_at,
    mergeCommitSha: pr.merge_commit_sha,
  }));
export type PullRequest = z.output<typeof PullRequestSchema>;

export const PullRequestListSchema = z.array(PullRequestSchema);

/** An `issue-comment`; `user` is null for a deleted account. */
export const CommentSchema = z
  .object({
    id: z.number().int(),
    body: z.string().optional(),
    html_url: z.string(),
    user: Login.nullable().optional(),
  })
  .transform((comment) => ({
    id: comment.id,
    body: comment.body ?? '',
    url: comment.html_url,
    author: comment.user ?? undefined,
  }));
export type Comment = z.output<typeof CommentSchema>;

export const CommentListSchema = z.array(CommentSchema);

/** The labels of an issue, as `POST`/`PUT /issues/{n}/labels` answer them. */
export const LabelListSchema = z
  .array(z.object({ name: z.string() }))
  .transform((labels) => labels.map((label) => label.name));

/** A `git-ref`. */
export const GitRefSchema = z
  .object({ ref: z.string(), object: z.object({ sha: z.string() }) })
  .transform((ref) => ({ ref: ref.ref, sha: ref.object.sha }));

/** GitHub's error body: `{message, errors?: [{message?, code?, field?}], documentation_url?}`. */
export const ErrorBodySchema = z
  .object({
    message: z.string(),
    errors: z
      .array(
        z.union([
          z.object({
            message: z.string().optional(),
            code: z.string().optional(),
            field: z.string().optional(),
          }),
          z.string(),
        ]),
      )
      .optional(),
  })
  .transform((body) => ({
    message: body.message,
    details: (body.errors ?? []).flatMap((e) =>
      typeof e === 'string'
        ? [e]
        : [e.message ?? [e.field, e.code].filter(Boolean).join(' ')].filter(Boolean),
    ),
  }));
export type ErrorBody = z.output<typeof ErrorBodySchema>;

/** A `204 No Content` answer: nothing to read. */
export const NoContentSchema = z.unknown().transform(() => undefined);

/** An `issue` (`GET`/`POST`/`PATCH …/issues`): pull requests appear in issue lists too, marked by `pull_request`. */
export const IssueSchema = z
  .object({
    number: z.number().int(),
    html_url: z.string(),
    state: z.enum(['open', 'closed']),
    title: z.string(),
    body: z.string().nullish(),
    user: Login.nullable(),
    pull_request: z.object({ url: z.string().nullish() }).optional(),
  })
  .transform((issue) => ({
    number: issue.number,
    url: issue.html_url,
    state: issue.state,
    title: issue.title,
    body: issue.body ?? '',
    author: issue.user ?? undefined,
    isPullRequest: issue.pull_request !== undefined,
  }));
export type Issue = z.output<typeof IssueSchema>;
