/**
 * The pull-request operations of one repository, one small method per GitHub call (or per pair of calls that
 * belong together, such as comment-then-close). Deciding what to call is update-pull-request.ts's business.
 */
import { FailureError } from '../errors.js';
import { botLogin, isBot } from './bot-identity.js';
import type { GitHubClient } from './github-client.js';
import { commentMarker, markedComment, normalizeBody } from './pull-request-marker.js';
import {
  type Comment,
  CommentSchema,
  GitRefSchema,
  LabelListSchema,
  NoContentSchema,
  type PullRequest,
  PullRequestSchema,
} from './schema.js';

export interface RepositoryRef {
  owner: string;
  repo: string;
}

export interface NewPullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  draft?: boolean;
}

export type CreateResult = { status: 'created'; pullRequest: PullRequest } | { status: 'exists' };

const PER_PAGE = 100;

export class PullRequests {
  constructor(
    private readonly client: GitHubClient,
    readonly repository: RepositoryRef,
  ) {}

  /** `owner/name`. */
  get fullName(): string {
    return `${this.repository.owner}/${this.repository.repo}`;
  }

  /** Every open pull request into `base` (all pages). */
  listOpen(base: string): Promise<PullRequest[]> {
    return this.client.all(
      `list the open pull requests into ${base} of ${this.fullName}`,
      PullRequestSchema,
      (o) => o.paginate(o.rest.pulls.list, { ...this.repository, state: 'open', base, per_page: PER_PAGE }),
    );
  }

  /** The open pull request from `branch` of this repository (not a fork's branch of the same name), if any. */
  async findOpen(branch: string): Promise<PullRequest | undefined> {
    const pulls = await this.client.all(
      `look for an open pull request from ${branch} in ${this.fullName}`,
      PullRequestSchema,
      (o) =>
        o.paginate(o.rest.pulls.list, {
          ...this.repository,
          state: 'open',
          head: `${this.repository.owner}:${branch}`,
          per_page: PER_PAGE,
        }),
    );
    return pulls.find((pr) => this.isOwnBranch(pr, branch));
  }

  /** True when `pr` comes from `branch` of this repository. */
  isOwnBranch(pr: PullRequest, branch: string): boolean {
    return pr.headRef === branch && pr.headRepo?.toLowerCase() === this.fullName.toLowerCase();
  }

  /** Opens a pull request; `exists` when GitHub answers that one is already open for the branch. */
  async create(input: NewPullRequest): Promise<CreateResult> {
    const what = `open a pull request from ${input.head} into ${input.base} in ${this.fullName}`;
    const result = await this.client.attempt(
      what,
      PullRequestSchema,
      (o) =>
        o.rest.pulls.create({
          ...this.repository,
          head: input.head,
          base: input.base,
          title: input.title,
          body: input.body,
          draft: input.draft ?? false,
          maintainer_can_modify: false,
        }),
      [422],
    );
    if (result.ok) return { status: 'created', pullRequest: result.data };
    if ([result.message, ...result.details].some((m) => /already exists/i.test(m)))
      return { status: 'exists' };
    throw new FailureError(
      `GitHub refused to ${what}: ${[result.message, ...result.details].join('; ')} (422)`,
    );
  }

  /**
   * Changes title, body or state. Draft state is not among them: GitHub's REST API cannot change it (only the
   * GraphQL mutations `markPullRequestReadyForReview` / `convertPullRequestToDraft` can), so it is set at creation.
   */
  update(
    number: number,
    changes: { title?: string; body?: string; state?: 'open' | 'closed' },
  ): Promise<PullRequest> {
    return this.client.call(`update pull request #${number} of ${this.fullName}`, PullRequestSchema, (o) =>
      o.rest.pulls.update({ ...this.repository, pull_number: number, ...changes }),
    );
  }

  /** Adds labels, keeping the others; the labels the PR has afterwards. */
  addLabels(number: number, labels: readonly string[]): Promise<string[]> {
    return this.client.call(`add labels to #${number} of ${this.fullName}`, LabelListSchema, (o) =>
      o.rest.issues.addLabels({ ...this.repository, issue_number: number, labels: [...labels] }),
    );
  }

  /** Replaces the labels with exactly `labels` (one call for additions and removals together). */
  setLabels(number: number, labels: readonly string[]): Promise<string[]> {
    return this.client.call(`set the labels of #${number} of ${this.fullName}`, LabelListSchema, (o) =>
      o.rest.issues.setLabels({ ...this.repository, issue_number: number, labels: [...labels] }),
    );
  }

  /**
   * Requests reviews. GitHub refuses (422) reviewers who are not collaborators; that is returned as a
   * message rather than thrown, because a missing review request should not fail an image update.
   */
  async requestReviewers(
    number: number,
    reviewers: readonly string[],
    teamReviewers: readonly string[],
  ): Promise<string | undefined> {
    const what = `request reviews on #${number} of ${this.fullName}`;
    const result = await this.client.attempt(
      what,
      PullRequestSchema,
      (o) =>
        o.rest.pulls.requestReviewers({
          ...this.repository,
          pull_number: number,
          reviewers: [...reviewers],
          team_reviewers: [...teamReviewers],
        }),
      [422],
    );
    return result.ok ? undefined : `could not ${what}: ${[result.message, ...result.details].join('; ')}`;
  }

