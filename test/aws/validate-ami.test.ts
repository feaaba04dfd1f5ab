import { EventEmitter } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../src/aws/image-tags.js';
import { junitXml } from '../../src/aws/junit.js';
import {
  type SignalHooks,
  ValidationError,
  type ValidationRequest,
  validateAmi,
} from '../../src/aws/validate-ami.js';
import type { WaitProgress } from '../../src/aws/waits.js';
import { FailureError } from '../../src/errors.js';
import { SSM_STDOUT_LIMIT } from '../../src/sandbox/aws/ssm.js';
import { type Sandbox, startSandbox, testDelays } from './aws-sandbox.js';
import { findAll, parseXmlStrict } from './xml-parse.js';

const region = 'us-east-2';
let aws: Sandbox;
let progress: WaitProgress[];

beforeAll(async () => {
  aws = await startSandbox({}, { run: powershell });
});
afterAll(() => aws.close());
afterEach(() => {
  aws.ec2.faults.instanceNeverOk = false;
  aws.ec2.faults.windowsNeverReady = false;
  aws.ec2.faults.amiStuckPending = false;
  aws.ec2.faults.throttle.length = 0;
  aws.ssm.faults.agentNeverOnline = false;
  aws.ssm.faults.commandFails = false;
  aws.ssm.faults.throttle.length = 0;
});

/** The sandbox's PowerShell stand-in, plus `Write-Big N` to print N characters. */
function powershell(commands: string[]) {
  const big = commands.map((line) => /^Write-Big (\d+)$/.exec(line)).find(Boolean);
  if (big) return { exitCode: 0, stdout: 'x'.repeat(Number(big[1])), stderr: '' };
  let stdout = '';
  for (const line of commands) {
    const printed = /^Write-Output '(.*)'$/.exec(line);
    if (printed) stdout += `${printed[1]}\n`;
    const exit = /^exit (\d+)$/.exec(line);
    if (exit) return { exitCode: Number(exit[1]), stdout, stderr: `exit ${exit[1]}\n` };
  }
  return { exitCode: 0, stdout, stderr: '' };
}

function builtImage(): string {
  return aws.addImage(region, {
    name: `win2022-${Math.random().toString(36).slice(2)}`,
    tags: { [TAG.status]: 'built' },
  }).imageId;
}

function request(imageId: string, overrides: Partial<ValidationRequest> = {}): ValidationRequest {
  return {
    region,
    imageId,
    instanceType: 't3.large',
    instanceProfile: 'hephestus-validation',
    subnetId: [...aws.ec2.state.subnets.values()].find((s) => s.region === region)?.subnetId,
    timeoutMs: 15_000,
    smokeTests: [
      { name: 'iis-installed', script: "Write-Output 'IIS 10.0'" },
      { name: 'dotnet', script: "Write-Output '.NET 4.8'" },
    ],
    tags: [{ Key: TAG.run, Value: 'run-1' }],
    ...overrides,
  };
}

function deps(signals: SignalHooks | false = false) {
  progress = [];
  const clients = aws.clients(region);
  return { ...clients, delays: testDelays, onProgress: (p: WaitProgress) => progress.push(p), signals };
}

function instanceOf(imageId: string) {
  const found = [...aws.ec2.state.instances.values()].filter((i) => i.imageId === imageId);
  expect(found).toHaveLength(1);
  return found[0] as NonNullable<(typeof found)[0]>;
}

function expectTerminated(imageId: string) {
  expect(['shutting-down', 'terminated']).toContain(instanceOf(imageId).state);
}

async function failure(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect(error).toBeInstanceOf(FailureError);
  return error as ValidationError;
}

