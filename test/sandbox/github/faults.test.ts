import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { RequestError } from '@octokit/request-error';
import { Octokit } from '@octokit/rest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gitHubOpenApi } from '../openapi.js';
import { type GitHubHarness, NAME, OWNER, startGitHub, TOKEN } from './setup.js';

let h: GitHubHarness;
const repo = { owner: OWNER, repo: NAME };
const ResilientOctokit = Octokit.plugin(retry, throttling);
// Without the retry plugin, which would retry a 429 itself before throttling sees it.
const ThrottledOctokit = Octokit.plugin(throttling);

beforeAll(async () => {
  h = await startGitHub();
});
afterAll(() => h.close());
afterEach(() => {
  h.service.faults.clear();
  expect(h.problems.splice(0)).toEqual([]);
});

/** The error a plain client gets, with its body checked against GitHub's description like every other response. */
async function failure(promise: Promise<unknown>, method: string, path: string): Promise<RequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RequestError)) throw new Error(`expected a RequestError, got ${String(error)}`);
  expect(gitHubOpenApi().validateResponse(method, path, error.status, error.response?.data)).toEqual([]);
  return error;
}

const PULLS = 'GET /repos/:owner/:repo/pulls';
const pullsPath = `/repos/${OWNER}/${NAME}/pulls`;

describe('scripted GitHub faults', () => {
  it('answers a burst of 502s on one route, which the retry plugin rides out', async () => {
    h.service.faults.serverErrors(PULLS, { status: 502, times: 1 });
    const first = await failure(h.octokit.rest.pulls.list(repo), 'GET', pullsPath);
    expect(first.status).toBe(502);
    expect((await h.octokit.rest.repos.get(repo)).status).toBe(200);

    h.service.faults.serverErrors(PULLS, { status: 503, times: 2 });
    const client = new ResilientOctokit({
      auth: TOKEN,
      baseUrl: h.server.url,
      retry: { retryAfterBaseValue: 5 },
      throttle: { enabled: false, onRateLimit: () => false, onSecondaryRateLimit: () => false },
    });
    const before = h.service.router.count(PULLS);
    expect((await client.rest.pulls.list(repo)).status).toBe(200);
    expect(h.service.router.count(PULLS) - before).toBe(3);
  });

  it('hits the primary rate limit after K calls: 403 with x-ratelimit-remaining 0, then recovers after the reset', async () => {
    h.service.faults.rateLimit(PULLS, { after: 2, times: 1, resetInSeconds: 1 });
    await h.octokit.rest.pulls.list(repo);
    await h.octokit.rest.pulls.list(repo);
    const limited = await failure(h.octokit.rest.pulls.list(repo), 'GET', pullsPath);
    expect(limited.status).toBe(403);
    expect(limited.response?.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(limited.response?.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    expect(limited.response?.data).toMatchObject({
      message: expect.stringMatching(/^API rate limit exceeded/),
    });

    h.service.faults.rateLimit(PULLS, { times: 1, resetInSeconds: 0 });
    const waits: number[] = [];
    const client = new ResilientOctokit({
      auth: TOKEN,
      baseUrl: h.server.url,
      throttle: {
        retryAfterBaseValue: 5,
        onRateLimit: (after) => {
          waits.push(after);
          return true;
        },
        onSecondaryRateLimit: () => false,
      },
    });
    expect((await client.rest.pulls.list(repo)).status).toBe(200);
    expect(waits).toHaveLength(1);
  });

  it.each([403, 429] as const)('answers a secondary rate limit with %i and retry-after', async (status) => {
    h.service.faults.secondaryRateLimit(PULLS, { status, retryAfter: 3, times: 1 });
    const limited = await failure(h.octokit.rest.pulls.list(repo), 'GET', pullsPath);
    expect(limited.status).toBe(status);
    expect(limited.response?.headers['retry-after']).toBe('3');
    expect(limited.message).toMatch(/secondary rate limit/);

    h.service.faults.secondaryRateLimit(PULLS, { status, retryAfter: 3, times: 1 });
    const waits: number[] = [];
    const client = new ThrottledOctokit({
      auth: TOKEN,
      baseUrl: h.server.url,
      throttle: {
        retryAfterBaseValue: 5,
        onRateLimit: () => false,
        onSecondaryRateLimit: (after) => {
          waits.push(after);
          return true;
        },
      },
    });
    expect((await client.rest.pulls.list(repo)).status).toBe(200);
    expect(waits).toEqual([3]);
  });

  it('limits a fault to its route and leaves the others alone', async () => {
    h.service.faults.serverErrors('POST /repos/:owner/:repo/pulls', { status: 503, times: 1 });
    expect((await h.octokit.rest.pulls.list(repo)).status).toBe(200);
    const created = await failure(
      h.octokit.rest.pulls.create({ ...repo, head: 'x', base: 'main', title: 'x' }),
      'POST',
      pullsPath,
    );
    expect(created.status).toBe(503);
  });
});