  /** Posts a comment. */
  comment(number: number, body: string): Promise<Comment> {
    return this.client.call(`comment on #${number} of ${this.fullName}`, CommentSchema, (o) =>
      o.rest.issues.createComment({ ...this.repository, issue_number: number, body }),
    );
  }

  /** The comments of an issue or pull request, oldest first. */
  listComments(number: number): Promise<Comment[]> {
    return this.client.all(`list the comments of #${number} of ${this.fullName}`, CommentSchema, (o) =>
      o.paginate(o.rest.issues.listComments, {
        ...this.repository,
        issue_number: number,
        per_page: PER_PAGE,
      }),
    );
  }

  /** The login of the token's owner, the bot: the only author whose hidden state counts. */
  botLogin(): Promise<string> {
    return botLogin(this.client);
  }

  /** True when `author` is the bot. */
  isBot(author: string | undefined): Promise<boolean> {
    return isBot(this.client, author);
  }

  /**
   * The comment of kind `key` the bot wrote, if any: comments of anyone else carrying the same marker are
   * ignored, so nobody can plant state (or a verdict) for Hephestus to read back.
   */
  async ownComment(number: number, key: string, comments?: readonly Comment[]): Promise<Comment | undefined> {
    const marker = commentMarker(key);
    const bot = (await this.botLogin()).toLowerCase();
    return (comments ?? (await this.listComments(number))).find(
      (c) => c.author?.toLowerCase() === bot && c.body.includes(marker),
    );
  }

  /**
   * Posts the comment of kind `key`, or edits the one posted earlier (found by its hidden marker) in place;
   * writes nothing when it already says `text`.
   */
  async upsertComment(
    number: number,
    key: string,
    text: string,
  ): Promise<{ action: 'created' | 'updated' | 'unchanged'; comment: Comment }> {
    const body = markedComment(key, text);
    const existing = await this.ownComment(number, key);
    if (!existing) return { action: 'created', comment: await this.comment(number, body) };
    if (normalizeBody(existing.body) === body) return { action: 'unchanged', comment: existing };
    const comment = await this.client.call(
      `edit comment ${existing.id} of ${this.fullName}`,
      CommentSchema,
      (o) => o.rest.issues.updateComment({ ...this.repository, comment_id: existing.id, body }),
    );
    return { action: 'updated', comment };
  }

  /** Leaves `comment` saying why, then closes the pull request. */
  async close(number: number, comment: string): Promise<PullRequest> {
    await this.comment(number, comment);
    return this.update(number, { state: 'closed' });
  }

  /** The pull requests a commit belongs to, or that merged it (`GET /repos/{owner}/{repo}/commits/{sha}/pulls`). */
  forCommit(sha: string): Promise<PullRequest[]> {
    return this.client.all(
      `find the pull requests of commit ${sha} in ${this.fullName}`,
      PullRequestSchema,
      (o) =>
        o.paginate(o.rest.repos.listPullRequestsAssociatedWithCommit, {
          ...this.repository,
          commit_sha: sha,
          per_page: PER_PAGE,
        }),
    );
  }

  /**
   * The pull request merged into `base` that a push of `sha` to `base` came from: the one whose merge produced
   * `sha` (merge commit, squash commit or last rebased commit), else any merged one containing it.
   */
  async mergedInto(base: string, sha: string): Promise<PullRequest | undefined> {
    const merged = (await this.forCommit(sha)).filter((pr) => pr.mergedAt !== null && pr.baseRef === base);
    return merged.find((pr) => pr.mergeCommitSha === sha) ?? merged[0];
  }

  /** The sha `branch` points at, or undefined when there is no such branch. */
  async branchSha(branch: string): Promise<string | undefined> {
    const result = await this.client.attempt(
      `read branch ${branch} of ${this.fullName}`,
      GitRefSchema,
      (o) => o.rest.git.getRef({ ...this.repository, ref: `heads/${branch}` }),
      [404],
    );
    return result.ok ? result.data.sha : undefined;
  }

  /** Deletes `branch`; `absent` when it did not exist (GitHub answers 422 "Reference does not exist"). */
  async deleteBranch(branch: string): Promise<'deleted' | 'absent'> {
    const result = await this.client.attempt(
      `delete branch ${branch} of ${this.fullName}`,
      NoContentSchema,
      (o) => o.rest.git.deleteRef({ ...this.repository, ref: `heads/${branch}` }),
      [404, 422],
    );
    if (result.ok) return 'deleted';
    if (result.status === 404 || /does not exist/i.test(result.message)) return 'absent';
    throw new FailureError(
      `GitHub refused to delete branch ${branch} of ${this.fullName}: ${result.message}`,
    );
  }
}
