/**
 * Faults survived (issue 7), at module level on one sandbox: Slack (a missing channel among three, a timeout
 * whose request still lands), CircleCI (401, 429, a parameter over the limit) and AWS validation (throttling,
 * an instance never ok, Windows never ready, SSM never online, a failing smoke test, an AMI stuck pending).
 * Each ends in the right state, says what happened, and leaves no instance running; errors carry no secret.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/ec2-client.js';
import { ValidationError, type ValidationRequest, validateAmi } from '../../src/aws/validate-ami.js';
import { CircleCIClient } from '../../src/circleci/circleci-client.js';
import { ExitCode, HephestusError } from '../../src/errors.js';
import { seedImageId } from '../../src/sandbox/aws/ec2-state.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { InMemoryMessageMemory } from '../../src/slack/message-memory.js';
import { rolledOutMessage } from '../../src/slack/slack-messages.js';
import { notificationExitCode, SlackNotifier } from '../../src/slack/slack-notifier.js';
import { checkSecrets } from './canary.js';
import { sandboxSecrets } from './sandbox-flow.js';

let sandbox: Sandbox;
beforeAll(async () => {
  // Ten thousand times faster than AWS, so waits that would take minutes take milliseconds.
  sandbox = await startSandbox({ ec2: { scale: 0.0001 } });
});
afterAll(async () => {
  await sandbox?.stop();
});
afterEach(() => {
  Object.assign(sandbox.ec2.faults, {
    instanceNeverOk: false,
    windowsNeverReady: false,
    amiStuckPending: false,
  });
  sandbox.ec2.faults.throttle.length = 0;
  Object.assign(sandbox.ssm.faults, { agentNeverOnline: false, commandFails: false });
  sandbox.ssm.faults.throttle.length = 0;
  sandbox.slack.router.clearFaults();
  sandbox.circleci.router.clearFaults();
});

/** The error a promise rejects with (a HephestusError, or the test fails). */
async function rejection(promise: Promise<unknown>): Promise<HephestusError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HephestusError);
  return error as HephestusError;
}

describe('faults survived: Slack', () => {
  const message = rolledOutMessage({
    pr: {
      repository: 'acme/vm-manager',
      number: 3,
      url: 'https://github.com/acme/vm-manager/pull/3',
      title: 'Bump win2022',
    },
    images: [{ image: 'win2022', amis: { 'us-east-1': 'ami-0123456789abcdef0' } }],
    channel: 'stable',
  });
  const notifier = () =>
    SlackNotifier.fromEnv(sandbox.env, { timeoutMs: 500, retries: 2, retryMinTimeoutMs: 10 });

  it('channel_not_found for one of three channels: the other two get one message, re-runs included', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    const channels = ['#custeng-support', '#no-such-channel', '#investigation'];
    const memory = new InMemoryMessageMemory();
    for (let run = 0; run < 2; run++) {
      const outcomes = await notifier().notify('rollout', channels, message, { memory });
      expect(outcomes.map((o) => [o.channel, o.status === 'failed' ? o.error : 'ok'])).toEqual([
        ['#custeng-support', 'ok'],
        ['#no-such-channel', 'channel_not_found'],
        ['#investigation', 'ok'],
      ]);
      // A missing channel is reported, not fatal, unless slack.strict says so.
      expect(notificationExitCode(outcomes, false)).toBe(0);
      expect(notificationExitCode(outcomes, true)).toBe(1);
      expect(checkSecrets(task, sandboxSecrets(sandbox), JSON.stringify(outcomes))).toBe(0);
    }
    expect(sandbox.slack.messages('#custeng-support')).toHaveLength(1);
    expect(sandbox.slack.messages('#investigation')).toHaveLength(1);
  });

  it('a timeout whose request still lands leaves one message', async ({ task }) => {
    task.meta.figure = 'fault';
    sandbox.slack.router.inject({ route: 'POST /api/chat.postMessage', times: 1, delayMs: 1500 });
    const memory = new InMemoryMessageMemory();
    const outcomes = await notifier().notify('rollout', ['#execution-teams'], message, { memory });
    // Let the delayed request finish, as it would on Slack's side.
    await new Promise((resolve) => setTimeout(resolve, 1700));
    const again = await notifier().notify('rollout', ['#execution-teams'], message, { memory });
    expect(checkSecrets(task, sandboxSecrets(sandbox), JSON.stringify([outcomes, again]))).toBe(0);
    expect(sandbox.slack.messages('#execution-teams')).toHaveLength(1);
  });
});

