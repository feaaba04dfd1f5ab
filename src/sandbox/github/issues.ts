/**
 * Issues: create, read, edit and list them (the list, as GitHub's, holds pull requests too, marked by
 * `pull_request`), and the comments and labels issues and pull requests share.
 */
import type { SandboxRequest, SandboxResponse } from '../http.js';
import {
  ApiError,
  type ApiRoutes,
  DOCS,
  isObject,
  notFound,
  paginate,
  stringList,
  timestamp,
  validationFailed,
} from './github-api.js';
import { commentJson, issueJson, labelJson, type UrlBase } from './github-json.js';
import {
  type GitHubState,
  nextId,
  nextIssueNumber,
  type SandboxIssue,
  type SandboxPull,
  type SandboxRepo,
} from './github-state.js';
import { type GitHubWorld, repoOf } from './github-world.js';

export function register(api: ApiRoutes, { state }: GitHubWorld): void {
  // Comments first: `/issues/comments` must not be read as an issue numbered "comments".
  registerComments(api, state);
  registerLabels(api, state);
  registerIssues(api, state);
}

/** An issue or a pull request: what comments and labels attach to. */
type IssueLike = { kind: 'issues'; item: SandboxIssue } | { kind: 'pull'; item: SandboxPull };

/** Issue or pull request `number` of `repo`, or 404. */
function issueOf(state: GitHubState, repo: SandboxRepo, number: string | undefined): IssueLike {
  const matches = (i: { repo: string; number: number }) =>
    i.repo === repo.fullName && i.number === Number(number);
  const issue = state.issues.find(matches);
  if (issue) return { kind: 'issues', item: issue };
  const pull = state.pulls.find(matches);
  if (pull) return { kind: 'pull', item: pull };
  throw notFound();
}

function commentCount(state: GitHubState, repo: SandboxRepo, number: number): number {
  return state.comments.filter((c) => c.repo === repo.fullName && c.issueNumber === number).length;
}

function issueView(state: GitHubState, base: UrlBase, repo: SandboxRepo, found: IssueLike) {
  const item = found.kind === 'issues' ? { issue: found.item } : { pull: found.item };
  return issueJson(base, repo, item, commentCount(state, repo, found.item.number));
}

function registerIssues(api: ApiRoutes, state: GitHubState): void {
  api('GET', '/repos/:owner/:repo/issues', ({ req, base }) => {
    const repo = repoOf(state, req);
    return paginate(req, base, listedIssues(state, repo, req), (found) =>
      issueView(state, base, repo, found),
    );
  });

  api('POST', '/repos/:owner/:repo/issues', ({ req, base, input, login }) => {
    const repo = repoOf(state, req);
    const title = typeof input.title === 'number' ? String(input.title) : input.title;
    if (typeof title !== 'string' || title === '')
      throw validationFailed([{ resource: 'Issue', field: 'title', code: 'missing_field' }]);
    const names = stringList(input.labels);
    ensureLabels(state, repo, names);
    const now = timestamp();
    const issue: SandboxIssue = {
      id: nextId(state),
      number: nextIssueNumber(state, repo.fullName),
      repo: repo.fullName,
      title,
      body: typeof input.body === 'string' ? input.body : null,
      state: 'open',
      stateReason: null,
      labels: [...new Set(names)],
      user: login,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      closedBy: null,
    };
    state.issues.push(issue);
    const body = issueView(state, base, repo, { kind: 'issues', item: issue });
    return { status: 201, headers: { location: String(body.url) }, body };
  });

  api('GET', '/repos/:owner/:repo/issues/:number', ({ req, base }) => {
    const repo = repoOf(state, req);
    return { status: 200, body: issueView(state, base, repo, issueOf(state, repo, req.params.number)) };
  });

  api('PATCH', '/repos/:owner/:repo/issues/:number', ({ req, base, input, login }) => {
    const repo = repoOf(state, req);
    const found = issueOf(state, repo, req.params.number);
    editIssue(state, repo, found, input, login);
    return { status: 200, body: issueView(state, base, repo, found) };
  });
}

/** Applies `PATCH …/issues/{n}`: title, body, labels, and state with its reason. */
function editIssue(
  state: GitHubState,
  repo: SandboxRepo,
  found: IssueLike,
  input: Record<string, unknown>,
  login: string,
): void {
  const { item } = found;
  if (input.title !== undefined) {
    const title = typeof input.title === 'number' ? String(input.title) : input.title;
    if (typeof title !== 'string' || title === '')
      throw validationFailed([{ resource: 'Issue', field: 'title', code: 'invalid' }]);
    item.title = title;
  }
  if (input.body !== undefined) item.body = typeof input.body === 'string' ? input.body : null;
  if (Array.isArray(input.labels)) {
    const names = labelNames({ labels: input.labels });
    ensureLabels(state, repo, names);
    item.labels = [...new Set(names)];
  }
  const wanted = input.state;
  if (wanted !== undefined && wanted !== 'open' && wanted !== 'closed')
    throw validationFailed([{ resource: 'Issue', field: 'state', code: 'invalid' }]);
  if (wanted !== undefined && wanted !== item.state) changeState(found, wanted, input.state_reason, login);
  item.updatedAt = timestamp();
}

