import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criticalPath } from '../../src/sandbox/critical-path.js';
import { sharedNow } from '../../src/sandbox/http.js';
import { shapingOption } from '../../src/sandbox/sandbox-command.js';
import { Link, type Shaping } from '../../src/sandbox/shaping.js';
import { type Sandbox, SERVICE_REPO, startSandbox } from '../../src/sandbox/start-sandbox.js';

const RTT = 100;

describe('the shaping model (Link)', () => {
  const shaping = (value: Shaping) => () => value;

  it('charges a request on a kept-alive connection one round trip: half up, half down', () => {
    const up = new Link(shaping({ latencyMs: RTT }));
    const down = new Link(shaping({ latencyMs: RTT }));
    const arrives = up.deliver(300, 1_000);
    expect(arrives).toBe(1_050);
    expect(down.deliver(2_000, arrives) - 1_000).toBe(RTT);
  });

  it('charges a new connection one more round trip for its handshake', () => {
    const opened = 1_000;
    const up = new Link(shaping({ latencyMs: RTT }), opened + RTT);
    const down = new Link(shaping({ latencyMs: RTT }));
    expect(down.deliver(2_000, up.deliver(300, opened)) - opened).toBe(2 * RTT);
  });

  it('serializes bytes at the bandwidth, one chunk after another, and keeps them in order', () => {
    const down = new Link(shaping({ latencyMs: 0, bandwidthMbps: 8 }));
    // 1 MB at 8 Mbit/s is one second on the wire; a second megabyte handed over at once waits for the first.
    expect(down.deliver(1_000_000, 0)).toBe(1_000);
    expect(down.deliver(1_000_000, 0)).toBe(2_000);
    expect(down.deliver(1_000, 5_000)).toBe(5_001);
  });

  it('keeps chunks in order when the latency drops while bytes are in flight', () => {
    const value: Shaping = { latencyMs: 200 };
    const down = new Link(() => value);
    const first = down.deliver(10, 0);
    value.latencyMs = 0;
    expect(down.deliver(10, 1)).toBeGreaterThanOrEqual(first);
  });
});

describe('sandbox up --latency-ms --bandwidth-mbps', () => {
  it('reads the link from the options, unlimited by default', () => {
    expect(shapingOption({})).toEqual({ latencyMs: 0, bandwidthMbps: 0 });
    expect(shapingOption({ latencyMs: '100', bandwidthMbps: '20' })).toEqual({
      latencyMs: 100,
      bandwidthMbps: 20,
    });
  });

  it.each([
    ['-5', undefined, '--latency-ms'],
    ['', undefined, '--latency-ms'],
    [undefined, 'fast', '--bandwidth-mbps'],
  ])('refuses latency %j and bandwidth %j, naming %s', (latencyMs, bandwidthMbps, setting) => {
    expect(() => shapingOption({ latencyMs, bandwidthMbps })).toThrow(
      expect.objectContaining({ location: { setting } }),
    );
  });
});

