/** Pull requests: list, open, read, edit, find by commit, reviewers and reviews (merging is in pull-merge). */
import type { SandboxRequest } from '../http.js';
import { commitsBetween } from './bare-repo.js';
import { type ApiRoutes, paginate, stringList, timestamp, validationFailed } from './github-api.js';
import { reviewJson } from './github-json.js';
import type { GitHubState, SandboxPull, SandboxRepo } from './github-state.js';
import { commitOf, type GitHubWorld, pullOf, repoOf } from './github-world.js';
import { fullPull, newPull, simplePull } from './pull-views.js';

/** The login of the person who opens a pull request first in a race (see faults.pullOpenedMeanwhile). */
const RACER = 'octo-racer';

export function register(api: ApiRoutes, world: GitHubWorld): void {
  const { state } = world;

  api('GET', '/repos/:owner/:repo/pulls', ({ req, base }) => {
    const repo = repoOf(state, req);
    return paginate(req, base, listedPulls(state, repo, req), (pr) => simplePull(base, repo, pr));
  });

  api('POST', '/repos/:owner/:repo/pulls', async ({ req, base, input, login }) => {
    const repo = repoOf(state, req);
    const title = typeof input.title === 'string' ? input.title : '';
    const [headOwner = repo.owner, headRef = ''] = splitHead(String(input.head ?? ''));
    const baseRef = String(input.base ?? '');
    if (!title) throw validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
    const headSha = headOwner === repo.owner ? repo.branches[headRef] : undefined;
    const baseSha = repo.branches[baseRef];
    if (!headSha) throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    if (!baseSha) throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    // Before the check: GitHub opens a PR atomically, so no await may come between the check and the push.
    const opening = {
      headRef,
      headSha,
      baseRef,
      baseSha,
      commitShas: await commitsBetween(repo.dir, baseSha, headSha),
    };
    const racing = world.pendingPullRaces.indexOf(repo.fullName);
    if (racing >= 0) {
      world.pendingPullRaces.splice(racing, 1);
      const theirs = { title: `${title} (opened meanwhile)`, body: null, draft: false, user: RACER };
      state.pulls.push(newPull(state, repo, opening, theirs));
    }
    if (openPullFor(state, repo, headRef, baseRef)) {
      throw validationFailed([
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${repo.owner}:${headRef}.`,
        },
      ]);
    }
    if (opening.commitShas.length === 0) {
      throw validationFailed([
        { resource: 'PullRequest', code: 'custom', message: `No commits between ${baseRef} and ${headRef}` },
      ]);
    }
    const pr = newPull(state, repo, opening, {
      title,
      body: typeof input.body === 'string' ? input.body : null,
      draft: input.draft === true,
      user: login,
    });
    state.pulls.push(pr);
    const body = await fullPull(state, base, repo, pr);
    return { status: 201, headers: { location: String(body.url) }, body };
  });

  api('GET', '/repos/:owner/:repo/pulls/:number', async ({ req, base }) => {
    const repo = repoOf(state, req);
    return { status: 200, body: await fullPull(state, base, repo, pullOf(state, repo, req.params.number)) };
  });

  api('PATCH', '/repos/:owner/:repo/pulls/:number', async ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const pr = pullOf(state, repo, req.params.number);
    if (typeof input.base === 'string' && input.base !== pr.base.ref) {
      if (!repo.branches[input.base])
        throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      pr.base = { ref: input.base, sha: repo.branches[input.base] ?? '' };
      pr.commitShas = await commitsBetween(repo.dir, pr.base.sha, pr.head.sha);
    }
    if (input.state === 'open' && pr.state === 'closed') {
      const reason = reopenRefusal(state, repo, pr);
      if (reason) throw validationFailed([{ resource: 'PullRequest', code: 'custom', message: reason }]);
      Object.assign(pr, { state: 'open', closedAt: null });
    } else if (input.state === 'closed' && pr.state === 'open') {
      Object.assign(pr, { state: 'closed', closedAt: timestamp() });
    }
    if (typeof input.title === 'string') pr.title = input.title;
    if (typeof input.body === 'string') pr.body = input.body;
    pr.updatedAt = timestamp();
    return { status: 200, body: await fullPull(state, base, repo, pr) };
  });

  api('GET', '/repos/:owner/:repo/commits/:sha/pulls', async ({ req, base }) => {
    const repo = repoOf(state, req);
    const sha = await commitOf(repo, req.params.sha);
    const pulls = state.pulls.filter(
      (p) => p.repo === repo.fullName && (p.commitShas.includes(sha) || p.mergeCreatedShas.includes(sha)),
    );
    return paginate(req, base, pulls, (pr) => simplePull(base, repo, pr));
  });

  registerReviews(api, state);
}

/** Requested reviewers (people and teams) and the reviews people left. */
function registerReviews(api: ApiRoutes, state: GitHubState): void {
  api('POST', '/repos/:owner/:repo/pulls/:number/requested_reviewers', ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const pr = pullOf(state, repo, req.params.number);
    const reviewers = stringList(input.reviewers);
    if (reviewers.includes(pr.user)) {
      throw validationFailed([], 'Review cannot be requested from pull request author.');
    }
    pr.requestedReviewers = [...new Set([...pr.requestedReviewers, ...reviewers])];
    pr.requestedTeams = [...new Set([...pr.requestedTeams, ...stringList(input.team_reviewers)])];
    pr.updatedAt = timestamp();
    return { status: 201, body: simplePull(base, repo, pr) };
  });

  api('DELETE', '/repos/:owner/:repo/pulls/:number/requested_reviewers', ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const pr = pullOf(state, repo, req.params.number);
    const reviewers = stringList(input.reviewers);
    const teams = stringList(input.team_reviewers);
    pr.requestedReviewers = pr.requestedReviewers.filter((r) => !reviewers.includes(r));
    pr.requestedTeams = pr.requestedTeams.filter((t) => !teams.includes(t));
    pr.updatedAt = timestamp();
    return { status: 200, body: simplePull(base, repo, pr) };
  });

  api('GET', '/repos/:owner/:repo/pulls/:number/reviews', ({ req, base }) => {
    const repo = repoOf(state, req);
    const pr = pullOf(state, repo, req.params.number);
    const reviews = state.reviews.filter((r) => r.repo === repo.fullName && r.pullNumber === pr.number);
    return paginate(req, base, reviews, (r) => reviewJson(base, repo, r));
  });
}

/** `GET …/pulls` with its `state`, `head`, `base`, `sort` and `direction` filters. */
function listedPulls(state: GitHubState, repo: SandboxRepo, req: SandboxRequest): SandboxPull[] {
  const q = req.url.searchParams;
  const wanted = q.get('state') ?? 'open';
  const [headOwner, headBranch] = splitHead(q.get('head'));
  const baseBranch = q.get('base');
  const sortKey = q.get('sort') === 'updated' ? 'updatedAt' : 'createdAt';
  const direction = q.get('direction') === 'asc' ? 1 : -1;
  return state.pulls
    .filter((p) => p.repo === repo.fullName)
    .filter((p) => wanted === 'all' || p.state === wanted)
    .filter(
      (p) =>
        headOwner === undefined ||
        (headOwner === repo.owner && (headBranch === undefined || p.head.ref === headBranch)),
    )
    .filter((p) => !baseBranch || p.base.ref === baseBranch)
    .sort((a, b) => direction * (a[sortKey].localeCompare(b[sortKey]) || a.number - b.number));
}

function openPullFor(
  state: GitHubState,
  repo: SandboxRepo,
  headRef: string,
  baseRef: string,
  except?: SandboxPull,
): SandboxPull | undefined {
  return state.pulls.find(
    (p) =>
      p !== except &&
      p.repo === repo.fullName &&
      p.state === 'open' &&
      p.head.ref === headRef &&
      p.base.ref === baseRef,
  );
}

/** Why GitHub will not reopen `pr`, or undefined when it will. */
function reopenRefusal(state: GitHubState, repo: SandboxRepo, pr: SandboxPull): string | undefined {
  if (pr.merged)
    return 'state cannot be changed. The pull request cannot be reopened because it has been merged.';
  if (!repo.branches[pr.head.ref]) return 'state cannot be changed. The head branch was deleted.';
  return openPullFor(state, repo, pr.head.ref, pr.base.ref, pr)
    ? `A pull request already exists for ${repo.owner}:${pr.head.ref}.`
    : undefined;
}

/** `owner:branch` -> [owner, branch]; without a colon the whole value is the branch and the owner is unknown. */
function splitHead(head: string | null): [string | undefined, string | undefined] {
  if (!head) return [undefined, undefined];
  const colon = head.indexOf(':');
  return colon < 0 ? [undefined, head] : [head.slice(0, colon), head.slice(colon + 1)];
}
