/**
 * Fails fast and loud against any AWS (issue 15): a black-hole EC2 endpoint, an EC2 endpoint answering a web
 * page, an unknown AMI and a wrong SSM endpoint each end the command with exit 1 and a message naming the
 * service, the operation and the cause (and the endpoint's variable). The bundle runs as CI runs it; deadlines
 * are shortened through the environment (HEPHESTUS_AWS_TIMEOUT_SECONDS), the defaults stay production-sized.
 * No timing is asserted: that each run ended at all is the point.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedImageId } from '../../src/sandbox/aws/ec2-state.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runCliAsync } from '../cli/run-cli-async.js';
import { flowEnv } from './sandbox-flow.js';

const REGION = 'us-east-1';
const AMI = seedImageId(REGION, 'Windows_Server-2022-English-Full-Base-2026.09.10');
const SHORT = { HEPHESTUS_AWS_TIMEOUT_SECONDS: '1', HEPHESTUS_AWS_MAX_ATTEMPTS: '2' };

let sandbox: Sandbox;
let scratch: string;
let smokeTest: string;
const servers: Server[] = [];
let blackHole: string;
let proxyPage: string;

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0.001 } });
  scratch = await mkdtemp(path.join(tmpdir(), 'hephestus-deadlines-'));
  smokeTest = path.join(scratch, 'smoke.ps1');
  await writeFile(smokeTest, 'Write-Output "ok"\n');
  blackHole = await serve(() => undefined);
  proxyPage = await serve((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      '<!doctype html>\n<html><head><title>Access denied</title></head><body>Corporate proxy</body></html>',
    );
  });
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
  ...SHORT,
  ...overrides,
});

const validate = (ami: string, overrides: Record<string, string> = {}) =>
  runCliAsync(['ami', 'validate', '--ami', ami, '--region', REGION, '--smoke-test', smokeTest, '--no-tag'], {
    env: env(overrides),
  });

describe('fails fast and loud against any AWS', () => {
  it('a black-hole EC2 endpoint ends `ami latest`: exit 1, EC2 DescribeImages, no answer, the endpoint and its variable', async () => {
    const run = await runCliAsync(['ami', 'latest', '--owners', 'amazon', '--region', REGION], {
      env: env({ AWS_ENDPOINT_URL_EC2: blackHole }),
    });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain('EC2: DescribeImages failed: no answer within 1 s');
    expect(run.stderr).toContain(`endpoint ${blackHole} (set by AWS_ENDPOINT_URL_EC2)`);
    expect(run.stderr).not.toContain('unexpected failure');
  });

  it('a black-hole EC2 endpoint ends `run open-update` (which once hung 708 s after cloning)', async () => {
    const run = await runCliAsync(['run', 'open-update', '--repo', IMAGES_REPO, '--branch', 'main'], {
      env: env({ AWS_ENDPOINT_URL_EC2: blackHole }),
    });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/EC2: DescribeImages failed: no answer within 1 s .*AWS_ENDPOINT_URL_EC2/);
  });

  it('an EC2 endpoint answering a web page: exit 1, what it said, not an empty image list', async () => {
    const run = await runCliAsync(['ami', 'latest', '--owners', 'amazon', '--region', REGION], {
      env: env({ AWS_ENDPOINT_URL_EC2: proxyPage }),
    });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain("EC2: DescribeImages failed: the answer was not EC2's (HTTP 200, text/html");
    expect(run.stderr).toContain('it began: "<!doctype html> <html><head><title>Access denied</title>');
    expect(run.stderr).toContain('Hint: a web page answered instead of EC2');
  });

  it('an unknown AMI ends the validation at once, saying EC2 does not know it', async () => {
    const run = await validate('ami-0000000000000dead');
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /failed at image-available: stopped waiting for ami-0000000000000dead available: EC2: DescribeImages failed: InvalidAMIID\.NotFound/,
    );
    expect(run.stderr).not.toContain('timed out');
  });

  it('a wrong SSM endpoint ends the validation at ssm-online, naming SSM, the operation, the cause and the variable', async () => {
    const run = await validate(AMI, { AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9' });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /failed at ssm-online: SSM: DescribeInstanceInformation failed: connection refused, 2 attempts; endpoint http:\/\/127\.0\.0\.1:9 \(set by AWS_ENDPOINT_URL_SSM\)/,
    );
    // The instance it launched is terminated all the same.
    const launched = [...sandbox.ec2.state.instances.values()].filter((i) => i.imageId === AMI);
    expect(launched.length).toBeGreaterThan(0);
    expect(launched.every((i) => i.state === 'terminated' || i.state === 'shutting-down')).toBe(true);
  });

  it('a black-hole SSM endpoint ends the same way, after its deadline', async () => {
    const run = await validate(AMI, { AWS_ENDPOINT_URL_SSM: blackHole });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain(
      'failed at ssm-online: SSM: DescribeInstanceInformation failed: no answer within 1 s',
    );
  });
});
