/**
 * Waits: how long after an AMI becomes available in the sandbox's EC2 our wait (src/aws/waits.ts, as the region
 * copies use it) notices, and how many calls it makes meanwhile, against the AWS SDK waiter with its defaults
 * (15 s minimum delay, 120 s maximum, jittered). Both run at once on two copies that complete together, on the
 * sandbox clock scaled down (`scale`: 0.005 makes ten minutes three seconds) with every delay scaled alike; times
 * are reported back in real-AWS seconds. A call's own latency is not scaled, so each adds about 1/scale times its
 * milliseconds to the noticing delay: the figures lean against us, not for us.
 */
import { CopyImageCommand, type EC2Client, waitUntilImageAvailable } from '@aws-sdk/client-ec2';
import { createAwsClients } from '../src/aws/ec2-client.js';
import { AWS_WAIT_DELAYS, backoffDelay, pollSchedule, sdkWait } from '../src/aws/waits.js';
import { SANDBOX_AWS_CREDENTIALS } from '../src/sandbox/aws/aws-auth.js';
import { createEc2Service } from '../src/sandbox/aws/ec2.js';
import { seedImageId } from '../src/sandbox/aws/ec2-state.js';
import { listen } from '../src/sandbox/http.js';
import type { Figure } from './figures.js';
import { median } from './measure.js';

const REGION = 'us-east-1';
const SOURCE = 'Windows_Server-2022-English-Full-Base-2026.10.15';
/** The SDK's defaults for EC2's image waiters, in seconds. */
export const SDK_WAITER_DEFAULTS = { minDelay: 15, maxDelay: 120 } as const;

export interface WaitTrial {
  waitMs: number;
  /** Real-AWS milliseconds from "available" to noticed. */
  oursLatencyMs: number;
  sdkLatencyMs: number;
  oursCalls: number;
  sdkCalls: number;
}

/**
 * The most calls a capped doubling backoff may make for a wait of `waitMs`: one at once, a ramp of
 * log2(max/min) doubling delays, then one per capped delay, and the call that notices.
 */
export function callBound(waitMs: number, minDelayMs: number, maxDelayMs: number): number {
  const ramp = Math.ceil(Math.log2(maxDelayMs / minDelayMs));
  let rampMs = 0;
  for (let attempt = 1; attempt <= ramp; attempt++) rampMs += backoffDelay(attempt, minDelayMs, maxDelayMs);
  return 1 + ramp + Math.max(0, Math.ceil((waitMs - rampMs) / maxDelayMs)) + 1;
}

/** The calls our schedule makes for an AMI that becomes available after `waitMs`, computed from pollSchedule. */
export function scheduledCalls(waitMs: number, minDelayMs: number, maxDelayMs: number): number {
  const times = pollSchedule({ maxWaitMs: waitMs + maxDelayMs, minDelayMs, maxDelayMs });
  const noticing = times.findIndex((at) => at >= waitMs);
  return noticing + 1;
}

export async function waitFigures(
  options: { scale?: number; waitsMinutes?: number[] } = {},
): Promise<Figure[]> {
  const scale = options.scale ?? 0.005;
  const waits = (options.waitsMinutes ?? [5, 10, 20]).map((m) => m * 60_000);
  const ec2 = createEc2Service({ scale, log: () => undefined });
  const server = await listen(ec2.router.listener);
  const env = {
    AWS_ENDPOINT_URL_EC2: server.url,
    AWS_ACCESS_KEY_ID: SANDBOX_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SANDBOX_AWS_CREDENTIALS.secretAccessKey,
  };
  const client = () => createAwsClients({ region: REGION, env }).ec2;
  try {
    const trials: WaitTrial[] = [];
    for (const [index, waitMs] of waits.entries()) {
      ec2.clock.timings.copyAvailableMs = waitMs;
      trials.push(await trial(client(), client(), index, waitMs, scale));
    }
    return summarize(trials, scale);
  } finally {
    await server.close();
  }
}

