/**
 * Faults survived (issue 7), with real Packer 1.6.6 against the sandbox: a region copy that fails during
 * build-validate, and `hephestus packer build` stopped by SIGTERM half-way. Each ends with exit 1 and a message
 * naming the failure, no AMI tagged validated that was not, no instance left, one Slack notice, and a re-run
 * that converges; no secret in the output, the packer log, the artifacts, JUnit, PRs, Slack or `.git/config`.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../src/aws/image-tags.js';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { BUNDLE } from '../cli/run-cli.js';
import { checkSecrets } from './canary.js';
import { flowEnv, published, runFlowOnSandbox, sandboxSecrets } from './sandbox-flow.js';

const BRANCH = 'windows-update/win2019-win2022';
const PACKER_ENV = { AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '10', CHECKPOINT_DISABLE: '1' };

let sandbox: Sandbox;
let scratch: string;
beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  scratch = await mkdtemp(path.join(tmpdir(), 'hephestus-build-faults-'));
  Object.assign(sandbox.env, PACKER_ENV);
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

const liveInstances = () => [...sandbox.ec2.state.instances.values()].filter((i) => i.state !== 'terminated');
const failedNotices = () =>
  sandbox.slack.messages('#execution-teams').filter((m) => m.text.startsWith('Hephestus failed'));

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return Promise.all(
    entries.filter((e) => e.isFile()).map((e) => readFile(path.join(e.parentPath, e.name), 'utf8')),
  );
}

describe('faults survived: builds', () => {
  it('a region copy fails: exit 1, nothing validated, one failure notice; the re-run validates', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    const opened = await runFlowOnSandbox<OpenUpdateReport>(sandbox, 'open-update', { repo: IMAGES_REPO });
    expect(opened.report?.outcome, opened.output).toBe('created');
    const options = (n: number) => ({
      repo: IMAGES_REPO,
      branch: BRANCH,
      junit: path.join(scratch, `run-${n}`, 'smoke.xml'),
      artifacts: path.join(scratch, `run-${n}`, 'artifacts'),
    });

    sandbox.ec2.faults.copyFailsTo.push('us-west-2');
    let failed: Awaited<ReturnType<typeof runFlowOnSandbox<BuildValidateReport>>>;
    try {
      failed = await runFlowOnSandbox<BuildValidateReport>(sandbox, 'build-validate', options(1));
    } finally {
      sandbox.ec2.faults.copyFailsTo.length = 0;
    }
    expect(failed.exitCode, failed.output).toBe(1);
    // The message names what failed, not just Packer's "1 error(s) occurred:" header.
    for (const image of failed.report?.images ?? []) expect(image.failure).toMatch(/us-west-2/);
    const validated = () =>
      [...sandbox.ec2.state.images.values()].filter((i) => i.tags[TAG.status] === 'validated');
    expect(validated()).toEqual([]);
    expect(liveInstances()).toEqual([]);
    expect(failedNotices()).toHaveLength(1);

    const retry = await runFlowOnSandbox<BuildValidateReport>(sandbox, 'build-validate', options(2));
    expect(retry.exitCode, retry.output).toBe(0);
    expect(retry.report?.outcome).toBe('validated');
    for (const image of retry.report?.images ?? []) {
      expect(Object.keys(image.amis)).toEqual(['us-east-1', 'us-west-2']);
      for (const ami of Object.values(image.amis))
        expect(sandbox.ec2.state.images.get(ami)?.tags[TAG.status]).toBe('validated');
    }
    expect(liveInstances()).toEqual([]);
    expect(failedNotices()).toHaveLength(1);

    const written = await filesUnder(scratch);
    expect(written.some((text) => text.includes('<testcase'))).toBe(true);
    const captured = [
      failed.output,
      retry.output,
      opened.output,
      ...[opened, failed, retry].flatMap((r) => r.gitConfigs),
      ...written,
      ...published(sandbox),
    ];
    expect(checkSecrets(task, sandboxSecrets(sandbox), ...captured)).toBe(0);
  });

  it('packer build stopped by SIGTERM mid-way: its builders cleaned up, an error written, exit 1; the re-run builds', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    const seed = fileURLToPath(new URL('../../src/sandbox/seeds/images-repo/', import.meta.url));
    const repo = path.join(scratch, 'repo');
    await cp(seed, repo, { recursive: true });
    const env = { PATH: process.env.PATH ?? '', HOME: scratch, ...flowEnv(sandbox), TMPDIR: scratch };
    const build = (n: number) => {
      const files = {
        out: path.join(scratch, `artifacts-${n}.json`),
        log: path.join(scratch, `packer-${n}.log`),
      };
      // As build-validate calls it: the template file, its variable file, and the run's variables.
      const args = [
        'packer',
        'build',
        path.join(repo, 'packer/windows.pkr.hcl'),
        '--var-file',
        path.join(repo, 'packer/windows.auto.pkrvars.hcl'),
        ...['aws_region=us-east-1', 'ami_regions=["us-west-2"]', `git_sha=${'0'.repeat(40)}`],
        `aws_endpoint_ec2=${sandbox.urls.ec2}`,
      ].flatMap((arg, i) => (i > 4 ? ['--var', arg] : [arg]));
      const child = spawn(process.execPath, [BUNDLE, ...args, '--out', files.out, '--log', files.log], {
        cwd: repo,
        env,
        stdio: 'pipe',
      });
      let output = '';
      const collect = (chunk: unknown) => {
        output += String(chunk);
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      let done = false;
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => {
          done = true;
          resolve(code);
        }),
      );
      return { child, files, exited, output: () => output, running: () => !done };
    };

    // The new AMIs stay pending, so both builds are mid-way (their builder instances stopped, waiting) when stopped.
    sandbox.ec2.faults.amiStuckPending = true;
    const stopped = build(1);
    try {
      const start = Date.now();
      const waiting = () => readFile(stopped.files.log, 'utf8').catch(() => '');
      while (
        (await waiting()).match(/Waiting for the AMI to become ready|Waiting for AMI to become ready/g)
          ?.length !== 2
      ) {
        if (!stopped.running() || Date.now() - start > 60_000)
          throw new Error(`packer never waited for its AMIs:\n${stopped.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      stopped.child.kill('SIGTERM');
      expect(await stopped.exited, stopped.output()).toBe(1);
    } finally {
      sandbox.ec2.faults.amiStuckPending = false;
    }
    const result = JSON.parse(await readFile(stopped.files.out, 'utf8')) as {
      builds: Array<{ name: string; artifacts: Array<{ images?: unknown[] }> }>;
      errors: Array<{ build: string; message: string }>;
    };
    // Packer says it was cancelled, and each build that was under way says where it stopped.
    expect(result.errors.map((e) => [e.build, e.message.split('\n')[0]])).toEqual([
      ['', 'Cancelling build after receiving terminated'],
      ['amazon-ebs.win2019', expect.stringMatching(/^Error waiting for AMI: RequestCanceled/)],
      ['amazon-ebs.win2022', expect.stringMatching(/^Error waiting for AMI: RequestCanceled/)],
    ]);
    expect(result.builds.flatMap((b) => b.artifacts.flatMap((a) => a.images ?? []))).toEqual([]);
    expect(stopped.output()).toMatch(/ERROR Cancelling build after receiving terminated/);
    // Packer cancelled cleanly: no builder instance is left running.
    expect(liveInstances()).toEqual([]);

    const again = build(2);
    expect(await again.exited, again.output()).toBe(0);
    const rebuilt = JSON.parse(await readFile(again.files.out, 'utf8')) as typeof result;
    expect(rebuilt.errors).toEqual([]);
    expect(rebuilt.builds.map((b) => b.name).sort()).toEqual(['amazon-ebs.win2019', 'amazon-ebs.win2022']);

    const captured = [stopped.output(), again.output(), ...(await filesUnder(scratch))];
    expect(checkSecrets(task, sandboxSecrets(sandbox), ...captured)).toBe(0);
  });
});
