import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExternalServiceError, FailureError, InputError } from '../../src/errors.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { PullRequests } from '../../src/github/pull-requests.js';
import { updateBranchName, updatePullRequest } from '../../src/github/update-pull-request.js';
import { Redactor } from '../../src/log/redact.js';
import { BOT, type Harness, routes, startHarness, TOKEN } from './github-sandbox.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => {
  h.service.faults.clear();
  expect(h.problems.splice(0)).toEqual([]);
});

const PULLS = 'GET /repos/:owner/:repo/pulls';
const CREATE = 'POST /repos/:owner/:repo/pulls';
const BRANCH = updateBranchName('windows-2022');
const request = {
  imageSet: 'windows-2022',
  branch: BRANCH,
  base: 'main',
  title: 'Update windows-2022',
  body: 'New AMIs.',
  labels: ['images'],
  author: BOT,
};

/** Every way an error could be printed or shipped, to look for the token in. */
function everyRendering(error: unknown): string {
  const e = error as Error;
  return [
    String(error),
    e.stack ?? '',
    inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    JSON.stringify(error),
    JSON.stringify(
      Object.getOwnPropertyNames(e).map((k) => [k, String((e as unknown as Record<string, unknown>)[k])]),
    ),
  ].join('\n');
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error(`expected a rejection, got ${String(error)}`);
  return error;
}

