/**
 * Faults survived (issue 7): a job killed in the middle. `hephestus ami validate` SIGKILLed while its
 * instance runs leaves the instance behind (nothing can clean up after SIGKILL); `hephestus ami sweep` keeps
 * it while its run's timeout lasts and terminates it once the timeout has passed on the sandbox's clock. The AMI
 * is never tagged validated, and nothing the run wrote holds a secret (its clone-free scratch included).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/ec2-client.js';
import { TAG } from '../../src/aws/image-tags.js';
import { sweep } from '../../src/aws/sweep.js';
import { seedImageId } from '../../src/sandbox/aws/ec2-state.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { BUNDLE } from '../cli/run-cli.js';
import { runCliAsync } from '../cli/run-cli-async.js';
import { checkSecrets } from './canary.js';
import { flowEnv, sandboxSecrets } from './sandbox-flow.js';

const REGION = 'us-east-1';
const AMI = seedImageId(REGION, 'Windows_Server-2022-English-Full-Base-2026.09.10');
const TIMEOUT_MINUTES = 30;

let sandbox: Sandbox;
let scratch: string;
beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0.001 } });
  scratch = await mkdtemp(path.join(tmpdir(), 'hephestus-killed-'));
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

const validationInstances = () =>
  [...sandbox.ec2.state.instances.values()].filter((i) => i.tags[TAG.validates] !== undefined);

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries.filter((e) => e.isFile()).map((e) => readFile(path.join(e.parentPath, e.name), 'utf8')),
  );
}

describe('faults survived: a job killed mid-validation', () => {
  it('SIGKILL while the instance runs: the sweep keeps it within the timeout, terminates it after', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    // SSM never comes online, so the validation waits with its instance running until it is killed.
    sandbox.ssm.faults.agentNeverOnline = true;
    const smoke = path.join(scratch, 'smoke.ps1');
    await writeFile(smoke, 'Write-Output "ok"\n');
    const env = { ...flowEnv(sandbox), TMPDIR: scratch, HEPHESTUS_WORK_DIR: scratch };
    const child = spawn(
      process.execPath,
      [
        BUNDLE,
        'ami',
        'validate',
        '--ami',
        AMI,
        '--region',
        REGION,
        '--smoke-test',
        smoke,
        '--timeout-minutes',
        String(TIMEOUT_MINUTES),
        '--junit',
        path.join(scratch, 'junit.xml'),
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: 'pipe' },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
    await until(() => validationInstances().some((i) => i.state === 'running'), 'a running instance');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const [instance] = validationInstances();
    expect(instance?.state).toBe('running');
    expect(instance?.tags[TAG.timeoutMinutes]).toBe(String(TIMEOUT_MINUTES));

    // The next job's sweep, within the killed run's timeout: the instance may still be someone's, so it stays.
    const early = await runCliAsync(['ami', 'sweep', '--region', REGION, '--json'], { env });
    expect(early.status, early.stderr).toBe(0);
    expect(JSON.parse(early.stdout).instances).toMatchObject([
      { instanceId: instance?.instanceId, action: 'keep' },
    ]);
    expect(instance?.state).toBe('running');

    // Timeout and grace pass on the sandbox's clock; the sweep then terminates it, and a second sweep finds none.
    sandbox.ec2.clock.advance((TIMEOUT_MINUTES + 11) * 60_000);
    const clients = (region: string) => createAwsClients({ env: sandbox.env, region }).ec2;
    const now = () => sandbox.ec2.clock.now();
    const swept = await sweep(clients, { regions: [REGION], dryRun: false, now });
    expect(swept).toMatchObject([{ instanceId: instance?.instanceId, action: 'terminate' }]);
    // The sandbox moves resources on at its next request or tick; shutting down takes 45 ms at this scale.
    await until(() => {
      sandbox.ec2.clock.tick();
      return validationInstances().every((i) => i.state === 'terminated');
    }, 'the instance to terminate');
    expect(await sweep(clients, { regions: [REGION], dryRun: false, now })).toEqual([]);

    // Killed before an outcome: the AMI carries no validated tag.
    expect(sandbox.ec2.state.images.get(AMI)?.tags[TAG.status]).toBeUndefined();
    const captured = [output, early.stdout, early.stderr, ...(await filesUnder(scratch))];
    expect(checkSecrets(task, sandboxSecrets(sandbox), ...captured)).toBe(0);
  });
});
