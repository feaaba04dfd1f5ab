/** Commit statuses and check runs: what CI posts and `run monitor` reads. */
import { type ApiRoutes, timestamp, validationFailed } from './github-api.js';
import { checkRunJson, combinedStatusJson, statusJson } from './github-json.js';
import { nextId, type SandboxCheckRun, type SandboxStatus } from './github-state.js';
import { commitOf, type GitHubWorld, repoOf } from './github-world.js';

const STATUS_STATES: readonly SandboxStatus['state'][] = ['error', 'failure', 'pending', 'success'];

export function register(api: ApiRoutes, { state }: GitHubWorld): void {
  api('POST', '/repos/:owner/:repo/statuses/:sha', async ({ req, base, input, login }) => {
    const repo = repoOf(state, req);
    const sha = await commitOf(repo, req.params.sha);
    const statusState = String(input.state ?? '');
    if (!STATUS_STATES.includes(statusState as SandboxStatus['state'])) {
      throw validationFailed([{ resource: 'Status', field: 'state', code: 'invalid' }]);
    }
    const now = timestamp();
    const status: SandboxStatus = {
      id: nextId(state),
      repo: repo.fullName,
      sha,
      state: statusState as SandboxStatus['state'],
      context: typeof input.context === 'string' ? input.context : 'default',
      description: typeof input.description === 'string' ? input.description : null,
      targetUrl: typeof input.target_url === 'string' ? input.target_url : null,
      creator: login,
      createdAt: now,
      updatedAt: now,
    };
    state.statuses.push(status);
    const body = statusJson(base, repo, status);
    return { status: 201, headers: { location: String(body.url) }, body };
  });

  api('GET', '/repos/:owner/:repo/commits/:ref/status', async ({ req, base }) => {
    const repo = repoOf(state, req);
    const sha = await commitOf(repo, req.params.ref);
    const statuses = state.statuses.filter((s) => s.repo === repo.fullName && s.sha === sha);
    return { status: 200, body: combinedStatusJson(base, repo, sha, statuses) };
  });

  api('POST', '/repos/:owner/:repo/check-runs', async ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const sha = await commitOf(repo, typeof input.head_sha === 'string' ? input.head_sha : '');
    if (typeof input.name !== 'string' || input.name === '')
      throw validationFailed([{ resource: 'CheckRun', field: 'name', code: 'missing_field' }]);
    const conclusion = typeof input.conclusion === 'string' ? input.conclusion : null;
    // GitHub completes a run that is given a conclusion, and refuses a completed one without it.
    const runStatus = conclusion ? 'completed' : String(input.status ?? 'queued');
    if (
      !['queued', 'in_progress', 'completed'].includes(runStatus) ||
      (runStatus === 'completed' && !conclusion)
    )
      throw validationFailed([{ resource: 'CheckRun', field: 'conclusion', code: 'missing_field' }]);
    const now = timestamp();
    const run: SandboxCheckRun = {
      id: nextId(state),
      repo: repo.fullName,
      headSha: sha,
      name: input.name,
      status: runStatus as SandboxCheckRun['status'],
      conclusion,
      detailsUrl: typeof input.details_url === 'string' ? input.details_url : null,
      startedAt: now,
      completedAt: conclusion ? now : null,
    };
    state.checkRuns.push(run);
    return { status: 201, body: checkRunJson(base, repo, run) };
  });

  api('GET', '/repos/:owner/:repo/commits/:ref/check-runs', async ({ req, base }) => {
    const repo = repoOf(state, req);
    const sha = await commitOf(repo, req.params.ref);
    // `filter=latest` (GitHub's default): the newest run of each name.
    const latest = new Map<string, SandboxCheckRun>();
    for (const run of state.checkRuns.filter((r) => r.repo === repo.fullName && r.headSha === sha))
      latest.set(run.name, run);
    const runs = [...latest.values()];
    return {
      status: 200,
      body: { total_count: runs.length, check_runs: runs.map((r) => checkRunJson(base, repo, r)) },
    };
  });
}