function changeState(found: IssueLike, wanted: 'open' | 'closed', reason: unknown, login: string): void {
  const now = timestamp();
  if (found.kind === 'pull') {
    if (found.item.merged)
      throw validationFailed([
        {
          resource: 'Issue',
          code: 'custom',
          message: 'state cannot be changed. The pull request has been merged.',
        },
      ]);
    Object.assign(found.item, { state: wanted, closedAt: wanted === 'closed' ? now : null });
    return;
  }
  const closing = wanted === 'closed';
  const reasons = closing ? ['completed', 'not_planned', 'duplicate'] : ['reopened'];
  Object.assign(found.item, {
    state: wanted,
    stateReason:
      typeof reason === 'string' && reasons.includes(reason) ? reason : closing ? 'completed' : 'reopened',
    closedAt: closing ? now : null,
    closedBy: closing ? login : null,
  });
}

/** `GET …/issues` with its `state`, `creator`, `labels` (all must match), `sort` and `direction` filters. */
function listedIssues(state: GitHubState, repo: SandboxRepo, req: SandboxRequest): IssueLike[] {
  const q = req.url.searchParams;
  const wanted = q.get('state') ?? 'open';
  const creator = q.get('creator')?.toLowerCase();
  const labels = (q.get('labels') ?? '').split(',').filter(Boolean);
  const sortKey = q.get('sort') === 'updated' ? 'updatedAt' : 'createdAt';
  const direction = q.get('direction') === 'asc' ? 1 : -1;
  const all: IssueLike[] = [
    ...state.issues.map((item) => ({ kind: 'issues' as const, item })),
    ...state.pulls.map((item) => ({ kind: 'pull' as const, item })),
  ];
  return all
    .filter(({ item }) => item.repo === repo.fullName)
    .filter(({ item }) => wanted === 'all' || item.state === wanted)
    .filter(({ item }) => creator === undefined || item.user.toLowerCase() === creator)
    .filter(({ item }) => labels.every((l) => item.labels.includes(l)))
    .sort(
      (a, b) => direction * (a.item[sortKey].localeCompare(b.item[sortKey]) || a.item.number - b.item.number),
    );
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
    const pr = issueOf(state, repo, req.params.number);
    const comments = state.comments.filter(
      (c) => c.repo === repo.fullName && c.issueNumber === pr.item.number,
    );
    return paginate(req, base, comments, (c) => commentJson(base, repo, c, pr.kind));
  });

  api('POST', '/repos/:owner/:repo/issues/:number/comments', ({ req, base, input, login }) => {
    const repo = repoOf(state, req);
    const pr = issueOf(state, repo, req.params.number);
    if (typeof input.body !== 'string' || input.body === '') {
      throw validationFailed([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    }
    const now = timestamp();
    const comment = {
      id: nextId(state),
      repo: repo.fullName,
      issueNumber: pr.item.number,
      body: input.body,
      user: login,
      createdAt: now,
      updatedAt: now,
    };
    state.comments.push(comment);
    const body = commentJson(base, repo, comment, pr.kind);
    return { status: 201, headers: { location: String(body.url) }, body };
  });
}

function registerLabels(api: ApiRoutes, state: GitHubState): void {
  api('GET', '/repos/:owner/:repo/issues/:number/labels', ({ req, base }) => {
    const repo = repoOf(state, req);
    return labelsBody(base, repo, issueOf(state, repo, req.params.number).item);
  });

  api('POST', '/repos/:owner/:repo/issues/:number/labels', ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const pr = issueOf(state, repo, req.params.number).item;
    const names = labelNames(input);
    ensureLabels(state, repo, names);
    pr.labels = [...new Set([...pr.labels, ...names])];
    pr.updatedAt = timestamp();
    return labelsBody(base, repo, pr);
  });

  api('PUT', '/repos/:owner/:repo/issues/:number/labels', ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const pr = issueOf(state, repo, req.params.number).item;
    const names = labelNames(input);
    ensureLabels(state, repo, names);
    pr.labels = [...new Set(names)];
    pr.updatedAt = timestamp();
    return labelsBody(base, repo, pr);
  });

  api('DELETE', '/repos/:owner/:repo/issues/:number/labels/:name', ({ req, base }) => {
    const repo = repoOf(state, req);
    const pr = issueOf(state, repo, req.params.number).item;
    if (!pr.labels.includes(req.params.name ?? '')) {
      throw new ApiError(404, { message: 'Label does not exist', documentation_url: DOCS, status: '404' });
    }
    pr.labels = pr.labels.filter((l) => l !== req.params.name);
    pr.updatedAt = timestamp();
    return labelsBody(base, repo, pr);
  });
}

function labelsBody(base: UrlBase, repo: SandboxRepo, pr: SandboxPull | SandboxIssue): SandboxResponse {
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
