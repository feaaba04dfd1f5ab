/**
 * The issue operations of one repository (issues proper, not pull requests), one small method per GitHub call.
 * Comments on an issue go through {@link PullRequests.comment}: GitHub keeps them in one API for both.
 */
import type { GitHubClient } from './github-client.js';
import type { RepositoryRef } from './pull-requests.js';
import { type Issue, IssueSchema } from './schema.js';

const PER_PAGE = 100;

export class Issues {
  constructor(
    private readonly client: GitHubClient,
    readonly repository: RepositoryRef,
  ) {}

  get fullName(): string {
    return `${this.repository.owner}/${this.repository.repo}`;
  }

  /** Every issue `creator` opened, open or closed, newest first; the pull requests GitHub lists with them dropped. */
  async listBy(creator: string): Promise<Issue[]> {
    const issues = await this.client.all(
      `list the issues ${creator} opened in ${this.fullName}`,
      IssueSchema,
      (o) =>
        o.paginate(o.rest.issues.listForRepo, {
          ...this.repository,
          creator,
          state: 'all',
          per_page: PER_PAGE,
        }),
    );
    return issues.filter((issue) => !issue.isPullRequest);
  }

  /** Issue `number` as it is now. */
  get(number: number): Promise<Issue> {
    return this.client.call(`read issue #${number} of ${this.fullName}`, IssueSchema, (o) =>
      o.rest.issues.get({ ...this.repository, issue_number: number }),
    );
  }

  /** Opens an issue. */
  create(input: { title: string; body: string }): Promise<Issue> {
    return this.client.call(`open an issue in ${this.fullName}`, IssueSchema, (o) =>
      o.rest.issues.create({ ...this.repository, title: input.title, body: input.body }),
    );
  }

  /** Changes title, body or state. */
  update(
    number: number,
    changes: { title?: string; body?: string; state?: 'open' | 'closed' },
  ): Promise<Issue> {
    return this.client.call(`edit issue #${number} of ${this.fullName}`, IssueSchema, (o) =>
      o.rest.issues.update({ ...this.repository, issue_number: number, ...changes }),
    );
  }
}