describe('a shaped sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ shaping: { latencyMs: RTT } });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('puts every service behind the same link', async () => {
    for (const [name, server] of Object.entries(sandbox.servers)) {
      expect(server.shaping, name).toEqual({ latencyMs: RTT });
      const before = server.shapingStats.connections;
      await (await fetch(`${server.url}/`)).arrayBuffer();
      expect(server.shapingStats.connections, name).toBe(before + 1);
      expect(server.shapingStats.bytesDown, name).toBeGreaterThan(0);
    }
  });

  it('makes Octokit pay a round trip per sequential request and one per new connection', async () => {
    const octokit = new Octokit({ baseUrl: sandbox.env.GITHUB_API_URL, auth: sandbox.env.GITHUB_TOKEN });
    const github = sandbox.servers.github;
    const connections = github.shapingStats.connections;
    const from = sandbox.github.router.calls.length;
    const started = sharedNow();
    for (let i = 0; i < 4; i++) await octokit.rest.repos.get({ owner: 'acme', repo: 'vm-manager' });
    const elapsed = sharedNow() - started;
    const calls = sandbox.github.router.calls.slice(from);
    const opened = github.shapingStats.connections - connections;
    expect(calls).toHaveLength(4);
    expect(criticalPath(calls).roundTrips).toBe(4);
    // Kept alive: one handshake for the four requests.
    expect(opened).toBe(1);
    // The shaper's delays are a floor no machine can beat (a timer fires at most a millisecond early).
    expect(elapsed).toBeGreaterThanOrEqual((calls.length + opened) * RTT - 2);
    // Recorded as the client sees them: a request is at least one round trip long.
    for (const call of calls) expect(call.end - call.start).toBeGreaterThanOrEqual(RTT);
  });

  it('records requests made together as one round trip on the critical path', async () => {
    const octokit = new Octokit({ baseUrl: sandbox.env.GITHUB_API_URL, auth: sandbox.env.GITHUB_TOKEN });
    const from = sandbox.github.router.calls.length;
    await Promise.all(
      Array.from({ length: 4 }, () => octokit.rest.pulls.list({ owner: 'acme', repo: 'vm-manager' })),
    );
    const calls = sandbox.github.router.calls.slice(from);
    expect(calls).toHaveLength(4);
    expect(criticalPath(calls).roundTrips).toBe(1);
  });

  it('makes git clone pay a round trip per smart-HTTP request', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'shaped-clone-'));
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${sandbox.tokens.github}`).toString('base64')}`;
    const github = sandbox.servers.github;
    const connections = github.shapingStats.connections;
    const from = sandbox.github.router.calls.length;
    const started = sharedNow();
    // Asynchronously: the server answering this clone runs in this very process.
    await promisify(execFile)('git', [
      '-c',
      `http.extraHeader=${header}`,
      'clone',
      '--quiet',
      '--depth',
      '1',
      sandbox.cloneUrl(SERVICE_REPO),
      path.join(work, 'clone'),
    ]);
    const elapsed = sharedNow() - started;
    const calls = sandbox.github.router.calls.slice(from);
    const opened = github.shapingStats.connections - connections;
    expect(calls.length).toBeGreaterThanOrEqual(2);
    // git's requests depend on each other's answers: all of them are on the critical path.
    expect(criticalPath(calls).roundTrips).toBe(calls.length);
    expect(opened).toBeGreaterThanOrEqual(1);
    expect(elapsed).toBeGreaterThanOrEqual((calls.length + opened) * RTT - 2);
  });

  it('slows a git clone to the bandwidth when a running service is reshaped', async () => {
    const github = sandbox.servers.github;
    github.shaping.latencyMs = 0;
    github.shaping.bandwidthMbps = 1;
    try {
      const work = mkdtempSync(path.join(tmpdir(), 'shaped-clone-'));
      const header = `Authorization: Basic ${Buffer.from(`x-access-token:${sandbox.tokens.github}`).toString('base64')}`;
      const bytes = github.shapingStats.bytesDown + github.shapingStats.bytesUp;
      const started = sharedNow();
      await promisify(execFile)('git', [
        '-c',
        `http.extraHeader=${header}`,
        'clone',
        '--quiet',
        sandbox.cloneUrl(SERVICE_REPO),
        path.join(work, 'clone'),
      ]);
      const elapsed = sharedNow() - started;
      const carried = github.shapingStats.bytesDown + github.shapingStats.bytesUp - bytes;
      // Each direction is serialized at 1 Mbit/s: at least the larger direction's bytes over the bandwidth.
      expect(carried).toBeGreaterThan(1_000);
      expect(elapsed).toBeGreaterThanOrEqual(((carried / 2) * 8) / 1_000 - 2);
    } finally {
      github.shaping.latencyMs = RTT;
      delete github.shaping.bandwidthMbps;
    }
  });
});