describe('GitHubClient against the sandbox', () => {
  it('rides out a burst of 502s and still opens the PR', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    h.service.faults.serverErrors(PULLS, { status: 502, times: 2 });
    const calls = h.record();
    const report = await updatePullRequest(r.prs, { status: 'pushed' }, request);
    expect(report.outcome).toBe('created');
    expect(
      calls
        .done()
        .filter((c) => `${c.method} ${c.route}` === PULLS)
        .map((c) => c.status),
    ).toEqual([502, 502, 200]);
  });

  it('gives up after its retries with an ExternalServiceError carrying the status', async () => {
    const r = await h.newRepo();
    h.service.faults.serverErrors(PULLS, { status: 503, times: 10 });
    const calls = h.record();
    const error = await rejection(r.prs.listOpen('main'));
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error).toMatchObject({ status: 503, exitCode: 1 });
    expect(error.message).toMatch(
      /^GitHub: could not list the open pull requests into main of acme\/images-\d+: Service Unavailable .*\(503\), 4 attempts.*; endpoint http:\/\/127\.0\.0\.1:\d+$/,
    );
    // One try and three retries: with 20 s per attempt, a dead GitHub ends the run in about a minute and a half.
    expect(calls.done()).toHaveLength(4);
  });

  it('waits out a secondary rate limit as retry-after says, then goes on', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    const warnings: string[] = [];
    const prs = new PullRequests(h.client({ log: { warn: (m) => warnings.push(m) } }), r);
    h.service.faults.secondaryRateLimit(CREATE, { retryAfter: 1, times: 1 });
    const started = Date.now();
    const report = await updatePullRequest(prs, { status: 'pushed' }, request);
    expect(report.outcome).toBe('created');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(warnings).toEqual([expect.stringMatching(/secondary rate limit hit by POST .*; retrying in 1 s/)]);
  });

  it('honours x-ratelimit-reset for the primary limit, and stops after its rate-limit retries', async () => {
    const r = await h.newRepo();
    h.service.faults.rateLimit(PULLS, { times: 1, resetInSeconds: 0 });
    expect(await r.prs.listOpen('main')).toEqual([]);

    const impatient = new PullRequests(h.client({ rateLimitRetries: 1 }), r);
    h.service.faults.rateLimit(PULLS, { times: 5, resetInSeconds: 0 });
    const error = await rejection(impatient.listOpen('main'));
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error.message).toMatch(/rate limited \(403\): API rate limit exceeded/);
  });

  it('fails at once when the rate limit resets later than it is willing to wait', async () => {
    const r = await h.newRepo();
    const prs = new PullRequests(h.client({ maxRateLimitWaitSeconds: 5 }), r);
    h.service.faults.rateLimit(PULLS, { times: 1, resetInSeconds: 3600 });
    const calls = h.record();
    const started = Date.now();
    await expect(prs.listOpen('main')).rejects.toBeInstanceOf(ExternalServiceError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(calls.done()).toHaveLength(1);
  });

  it('retries a request that gets no answer in time, then reports the timeout', async () => {
    const r = await h.newRepo();
    const prs = new PullRequests(h.client({ timeoutMs: 150, retries: 1 }), r);
    h.service.router.inject({ route: PULLS, times: 1, delayMs: 400 });
    expect(await prs.listOpen('main')).toEqual([]);

    h.service.router.inject({ route: PULLS, times: 2, delayMs: 400 });
    const error = await rejection(prs.listOpen('main'));
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error.message).toMatch(
      /could not list the open pull requests .*: no answer within 0\.15 s, 2 attempts; endpoint http:\/\/127\.0\.0\.1:\d+\. Hint:/,
    );
  });

  it('says which variable holds bad credentials, exit 2, and the token appears nowhere', async () => {
    const r = await h.newRepo();
    const canary = `${TOKEN}-wrong`;
    const client = new GitHubClient({
      token: canary,
      tokenSource: 'GITHUB_TOKEN',
      baseUrl: h.server.url,
      pacing: false,
    });
    const error = await rejection(new PullRequests(client, r).listOpen('main'));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ exitCode: 2, location: { setting: 'GITHUB_TOKEN' } });
    expect(error.message).toBe(
      `GitHub rejected GITHUB_TOKEN (401 Bad credentials) while trying to list the open pull requests into main of ${r.fullName}: set it to a valid token`,
    );
    const text = everyRendering(error);
    expect(new Redactor([canary]).leaks(text)).toBe(false);
    expect(text).not.toContain('authorization');
  });

  it('names an unknown repository as bad input', async () => {
    const prs = new PullRequests(h.client(), { owner: 'acme', repo: 'no-such-repo' });
    const error = await rejection(prs.listOpen('main'));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'GitHub: could not list the open pull requests into main of acme/no-such-repo: not found (404). Check the repository name, and that GITHUB_TOKEN can read it',
    );
  });

  it('keeps the token out of errors that echo it back in the answer', async () => {
    const r = await h.newRepo();
    h.service.router.inject({
      route: PULLS,
      times: 1,
      respond: { status: 400, body: { message: `Problems parsing token ${TOKEN}` } },
    });
    const error = await rejection(r.prs.listOpen('main'));
    expect(error).toBeInstanceOf(FailureError);
    expect(error.message).toContain('Problems parsing token [REDACTED]');
    expect(new Redactor([TOKEN]).leaks(everyRendering(error))).toBe(false);
  });

  it('reports an answer of the wrong shape as the service failing', async () => {
    const r = await h.newRepo();
    h.service.router.inject({ route: PULLS, times: 1, respond: { status: 200, body: [{ number: 'one' }] } });
    const error = await rejection(r.prs.listOpen('main'));
    expect(error).toBeInstanceOf(ExternalServiceError);
    expect(error.message).toMatch(/the answer did not have the expected shape \(number: /);
  });

  it('refuses to start without a token, and reads token and endpoint from the environment', async () => {
    expect(() => GitHubClient.fromEnv({})).toThrow(InputError);
    const r = await h.newRepo();
    const client = GitHubClient.fromEnv(
      { GH_TOKEN: TOKEN, GITHUB_API_URL: `${h.server.url}/` },
      { pacing: false },
    );
    const calls = h.record();
    expect(await new PullRequests(client, r).listOpen('main')).toEqual([]);
    expect(routes(calls.done())).toEqual([PULLS]);
  });
});
