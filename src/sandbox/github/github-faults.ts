/**
 * The failures tests script on the sandbox's GitHub: 5xx answers, both rate limits, a push beaten by someone
 * else's, a pull request opened meanwhile, an unreachable git remote.
 */
import type { Fault, Router, SandboxResponse } from '../http.js';
import { commitFileOnBranch, type GitIdentity, updateBranch } from './bare-repo.js';
import { gitRoutes } from './git-http.js';
import { DOCS, RATE_LIMIT, type RateWindow, rateHeaders, requestId } from './github-api.js';
import { type GitHubWorld, syncRepo } from './github-world.js';

interface FaultTiming {
  times?: number;
  after?: number;
}

const rateFault = (route: string | undefined, f: FaultTiming, respond: SandboxResponse): Fault => ({
  route: route ?? '*',
  times: f.times ?? 1,
  after: f.after,
  respond,
});

/** The `faults` object of the GitHub service. */
export function gitHubFaults(router: Router, rate: RateWindow, world: GitHubWorld) {
  return {
    /** The next `times` calls to `route` (`METHOD /pattern`, default every route) answer 502 or 503. */
    serverErrors(route?: string, f: { status?: 502 | 503 } & FaultTiming = {}) {
      const status = f.status ?? 502;
      router.inject(
        rateFault(route, f, {
          status,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: {
            message: status === 502 ? 'Server Error' : 'Service Unavailable',
            documentation_url: DOCS,
          },
        }),
      );
    },
    /** The primary rate limit: after `after` calls, `times` calls answer 403 with `x-ratelimit-remaining: 0`. */
    rateLimit(route?: string, f: { resetInSeconds?: number } & FaultTiming = {}) {
      const reset = Math.floor(Date.now() / 1000) + (f.resetInSeconds ?? 1);
      router.inject(
        rateFault(route, f, {
          status: 403,
          headers: {
            ...rateHeaders(rate, 0),
            'x-ratelimit-reset': String(reset),
            'x-ratelimit-used': String(RATE_LIMIT),
          },
          body: {
            message: `API rate limit exceeded for user ID 5000. If you reach out to GitHub Support for help, please include the request ID ${requestId()}.`,
            documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
            status: '403',
          },
        }),
      );
    },
    /** A secondary rate limit: `times` calls answer 403 (or 429) with `retry-after`. */
    secondaryRateLimit(route?: string, f: { status?: 403 | 429; retryAfter?: number } & FaultTiming = {}) {
      router.inject(
        rateFault(route, f, {
          status: f.status ?? 403,
          headers: { ...rateHeaders(rate), 'retry-after': String(f.retryAfter ?? 1) },
          body: {
            message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId()}.`,
            documentation_url:
              'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
            status: String(f.status ?? 403),
          },
        }),
      );
    },
    /** The next push to `owner/name` finds `branch` moved (created, if it did not exist) by someone else: a commit by `author` lands just before the push's ref advertisement. */
    rejectNextPush(
      fullName: string,
      branch: string,
      change: { path?: string; content?: string; author?: GitIdentity } = {},
    ) {
      world.pendingPushRejections.push({
        repo: fullName,
        branch,
        path: change.path ?? 'CONCURRENT_CHANGE.md',
        content: change.content ?? 'Someone else pushed first.\n',
        author: change.author ?? { name: 'Someone Else', email: 'someone@sandbox.invalid' },
      });
    },
    /** The next pull request created in `owner/name` races one opened for the same branch by someone else just before: GitHub's 422 "already exists". */
    pullOpenedMeanwhile(fullName: string) {
      world.pendingPullRaces.push(fullName);
    },
    /** The next `times` git operations find the remote unreachable (the connection drops). */
    gitUnreachable(times = 1) {
      router.inject({ route: gitRoutes.infoRefs, times, hangUp: true });
    },
    clear: () => {
      router.clearFaults();
      world.pendingPushRejections.length = 0;
      world.pendingPullRaces.length = 0;
    },
  };
}

/** Before a push to `owner/name`: lands someone else's commit when a test asked for it (rejectNextPush). */
export async function landPendingPushRejection(
  world: GitHubWorld,
  owner: string,
  name: string,
): Promise<void> {
  const index = world.pendingPushRejections.findIndex((r) => r.repo === `${owner}/${name}`);
  if (index < 0) return;
  const [rejection] = world.pendingPushRejections.splice(index, 1);
  const repo = world.state.repos.get(`${owner}/${name}`);
  if (!rejection || !repo) return;
  // Someone may also be first to create the branch: theirs then starts from the default branch.
  if (repo.branches[rejection.branch] === undefined) {
    const base = repo.branches[repo.defaultBranch] as string;
    await updateBranch(repo.dir, rejection.branch, base, '');
  }
  await commitFileOnBranch(
    repo.dir,
    rejection.branch,
    rejection.path,
    rejection.content,
    'Someone else pushed first',
    rejection.author,
  );
  await syncRepo(world.state, repo);
}
