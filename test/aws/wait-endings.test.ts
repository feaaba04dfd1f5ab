/**
 * Waits end at once when waiting longer cannot help (an unknown AMI, a deregistered or failed image, a
 * terminated instance), every timeout names the last thing seen, and a long wait reports at least every
 * heartbeat. Against the sandbox's EC2, through the SDK waiters the validation uses.
 */
import {
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilImageAvailable,
  waitUntilInstanceStatusOk,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  observedState,
  poll,
  sdkWait,
  throttleProgress,
  WaitEndedError,
  type WaitProgress,
  WaitTimeoutError,
} from '../../src/aws/waits.js';
import { progressLine } from '../../src/cli/option-parsers.js';
import type { Logger } from '../../src/log/logger.js';
import { seedImageId } from '../../src/sandbox/aws/ec2-state.js';
import { type Sandbox, startSandbox, testDelays } from './aws-sandbox.js';

const REGION = 'us-east-1';
let aws: Sandbox;
beforeAll(async () => {
  aws = await startSandbox();
});
afterAll(() => aws.close());

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('sdkWait ends at once', () => {
  it('on an unknown AMI, after one call, naming the code, operation and endpoint', async () => {
    const ec2 = aws.ec2For(REGION);
    const before = aws.ec2.count('DescribeImages');
    const error = await rejection(
      sdkWait(
        'ami-0000000000000dead available',
        waitUntilImageAvailable,
        ec2,
        { ImageIds: ['ami-0000000000000dead'] },
        {
          ...testDelays,
          maxWaitMs: 60_000,
        },
      ),
    );
    expect(error).toBeInstanceOf(WaitEndedError);
    expect(aws.ec2.count('DescribeImages') - before).toBe(1);
    expect(error.message).toMatch(
      /^stopped waiting for ami-0000000000000dead available: EC2: DescribeImages failed: InvalidAMIID\.NotFound: The image id '\[ami-0000000000000dead\]' does not exist \(HTTP 400, request id [\w-]+\); endpoint http:\/\/127\.0\.0\.1:\d+ \(set by AWS_ENDPOINT_URL_EC2\)/,
    );
  });

  it('on a deregistered image', async () => {
    const image = aws.addImage(REGION, {
      name: 'gone',
      // AWS describes a deregistered image by id for a while; the sandbox forgets it at once, so it is set here.
      state: 'deregistered' as never,
    });
    const error = await rejection(
      sdkWait(
        `${image.imageId} available`,
        waitUntilImageAvailable,
        aws.ec2For(REGION),
        { ImageIds: [image.imageId] },
        {
          ...testDelays,
          maxWaitMs: 60_000,
        },
      ),
    );
    expect(error).toBeInstanceOf(WaitEndedError);
    expect(error.message).toBe(
      `stopped waiting for ${image.imageId} available: image ${image.imageId} deregistered`,
    );
  });

  it('on an instance terminated while its status checks were awaited', async () => {
    const ec2 = aws.ec2For(REGION);
    const { Instances = [] } = await ec2.send(
      new RunInstancesCommand({
        ImageId: seedImageId(REGION, 'Windows_Server-2022-English-Full-Base-2026.09.10'),
        InstanceType: 't3.large',
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    const instanceId = Instances[0]?.InstanceId as string;
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    const error = await rejection(
      sdkWait(
        `${instanceId} instance status ok`,
        waitUntilInstanceStatusOk,
        ec2,
        { InstanceIds: [instanceId], IncludeAllInstances: true },
        { ...testDelays, maxWaitMs: 60_000 },
      ),
    );
    expect(error).toBeInstanceOf(WaitEndedError);
    expect(error.message).toMatch(
      new RegExp(
        `^stopped waiting for ${instanceId} instance status ok: instance ${instanceId} (shutting-down|terminated)`,
      ),
    );
  });
});

describe('timeouts name the last thing seen', () => {
  it('an image stuck pending: its state', async () => {
    const image = aws.addImage(REGION, { name: 'slow', state: 'pending' });
    aws.ec2.faults.amiStuckPending = true;
    try {
      const error = await rejection(
        sdkWait(
          `${image.imageId} available`,
          waitUntilImageAvailable,
          aws.ec2For(REGION),
          { ImageIds: [image.imageId] },
          {
            ...testDelays,
            maxWaitMs: 100,
          },
        ),
      );
      expect(error).toBeInstanceOf(WaitTimeoutError);
      expect(error.message).toMatch(
        new RegExp(
          `waiting for ${image.imageId} available \\(\\d+ checks, last seen: ${image.imageId} pending\\)$`,
        ),
      );
    } finally {
      aws.ec2.faults.amiStuckPending = false;
    }
  });

  it('a call that kept failing with a retryable error: that error', async () => {
    const ec2 = aws.ec2For(REGION);
    aws.ec2.throttle({ action: 'DescribeImages', times: 1000 });
    try {
      const error = await rejection(
        sdkWait(
          'anything available',
          waitUntilImageAvailable,
          ec2,
          { ImageIds: ['ami-0123456789abcdef0'] },
          {
            ...testDelays,
            maxWaitMs: 100,
          },
        ),
      );
      expect(error).toBeInstanceOf(WaitTimeoutError);
      expect(error.message).toContain('last seen: EC2: DescribeImages failed: RequestLimitExceeded');
    } finally {
      aws.ec2.faults.throttle.length = 0;
    }
  });

  it('reads the states of images and instances', () => {
    expect(observedState({ Images: [] })).toEqual({ seen: 'no such image' });
    expect(
      observedState({ Images: [{ ImageId: 'ami-1', State: 'failed', StateReason: { Message: 'boom' } }] }),
    ).toEqual({
      seen: 'ami-1 failed (boom)',
      terminal: 'image ami-1 failed (boom)',
    });
    expect(
      observedState({
        InstanceStatuses: [
          {
            InstanceId: 'i-1',
            InstanceState: { Name: 'running' },
            InstanceStatus: { Status: 'initializing' },
            SystemStatus: { Status: 'ok' },
          },
        ],
      }),
    ).toEqual({ seen: 'i-1 running, instance initializing, system ok' });
    expect(
      observedState({ Reservations: [{ Instances: [{ InstanceId: 'i-2', State: { Name: 'terminated' } }] }] })
        .terminal,
    ).toBe('instance i-2 terminated');
  });
});

describe('progress on long waits', () => {
  it('a heartbeat while a check runs long, and another while the next check is awaited', async () => {
    const reports: WaitProgress[] = [];
    await poll(
      'the slow thing',
      async (attempt) => {
        if (attempt === 1) await new Promise((resolve) => setTimeout(resolve, 60));
        return attempt === 2 ? { done: true, value: undefined } : { done: false };
      },
      {
        minDelayMs: 60,
        maxDelayMs: 60,
        maxWaitMs: 10_000,
        heartbeatMs: 20,
        onProgress: (p) => reports.push(p),
      },
    );
    expect(reports[0]).toMatchObject({ attempt: 1 });
    expect(
      reports.filter((r) => r.heartbeat && r.attempt === 1 && r.phase === 'checking').length,
    ).toBeGreaterThan(0);
    expect(
      reports.filter((r) => r.heartbeat && r.phase === 'between-checks' && r.nextCheckInMs !== undefined)
        .length,
    ).toBeGreaterThan(0);
    expect(reports.at(-1)).toMatchObject({ attempt: 2 });
  });

  it('a progress line says what is awaited, for how long, and when the next check comes', () => {
    const lines: string[] = [];
    const line = progressLine({ write: (text: string) => lines.push(text) } as unknown as Logger);
    line({ awaiting: 'ami-1 available', elapsedMs: 4_200, attempt: 3 });
    line({ awaiting: 'ami-1 available', elapsedMs: 75_000, attempt: 3, heartbeat: true, phase: 'checking' });
    line({
      awaiting: 'ami-1 available',
      elapsedMs: 100_000,
      attempt: 4,
      heartbeat: true,
      phase: 'between-checks',
      nextCheckInMs: 12_300,
    });
    expect(lines).toEqual([
      '  waiting for ami-1 available (4.2s elapsed, check 3)\n',
      '  waiting for ami-1 available (75s elapsed, check 3 still waiting for an answer)\n',
      '  waiting for ami-1 available (100s elapsed, next check in 13s)\n',
    ]);
  });

  it('throttled reports pass the first of each wait, heartbeats, and one per interval', () => {
    const passed: number[] = [];
    const report = throttleProgress(30_000, (p) => passed.push(p.elapsedMs));
    for (const elapsedMs of [0, 2_000, 6_000, 14_000, 30_000, 44_000, 60_000, 90_000]) {
      report({ awaiting: 'x', elapsedMs, attempt: 1 });
    }
    report({ awaiting: 'x', elapsedMs: 95_000, attempt: 9, heartbeat: true });
    report({ awaiting: 'y', elapsedMs: 0, attempt: 1 });
    expect(passed).toEqual([0, 30_000, 60_000, 90_000, 95_000, 0]);
  });
});