describe('validateAmi against the sandbox', () => {
  it('boots the image with IMDSv2 and the profile, runs the smoke tests, and terminates the instance', async () => {
    const imageId = builtImage();
    const result = await validateAmi(request(imageId), deps());
    expect(result.passed).toBe(true);
    expect(result.terminated).toBe(true);
    expect(result.tests.map((t) => [t.name, t.outcome, t.stdout])).toEqual([
      ['iis-installed', 'passed', 'IIS 10.0\n'],
      ['dotnet', 'passed', '.NET 4.8\n'],
    ]);
    expect(result.steps.map((s) => s.step)).toEqual([
      'image-available',
      'launch',
      'instance-status',
      'windows-ready',
      'ssm-online',
      'smoke-tests',
    ]);
    const instance = instanceOf(imageId);
    expectTerminated(imageId);
    expect(instance.metadataOptions.httpTokens).toBe('required');
    expect(instance.iamInstanceProfile?.arn).toMatch(/instance-profile\/hephestus-validation$/);
    expect(instance.tags).toMatchObject({
      [TAG.run]: 'run-1',
      [TAG.validates]: imageId,
      [TAG.timeoutMinutes]: '1',
    });
    expect(new Set(progress.map((p) => p.awaiting.replace(/\b(ami|i)-[0-9a-f]+/g, '<$1>')))).toEqual(
      new Set([
        '<ami> available',
        '<i> instance status ok',
        '<i> system status ok',
        '"Windows is Ready to use" in the console of <i>',
        'SSM agent of <i> online',
        'smoke test iis-installed on <i>',
        'smoke test dotnet on <i>',
      ]),
    );
    expect(progress.every((p) => p.attempt >= 1 && p.elapsedMs >= 0)).toBe(true);
  });

  it('fails at instance-status when the status check never passes, naming what it saw, and terminates', async () => {
    aws.ec2.faults.instanceNeverOk = true;
    const imageId = builtImage();
    const error = await failure(validateAmi(request(imageId, { timeoutMs: 800 }), deps()));
    expect(error.step).toBe('instance-status');
    expect(error.message).toMatch(/failed at instance-status: timed out .*instance impaired/);
    expect(error.result.tests.map((t) => t.outcome)).toEqual(['skipped', 'skipped']);
    expect(error.result.terminated).toBe(true);
    expectTerminated(imageId);
  });

  it('fails at windows-ready when the console never says so', async () => {
    aws.ec2.faults.windowsNeverReady = true;
    const imageId = builtImage();
    const error = await failure(validateAmi(request(imageId, { timeoutMs: 800 }), deps()));
    expect(error.step).toBe('windows-ready');
    expect(error.message).toContain('last seen: ');
    expectTerminated(imageId);
  });

  it('fails at ssm-online when the agent never registers', async () => {
    aws.ssm.faults.agentNeverOnline = true;
    const imageId = builtImage();
    const error = await failure(validateAmi(request(imageId, { timeoutMs: 800 }), deps()));
    expect(error.step).toBe('ssm-online');
    expect(error.message).toContain('last seen: not registered');
    expectTerminated(imageId);
  });

  it("fails at smoke-tests with each test's outcome and output when one fails", async () => {
    const imageId = builtImage();
    const error = await failure(
      validateAmi(
        request(imageId, {
          smokeTests: [
            { name: 'ok', script: "Write-Output 'fine'" },
            { name: 'broken', script: "Write-Output 'checking'\nexit 3" },
          ],
        }),
        deps(),
      ),
    );
    expect(error.step).toBe('smoke-tests');
    expect(error.message).toContain('1 of 2 smoke tests failed: broken');
    expect(error.result.tests.map((t) => [t.name, t.outcome, t.exitCode])).toEqual([
      ['ok', 'passed', 0],
      ['broken', 'failed', 3],
    ]);
    expect(error.result.tests[1]?.stdout).toBe('checking\n');
    expectTerminated(imageId);
  });

  it('fails at image-available when the AMI stays pending, before launching anything', async () => {
    aws.ec2.faults.amiStuckPending = true;
    const imageId = aws.addImage(region, { name: `pending-${Date.now()}`, state: 'pending' }).imageId;
    const error = await failure(validateAmi(request(imageId, { timeoutMs: 300 }), deps()));
    expect(error.step).toBe('image-available');
    expect(error.result.instanceId).toBeUndefined();
    expect([...aws.ec2.state.instances.values()].filter((i) => i.imageId === imageId)).toEqual([]);
  });

  it('rides out throttling with adaptive retries', async () => {
    aws.ec2.throttle({ action: 'RunInstances', times: 1 });
    aws.ec2.throttle({ action: 'DescribeInstanceStatus', times: 2 });
    aws.ssm.throttle({ action: 'SendCommand', times: 1 });
    const imageId = builtImage();
    const result = await validateAmi(request(imageId), deps());
    expect(result.passed).toBe(true);
    expect(aws.ec2.calls.filter((c) => c.errorCode === 'RequestLimitExceeded').length).toBeGreaterThanOrEqual(
      3,
    );
    expectTerminated(imageId);
  });

  it('names the step when throttling outlasts the retries, and still terminates', async () => {
    const imageId = builtImage();
    aws.ssm.throttle({ action: 'SendCommand', times: 50 });
    const error = await failure(
      validateAmi(request(imageId, { smokeTests: [{ name: 'one', script: "Write-Output 'x'" }] }), deps()),
    );
    expect(error.step).toBe('smoke-tests');
    expect(error.result.tests[0]).toMatchObject({
      outcome: 'error',
      message: expect.stringContaining('ThrottlingException'),
    });
    expectTerminated(imageId);
  });

  it('says so when SSM truncated the output', async () => {
    const imageId = builtImage();
    const result = await validateAmi(
      request(imageId, { smokeTests: [{ name: 'chatty', script: `Write-Big ${SSM_STDOUT_LIMIT + 500}` }] }),
      deps(),
    );
    expect(result.tests[0]).toMatchObject({ outcome: 'passed', truncated: true });
    expect(result.tests[0]?.stdout).toHaveLength(SSM_STDOUT_LIMIT);
    expect(result.tests[0]?.message).toContain('output truncated by SSM');
  });

  it('terminates the instance on SIGTERM and exits 143', async () => {
    aws.ssm.faults.agentNeverOnline = true;
    const emitter = new EventEmitter();
    const exits: number[] = [];
    const hooks: SignalHooks = {
      on: (signal, listener) => emitter.on(signal, listener),
      off: (signal, listener) => emitter.off(signal, listener),
      exit: (code) => exits.push(code),
    };
    const imageId = builtImage();
    const validation = validateAmi(request(imageId, { timeoutMs: 10_000 }), {
      ...deps(hooks),
      onProgress: (p) => {
        if (p.awaiting.startsWith('SSM agent')) emitter.emit('SIGTERM');
      },
    });
    const error = await failure(validation);
    expect(error.step).toBe('ssm-online');
    expect(error.message).toContain('stopped while waiting');
    await expect.poll(() => exits).toEqual([143]);
    expectTerminated(imageId);
    expect(emitter.listenerCount('SIGTERM')).toBe(0);
  });

  it('results render as JUnit that a strict parser reads back', async () => {
    const imageId = builtImage();
    const error = await failure(
      validateAmi(
        request(imageId, {
          smokeTests: [
            { name: 'prints <tags> & "quotes"', script: "Write-Output '<b>bold</b> & co'" },
            { name: 'fails', script: 'exit 2' },
          ],
        }),
        deps(),
      ),
    );
    const xml = junitXml([
      {
        name: `${imageId} (${region})`,
        cases: error.result.tests.map((t) => ({ ...t, classname: imageId, outcome: t.outcome })),
      },
    ]);
    const root = parseXmlStrict(xml);
    const cases = findAll(root, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['prints <tags> & "quotes"', 'fails']);
    expect(findAll(cases[0] as never, 'system-out')[0]?.text).toBe('<b>bold</b> & co\n');
    expect(findAll(cases[1] as never, 'failure')[0]?.attrs.message).toBe('Failed, exit code 2');
    expect(root.attrs).toMatchObject({ tests: '2', failures: '1' });
  });
});
