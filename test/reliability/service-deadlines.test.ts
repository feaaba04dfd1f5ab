/**
 * Every outside call has a deadline (issue 15): a GitHub API, a git server or a CircleCI that accepts the
 * connection and never answers ends the command with exit 1, naming the service, what it was doing, the
 * endpoint and the variable that set it. Deadlines are shortened through the environment; no timing is asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runCliAsync } from '../cli/run-cli-async.js';
import { flowEnv } from './sandbox-flow.js';

let sandbox: Sandbox;
let scratch: string;
let blackHole: string;
const servers: Server[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0.001 } });
  scratch = await mkdtemp(path.join(tmpdir(), 'hephestus-service-deadlines-'));
  const server = createServer(() => undefined);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  blackHole = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

const env = (overrides: Record<string, string>) => ({
  ...flowEnv(sandbox),
  TMPDIR: scratch,
  HEPHESTUS_WORK_DIR: scratch,
  HEPHESTUS_HTTP_TIMEOUT_SECONDS: '1',
  HEPHESTUS_GIT_STALL_SECONDS: '1',
  ...overrides,
});

const openUpdate = (overrides: Record<string, string>) =>
  runCliAsync(['run', 'open-update', '--repo', IMAGES_REPO, '--branch', 'main'], { env: env(overrides) });

describe('every outside call has a deadline', () => {
  it('a black-hole GitHub API: exit 1, GitHub, what it was doing, no answer, GITHUB_API_URL', async () => {
    const run = await openUpdate({ GITHUB_API_URL: blackHole });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `GitHub: could not .*: no answer within 1 s, 4 attempts; endpoint ${blackHole} \\(set by GITHUB_API_URL\\)`,
      ),
    );
  });

  it('a black-hole git server: exit 1, git, the clone, and what to check', async () => {
    const run = await openUpdate({ GITHUB_SERVER_URL: blackHole });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain(`git: clone of ${blackHole}/${IMAGES_REPO}`);
    expect(run.stderr).toContain('Hint: the git server stopped sending; check GITHUB_SERVER_URL');
  });

  it('a black-hole CircleCI: exit 1, CircleCI, the trigger, no answer, CIRCLECI_HOST', async () => {
    const run = await runCliAsync(
      [
        'trigger',
        '--project-slug',
        'gh/acme/vm-manager',
        '--branch',
        'main',
        '--parameters',
        '{"images":"win2022"}',
      ],
      { env: env({ CIRCLECI_HOST: blackHole }) },
    );
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `CircleCI: could not trigger a pipeline in gh/acme/vm-manager: no answer within 1 s, 4 attempts; endpoint ${blackHole} \\(set by CIRCLECI_HOST\\)`,
      ),
    );
  });
});