describe('faults survived: CircleCI', () => {
  const slug = `gh/${IMAGES_REPO}`;
  const pipelines = () => sandbox.circleci.pipelines(slug).length;
  const client = (env: Record<string, string> = sandbox.env) =>
    CircleCIClient.fromEnv(env, { backoffMs: 10, retries: 2 });

  it('401: bad input naming the variable, not the token; nothing triggered', async ({ task }) => {
    task.meta.figure = 'fault';
    const before = pipelines();
    const wrong = `${sandbox.tokens.circleci}-revoked`;
    const error = await rejection(
      client({ ...sandbox.env, CIRCLE_TOKEN: wrong }).triggerPipeline({ projectSlug: slug, branch: 'main' }),
    );
    expect(error.exitCode).toBe(ExitCode.badInput);
    expect(error.describe()).toMatch(/CIRCLE_TOKEN.*HTTP 401/);
    expect(error.describe()).not.toContain(wrong);
    expect(checkSecrets(task, sandboxSecrets(sandbox), error.describe(), String(error.stack))).toBe(0);
    expect(pipelines()).toBe(before);
    // With the right token the same call goes through, once.
    await client().triggerPipeline({ projectSlug: slug, branch: 'main' });
    expect(pipelines()).toBe(before + 1);
  });

  it('429 with Retry-After: waited for, one pipeline', async ({ task }) => {
    task.meta.figure = 'fault';
    const before = pipelines();
    sandbox.circleci.rateLimit('POST /api/v2/project/:slug*/pipeline', 1, 1);
    const created = await client().triggerPipeline({ projectSlug: slug, branch: 'main' });
    expect(created.number).toBeGreaterThan(0);
    expect(pipelines()).toBe(before + 1);
    expect(checkSecrets(task, sandboxSecrets(sandbox), JSON.stringify(created))).toBe(0);
  });

  it('a parameter over the limit: bad input before any call', async ({ task }) => {
    task.meta.figure = 'fault';
    const before = pipelines();
    const calls = sandbox.circleci.router.calls.length;
    const error = await rejection(
      client().triggerPipeline({
        projectSlug: slug,
        branch: 'main',
        parameters: { images: 'x'.repeat(513) },
      }),
    );
    expect(error.exitCode).toBe(ExitCode.badInput);
    expect(error.describe()).toMatch(/images/);
    expect(sandbox.circleci.router.calls.length).toBe(calls);
    expect(pipelines()).toBe(before);
    expect(checkSecrets(task, sandboxSecrets(sandbox), error.describe())).toBe(0);
  });
});

describe('faults survived: AWS validation', () => {
  const region = 'us-east-1';
  const clients = () => createAwsClients({ region, env: sandbox.env, maxAttempts: 5 });
  const delays = { minDelayMs: 5, maxDelayMs: 40 };
  const liveInstances = () =>
    [...sandbox.ec2.state.instances.values()].filter(
      (i) => !['terminated', 'shutting-down'].includes(i.state),
    );
  const request = (overrides: Partial<ValidationRequest> = {}): ValidationRequest => ({
    region,
    imageId: seedImageId(region, 'Windows_Server-2022-English-Full-Base-2026.10.15'),
    instanceType: 't3.large',
    instanceProfile: 'hephestus-validation',
    timeoutMs: 4000,
    smokeTests: [{ name: 'iis', script: "Write-Output 'IIS 10.0'" }],
    ...overrides,
  });
  const validate = (overrides: Partial<ValidationRequest> = {}) =>
    validateAmi(request(overrides), { ...clients(), delays, signals: false });

  const failures: Array<{ name: string; inject: () => void; step: string }> = [
    {
      name: 'an instance that never reaches status ok',
      inject: () => {
        sandbox.ec2.faults.instanceNeverOk = true;
      },
      step: 'instance-status',
    },
    {
      name: 'Windows never ready on the console',
      inject: () => {
        sandbox.ec2.faults.windowsNeverReady = true;
      },
      step: 'windows-ready',
    },
    {
      name: 'the SSM agent never online',
      inject: () => {
        sandbox.ssm.faults.agentNeverOnline = true;
      },
      step: 'ssm-online',
    },
    {
      name: 'a smoke test that fails',
      inject: () => {
        sandbox.ssm.faults.commandFails = true;
      },
      step: 'smoke-tests',
    },
  ];

  for (const failure of failures) {
    it(`${failure.name}: fails at ${failure.step}, instance terminated`, async ({ task }) => {
      task.meta.figure = 'fault';
      failure.inject();
      const error = (await rejection(validate())) as ValidationError;
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.exitCode).toBe(ExitCode.failure);
      expect(error.step).toBe(failure.step);
      expect(error.describe()).toContain(`failed at ${failure.step}`);
      expect(error.result.terminated).toBe(true);
      expect(liveInstances()).toEqual([]);
      expect(
        checkSecrets(task, sandboxSecrets(sandbox), error.describe(), JSON.stringify(error.result)),
      ).toBe(0);
    });
  }

  it('an AMI stuck pending: fails before launching anything', async ({ task }) => {
    task.meta.figure = 'fault';
    const launched = sandbox.ec2.state.instances.size;
    sandbox.ec2.faults.amiStuckPending = true;
    const imageId = seedImageId(region, 'Windows_Server-2019-English-Full-Base-2026.10.15');
    const image = sandbox.ec2.state.images.get(imageId);
    if (image) image.state = 'pending';
    try {
      const error = (await rejection(validate({ imageId, timeoutMs: 1500 }))) as ValidationError;
      expect(error.step).toBe('image-available');
      expect(sandbox.ec2.state.instances.size).toBe(launched);
      expect(checkSecrets(task, sandboxSecrets(sandbox), error.describe())).toBe(0);
    } finally {
      if (image) image.state = 'available';
    }
  });

  it('EC2 and SSM throttling: retried, validated, instance terminated', async ({ task }) => {
    task.meta.figure = 'fault';
    const launches = sandbox.ec2.count('RunInstances');
    sandbox.ec2.throttle({ action: 'RunInstances', times: 2 });
    sandbox.ec2.throttle({ action: 'DescribeInstanceStatus', times: 2 });
    sandbox.ssm.throttle({ action: 'SendCommand', times: 1 });
    // The SDK backs off from throttling for seconds; the real deadline is forty minutes.
    const result = await validate({ timeoutMs: 30_000 });
    expect(result.passed).toBe(true);
    expect(result.terminated).toBe(true);
    // Two throttled launches and the one that went through.
    expect(sandbox.ec2.count('RunInstances') - launches).toBe(3);
    expect(liveInstances()).toEqual([]);
    expect(checkSecrets(task, sandboxSecrets(sandbox), JSON.stringify(result))).toBe(0);
  });
});
