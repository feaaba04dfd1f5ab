import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { Octokit } from '@octokit/rest';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES_REPO, type Sandbox, SERVICE_REPO, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { BUNDLE, runCli } from '../cli/run-cli.js';

describe('startSandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('serves both seeded repositories over the REST API and git smart HTTP', async () => {
    const octokit = new Octokit({ baseUrl: sandbox.env.GITHUB_API_URL, auth: sandbox.env.GITHUB_TOKEN });
    const { data } = await octokit.rest.repos.get({ owner: 'acme', repo: 'windows-images' });
    expect(data.default_branch).toBe('main');

    const work = mkdtempSync(path.join(tmpdir(), 'sandbox-clone-'));
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${sandbox.tokens.github}`).toString('base64')}`;
    for (const repo of [IMAGES_REPO, SERVICE_REPO]) {
      // Asynchronously: the server answering this clone runs in this very process.
      await promisify(execFile)('git', [
        '-c',
        `http.extraHeader=${header}`,
        'clone',
        '--quiet',
        '--depth',
        '1',
        sandbox.cloneUrl(repo),
        path.join(work, repo),
      ]);
    }
    expect(readFileSync(path.join(work, SERVICE_REPO, 'resources/config.edn'), 'utf8')).toContain(
      ':vm-manager',
    );
    expect(readFileSync(path.join(work, IMAGES_REPO, '.git/config'), 'utf8')).not.toContain(
      sandbox.tokens.github,
    );
  });

  it('answers the AWS SDK with seeded Windows base images', async () => {
    const ec2 = new EC2Client({
      region: sandbox.env.AWS_REGION,
      endpoint: sandbox.env.AWS_ENDPOINT_URL_EC2,
      credentials: {
        accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY as string,
      },
    });
    const { Images } = await ec2.send(
      new DescribeImagesCommand({
        Owners: ['801119661308'],
        Filters: [{ Name: 'name', Values: ['Windows_Server-2022-English-Full-Base-*'] }],
      }),
    );
    expect(Images?.length).toBeGreaterThan(0);
    expect(Images?.every((image) => image.Name?.startsWith('Windows_Server-2022-English-Full-Base-'))).toBe(
      true,
    );
  });

  it('answers Slack and CircleCI with their tokens only', async () => {
    const slack = new WebClient(sandbox.tokens.slack, {
      slackApiUrl: sandbox.urls.slack,
      retryConfig: { retries: 0 },
    });
    expect((await slack.auth.test()).ok).toBe(true);
    const response = await fetch(`${sandbox.urls.circleci}/api/v2/project/gh/${SERVICE_REPO}/pipeline`, {
      method: 'POST',
      headers: { 'Circle-Token': sandbox.tokens.circleci, 'content-type': 'application/json' },
      body: JSON.stringify({ branch: 'main', parameters: { images: 'win2022' } }),
    });
    expect(response.status).toBe(201);
    const denied = await fetch(`${sandbox.urls.circleci}/api/v2/project/gh/${SERVICE_REPO}/pipeline`, {
      method: 'POST',
      body: '{}',
    });
    expect(denied.status).toBe(401);
  });
});

describe('hephestus sandbox up --json', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('prints one JSON document with endpoints and environment, and stays up until interrupted', async () => {
    child = spawn(process.execPath, [BUNDLE, 'sandbox', 'up', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const document = await new Promise<{ env: Record<string, string>; repositories: Record<string, string> }>(
      (resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no JSON within 20 s: ${stdout}`)), 20_000);
        child?.stdout?.on('data', () => {
          try {
            resolve(JSON.parse(stdout));
            clearTimeout(timer);
          } catch {
            // not complete yet
          }
        });
      },
    );
    expect(Object.keys(document.repositories)).toEqual([IMAGES_REPO, SERVICE_REPO]);
    const repo = await fetch(`${document.env.GITHUB_API_URL}/repos/${SERVICE_REPO}`, {
      headers: { authorization: `token ${document.env.GITHUB_TOKEN}` },
    });
    expect(repo.status).toBe(200);
    // By default AWS states move at once (--aws-time-scale 0), so Packer or a person with the CLI waits for nothing.
    const ec2 = new EC2Client({
      region: document.env.AWS_REGION,
      endpoint: document.env.AWS_ENDPOINT_URL_EC2,
      credentials: {
        accessKeyId: document.env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: document.env.AWS_SECRET_ACCESS_KEY as string,
      },
    });
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ['801119661308'] }));
    const { Instances } = await ec2.send(
      new RunInstancesCommand({
        ImageId: Images?.[0]?.ImageId,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.large',
      }),
    );
    const { Reservations } = await ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [Instances?.[0]?.InstanceId as string] }),
    );
    expect(Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('running');

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

describe('hephestus sandbox up --aws-time-scale', () => {
  it('exits 2 naming the option for a value that is not a number of 0 or more', () => {
    for (const bad of ['abc', '-1', '']) {
      const run = runCli(['sandbox', 'up', '--aws-time-scale', bad]);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('--aws-time-scale: expected a number of 0 or more');
    }
  });
});

describe('hephestus sandbox up --latency-ms --bandwidth-mbps', () => {
  it('exits 2 naming the option for a value that is not a number of 0 or more', () => {
    const latency = runCli(['sandbox', 'up', '--latency-ms', '-20']);
    expect(latency.status).toBe(2);
    expect(latency.stderr).toContain('--latency-ms: expected milliseconds (0 or more)');
    const bandwidth = runCli(['sandbox', 'up', '--bandwidth-mbps', 'fast']);
    expect(bandwidth.status).toBe(2);
    expect(bandwidth.stderr).toContain('--bandwidth-mbps: expected megabits per second (0 or more)');
  });
});
