import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubClient } from '../../src/github/github-client.js';
import {
  CLIENT_CONCURRENT_REQUESTS,
  MAX_CONCURRENT_REQUESTS,
  pacingFloorMs,
  WriteQueue,
} from '../../src/github/request-limits.js';

/** A GitHub stand-in that answers every request after `delayMs` and records how many were in flight at once. */
function countingServer(delayMs: number) {
  const seen = {
    inFlight: 0,
    maxInFlight: 0,
    writesInFlight: 0,
    maxWritesInFlight: 0,
    requests: [] as string[],
  };
  const server: Server = createServer((req, res) => {
    const write = req.method !== 'GET';
    seen.inFlight++;
    if (write) seen.writesInFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
    seen.maxWritesInFlight = Math.max(seen.maxWritesInFlight, seen.writesInFlight);
    seen.requests.push(`${req.method} ${req.url}`);
    req.resume();
    setTimeout(() => {
      seen.inFlight--;
      if (write) seen.writesInFlight--;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    }, delayMs);
  });
  return { server, seen };
}

let stand: ReturnType<typeof countingServer>;
let url: string;

beforeAll(async () => {
  stand = countingServer(25);
  await new Promise<void>((resolve) => stand.server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(stand.server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => stand.server.close(() => resolve())));

function client(pacing: boolean): GitHubClient {
  return new GitHubClient({ token: 'ghs_limits', baseUrl: url, pacing, retries: 0 });
}

describe("GitHub's secondary rate limits", () => {
  it('keeps 150 concurrent GETs within 100 in flight, yet runs them concurrently', async () => {
    Object.assign(stand.seen, { maxInFlight: 0, requests: [] });
    const github = client(false);
    await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        github.octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: `r${i}` }),
      ),
    );
    expect(stand.seen.requests).toHaveLength(150);
    expect(stand.seen.maxInFlight).toBeLessThanOrEqual(MAX_CONCURRENT_REQUESTS);
    // Concurrently: more than a handful at once, within the client's own cap.
    expect(stand.seen.maxInFlight).toBeGreaterThan(2);
    expect(stand.seen.maxInFlight).toBeLessThanOrEqual(CLIENT_CONCURRENT_REQUESTS);
  });

  it('makes POST, PATCH and PUT one at a time, with the pacing off and reads going on beside them', async () => {
    Object.assign(stand.seen, { maxInFlight: 0, maxWritesInFlight: 0, requests: [] });
    // Two clients, as a fan-out over two flow contexts would have: the queue is the process's.
    const [one, two] = [client(false), client(false)];
    const writes = Array.from({ length: 12 }, (_, i) => {
      const github = i % 2 ? one : two;
      const route = [
        'POST /repos/{owner}/{repo}/pulls',
        'PATCH /repos/{owner}/{repo}/pulls/1',
        'PUT /repos/{owner}/{repo}/topics',
      ][i % 3] as string;
      return github.octokit.request(route, { owner: 'acme', repo: `w${i}` });
    });
    const reads = Array.from({ length: 20 }, (_, i) =>
      one.octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: `r${i}` }),
    );
    await Promise.all([...writes, ...reads]);
    expect(stand.seen.requests.filter((r) => !r.startsWith('GET'))).toHaveLength(12);
    expect(stand.seen.maxWritesInFlight).toBe(1);
    expect(stand.seen.maxInFlight).toBeGreaterThan(1);
  });

  it('paces writes a second apart in production, no faster than the floor says', async () => {
    const github = client(true);
    const paths = ['/repos/acme/p/git/refs', '/repos/acme/p/git/trees'];
    const started = performance.now();
    await Promise.all(paths.map((path) => github.octokit.request(`POST ${path}`)));
    const took = performance.now() - started;
    const floor = pacingFloorMs(paths.map((path) => ({ method: 'POST', path })));
    expect(floor).toBe(1000);
    expect(took).toBeGreaterThanOrEqual(floor - 50);
  });
});

describe('pacingFloorMs', () => {
  const bump = (repo: string) => [
    { method: 'POST', path: `/repos/acme/${repo}/pulls` },
    { method: 'POST', path: `/repos/acme/${repo}/issues/7/labels` },
    { method: 'GET', path: `/repos/acme/${repo}/pulls` },
  ];

  it('counts a second between writes, three between writes that notify, and each answer before the next', () => {
    expect(pacingFloorMs([])).toBe(0);
    expect(pacingFloorMs(bump('app'))).toBe(1000);
    expect(pacingFloorMs(bump('app'), 100)).toBe(1100);
    // Opening a PR notifies people: the second repository's waits three seconds after the first's.
    expect(pacingFloorMs([...bump('a'), ...bump('b')])).toBe(4000);
    expect(
      pacingFloorMs(Array.from({ length: 20 }, (_, i) => bump(`c${i}`)).flat(), 100),
    ).toMatchInlineSnapshot(`58100`);
    // Slow answers, not the pacing, bound writes that take longer than a second.
    expect(
      pacingFloorMs(
        [
          { method: 'PATCH', path: '/repos/a/b/pulls/1' },
          { method: 'PUT', path: '/x' },
        ],
        1500,
      ),
    ).toBe(3000);
  });

  it('holds a failed write in its turn without stopping the queue', async () => {
    const queue = new WriteQueue();
    const order: string[] = [];
    const failed = queue.run(async () => {
      order.push('a');
      throw new Error('refused');
    });
    const next = queue.run(async () => order.push('b'));
    await expect(failed).rejects.toThrow('refused');
    await next;
    expect(order).toEqual(['a', 'b']);
  });
});