async function trial(
  ours: EC2Client,
  sdk: EC2Client,
  index: number,
  waitMs: number,
  scale: number,
): Promise<WaitTrial> {
  const copy = async (client: EC2Client, who: string) => {
    const out = await client.send(
      new CopyImageCommand({
        SourceImageId: seedImageId(REGION, SOURCE),
        SourceRegion: REGION,
        Name: `bench-${who}-${index}`,
      }),
    );
    return out.ImageId as string;
  };
  const [oursImage, sdkImage] = await Promise.all([copy(ours, 'ours'), copy(sdk, 'sdk')]);
  // The copies were scheduled to complete waitMs (scaled) after their requests; the later one is the conservative start.
  const availableAt = Date.now() + waitMs * scale;
  let sdkCalls = 0;
  const countedSdk = new Proxy(sdk, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (...args: Parameters<EC2Client['send']>) => {
        sdkCalls++;
        return target.send(...args);
      };
    },
  });
  let oursCalls = 0;
  const oursDone = sdkWait(
    `${oursImage} available`,
    waitUntilImageAvailable,
    ours,
    { ImageIds: [oursImage] },
    {
      maxWaitMs: waitMs * 4 * scale,
      minDelayMs: AWS_WAIT_DELAYS.minDelayMs * scale,
      maxDelayMs: AWS_WAIT_DELAYS.maxDelayMs * scale,
      onProgress: (progress) => {
        oursCalls = progress.attempt;
      },
    },
  ).then(() => Date.now());
  const sdkDone = waitUntilImageAvailable(
    {
      client: countedSdk,
      maxWaitTime: (waitMs * 4 * scale) / 1000,
      minDelay: SDK_WAITER_DEFAULTS.minDelay * scale,
      maxDelay: SDK_WAITER_DEFAULTS.maxDelay * scale,
    },
    { ImageIds: [sdkImage] },
  ).then(() => Date.now());
  const [oursAt, sdkAt] = await Promise.all([oursDone, sdkDone]);
  return {
    waitMs,
    oursLatencyMs: Math.max(0, oursAt - availableAt) / scale,
    sdkLatencyMs: Math.max(0, sdkAt - availableAt) / scale,
    oursCalls,
    sdkCalls,
  };
}

function summarize(trials: WaitTrial[], scale: number): Figure[] {
  const { minDelayMs, maxDelayMs } = AWS_WAIT_DELAYS;
  const ours = median(trials.map((t) => t.oursLatencyMs));
  const sdk = median(trials.map((t) => t.sdkLatencyMs));
  const worst = Math.max(...trials.map((t) => t.oursLatencyMs));
  const label = (t: WaitTrial) => `${t.waitMs / 60_000}min`;
  const details: Record<string, number | string> = { scale };
  for (const t of trials) {
    details[`oursLatencyS@${label(t)}`] = round(t.oursLatencyMs / 1000);
    details[`sdkLatencyS@${label(t)}`] = round(t.sdkLatencyMs / 1000);
  }
  const oursCalls = trials.reduce((sum, t) => sum + t.oursCalls, 0);
  const sdkCalls = trials.reduce((sum, t) => sum + t.sdkCalls, 0);
  const callDetails: Record<string, number | string> = {};
  let withinBound = true;
  for (const t of trials) {
    const bound = callBound(t.waitMs, minDelayMs, maxDelayMs);
    withinBound &&= t.oursCalls <= bound;
    callDetails[`ours@${label(t)}`] = t.oursCalls;
    callDetails[`scheduled@${label(t)}`] = scheduledCalls(t.waitMs, minDelayMs, maxDelayMs);
    callDetails[`bound@${label(t)}`] = bound;
    callDetails[`sdk@${label(t)}`] = t.sdkCalls;
  }
  return [
    {
      name: 'waits: AMI available -> noticed',
      ours: `sdkWait, ${minDelayMs / 1000}-${maxDelayMs / 1000} s backoff (median)`,
      baseline: `SDK waiter defaults (${SDK_WAITER_DEFAULTS.minDelay}-${SDK_WAITER_DEFAULTS.maxDelay} s)`,
      ratio: ours / sdk,
      goal: `every wait <= one capped poll (${maxDelayMs / 1000} s)`,
      met: worst <= maxDelayMs,
      details: {
        ...details,
        oursMedianS: round(ours / 1000),
        sdkMedianS: round(sdk / 1000),
        oursWorstS: round(worst / 1000),
      },
    },
    {
      name: 'waits: calls while waiting',
      ours: `DescribeImages calls over ${trials.map(label).join(' + ')}`,
      baseline: 'SDK waiter defaults',
      ratio: oursCalls / sdkCalls,
      goal: `<= log2(${maxDelayMs / minDelayMs}) ramp + 1 per ${maxDelayMs / 1000} s`,
      met: withinBound,
      details: callDetails,
    },
  ];
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
