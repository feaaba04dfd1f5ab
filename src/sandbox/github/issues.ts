/** Issue comments and labels; pull requests are the only issues the sandbox has. */
import type { SandboxResponse } from '../http.js';
import {
  ApiError,
  type ApiRoutes,
  DOCS,
  isObject,
  notFound,
  paginate,
  timestamp,
  validationFailed,
} from './github-api.js';
import { commentJson, labelJson, type UrlBase } from './github-json.js';
import { type GitHubState, nextId, type SandboxPull, type SandboxRepo } from './github-state.js';
import { type GitHubWorld, pullOf, repoOf } from './github-world.js';

export function register(api: ApiRoutes, { state }: GitHubWorld): void {
  registerComments(api, state);
  registerLabels(api, state);
}

function registerComments(api: ApiRoutes, state: GitHubState): void {
  api('GET', '/repos/:owner/:repo/issues/comments', ({ req, base }) => {
    const repo = repoOf(state, req);
    const comments = state.comments.filter((c) => c.repo === repo.fullName);
    return paginate(req, base, comments, (c) => commentJson(base, repo, c));
  });

  api('PATCH', '/repos/:owner/:repo/issues/comments/:id', ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const comment = state.comments.find((c) => c.repo === repo.fullName && c.id === Number(req.params.id));
    if (!comment) throw notFound();
    if (typeof input.body !== 'string')
      throw validationFailed([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    comment.body = input.body;
    comment.updatedAt = timestamp();
    return { status: 200, body: commentJson(base, repo, comment) };
  });

  api('GET', '/repos/:owner/:repo/issues/:number/comments', ({ req, base }) => {
    const repo = repoOf(state, req);
    const pr = pullOf(state, repo, req.params.number);
    const comments = state.comments.filter((c) => c.repo === repo.fullName && c.issueNumber === pr.number);
    return paginate(req, base, comments, (c) => commentJson(base, repo, c));
  });

  api('POST', '/repos/:owner/:repo/issues/:number/comments', ({ req, base, input, login }) => {
    const repo = repoOf(state, req);
    const pr = pullOf(state, repo, req.params.number);
    if (typeof input.body !== 'string' || input.body === '') {
      throw validationFailed([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    }
    const now = timestamp();
    const comment = {
      id: nextId(state),
      repo: repo.fullName,
      issueNumber: pr.number,
      body: input.body,
      user: login,
      createdAt: now,
      updatedAt: now,
    };
    state.comments.push(comment);
    const body = commentJson(base, repo, comment);
    return { status: 201, headers: { location: String(body.url) }, body };
  });
}

function registerLabels(api: ApiRoutes, state: GitHubState): void {
  api('GET', '/repos/:owner/:repo/issues/:number/labels', ({ req, base }) => {
    const repo = repoOf(state, req);
    return labelsBody(base, repo, pullOf(state, repo, req.params.number));
  });

  api('POST', '/repos/:owner/:repo/issues/:number/labels', ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const pr = pullOf(state, repo, req.params.number);
    const names = labelNames(input);
    ensureLabels(state, repo, names);
    pr.labels = [...new Set([...pr.labels, ...names])];
    pr.updatedAt = timestamp();
    return labelsBody(base, repo, pr);
  });

  api('PUT', '/repos/:owner/:repo/issues/:number/labels', ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const pr = pullOf(state, repo, req.params.number);
    const names = labelNames(input);
    ensureLabels(state, repo, names);
    pr.labels = [...new Set(names)];
    pr.updatedAt = timestamp();
    return labelsBody(base, repo, pr);
  });

  api('DELETE', '/repos/:owner/:repo/issues/:number/labels/:name', ({ req, base }) => {
    const repo = repoOf(state, req);
    const pr = pullOf(state, repo, req.params.number);
    if (!pr.labels.includes(req.params.name ?? '')) {
      throw new ApiError(404, { message: 'Label does not exist', documentation_url: DOCS, status: '404' });
    }
    pr.labels = pr.labels.filter((l) => l !== req.params.name);
    pr.updatedAt = timestamp();
    return labelsBody(base, repo, pr);
  });
}

function labelsBody(base: UrlBase, repo: SandboxRepo, pr: SandboxPull): SandboxResponse {
  return {
    status: 200,
    body: pr.labels.flatMap((name) => {
      const label = repo.labels.find((l) => l.name === name);
      return label ? [labelJson(base, repo, label)] : [];
    }),
  };
}

/** GitHub creates a label the repository lacks when it is added to an issue. */
function ensureLabels(state: GitHubState, repo: SandboxRepo, names: string[]): void {
  for (const name of names) {
    if (!repo.labels.some((l) => l.name === name))
      repo.labels.push({ id: nextId(state), name, color: 'ededed', description: null });
  }
}

/** Label names from any of the body shapes GitHub accepts: `{labels: [..]}`, `[..]`, names or `{name}` objects. */
function labelNames(input: Record<string, unknown>): string[] {
  const raw = Array.isArray(input._) ? input._ : Array.isArray(input.labels) ? input.labels : [];
  return raw.flatMap((l: unknown) =>
    typeof l === 'string' ? [l] : isObject(l) && typeof l.name === 'string' ? [l.name] : [],
  );
}
