/**
 * Bump-consumer over a link with a round-trip time (src/sandbox/shaping.ts; 100 ms by default, as GitHub or AWS
 * from a CI runner on another continent), where the sequential round trips decide the time, not this machine's
 * CPU. Both sides create their pull request on a repository of their own each run, through the same shaped
 * GitHub (and, for the flow, the same shaped EC2):
 *
 * - ours: the real bump-consumer flow (flow-step.ts): checkout, EC2 check of the AMI, edit, push, pull request
 *   with its labels;
 * - the floor: the shell floor (shell-floor.ts: `git clone --depth 1`, `sed`, `git commit`, `git push`) plus the
 *   two REST calls a pull request needs (`curl` open, then label), as a person's script makes them.
 *
 * Besides the time, the critical path of each side's recorded requests (src/sandbox/critical-path.ts): the
 * longest chain of requests each made after the one before it answered. The floor's is counted, not assumed.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { criticalPath } from '../src/sandbox/critical-path.js';
import type { RecordedCall } from '../src/sandbox/http.js';
import type { Shaping } from '../src/sandbox/shaping.js';
import { startBenchEc2 } from './ec2-sandbox.js';
import type { Figure } from './figures.js';
import { benchFlowContext, bumpConsumerFlow } from './flow-step.js';
import { isGitCall, startBenchGitHub } from './github-sandbox.js';
import { median } from './measure.js';
import { shellFloorWithPullRequest } from './shell-floor.js';

/** The round trip the latency figures run under. */
export const LATENCY: Shaping = { latencyMs: 100 };

export async function latencyFigures(options: { runs?: number; shaping?: Shaping } = {}): Promise<Figure[]> {
  const runs = options.runs ?? 3;
  const shaping = options.shaping ?? LATENCY;
  const loopback = await startBenchGitHub();
  const ec2 = await startBenchEc2({ shaping });
  try {
    const github = await loopback.shaped(shaping);
    const flow = { seconds: [] as number[], roundTrips: [] as number[], requests: [] as number[] };
    const floor = { seconds: [] as number[], roundTrips: [] as number[], requests: [] as number[] };
    let flowChain = '';
    let floorChain = '';
    for (let run = 0; run <= runs; run++) {
      const ami = `ami-0${String(run + 1).padStart(16, '0')}`;
      ec2.plantValidated(ami);
      const floorRepo = `acme/latency-floor-${run}`;
      const flowRepo = `acme/latency-flow-${run}`;
      await loopback.seed(floorRepo);
      await loopback.seed(flowRepo);
      const dir = path.join(github.tmp, 'latency', String(run));
      await mkdir(path.dirname(dir), { recursive: true });

      const floorRecording = await github.record();
      const floorStart = performance.now();
      await shellFloorWithPullRequest(
        { api: github.url, url: github.cloneUrl(floorRepo), fullName: floorRepo },
        dir,
        'windows-update/win2022',
        ami,
        'create',
      );
      const floorSeconds = (performance.now() - floorStart) / 1000;
      const floorCalls = await floorRecording.done();

      const context = benchFlowContext(github, ec2);
      const flowRecording = await github.record();
      const ec2From = ec2.service.router.calls.length;
      const flowStart = performance.now();
      const report = await bumpConsumerFlow(context, flowRepo, ami);
      const flowSeconds = (performance.now() - flowStart) / 1000;
      await context.dispose();
      if (report.outcome !== 'created')
        throw new Error(`bump-consumer: unexpected outcome ${report.outcome}`);
      const flowCalls = [...(await flowRecording.done()), ...ec2.service.router.calls.slice(ec2From)];
      await rm(path.join(github.tmp, 'latency'), { recursive: true, force: true });
      // The first round warms the server's caches and git's, and is not counted.
      if (run === 0) continue;
      const flowPath = criticalPath(flowCalls);
      const floorPath = criticalPath(floorCalls);
      flow.seconds.push(flowSeconds);
      flow.roundTrips.push(flowPath.roundTrips);
      flow.requests.push(flowCalls.length);
      floor.seconds.push(floorSeconds);
      floor.roundTrips.push(floorPath.roundTrips);
      floor.requests.push(floorCalls.length);
      flowChain = flowPath.chain.map(describe).join(' -> ');
      floorChain = floorPath.chain.map(describe).join(' -> ');
    }
    const timeRatio = median(flow.seconds) / median(floor.seconds);
    const tripsRatio = median(flow.roundTrips) / median(floor.roundTrips);
    const rtt = `${shaping.latencyMs} ms RTT`;
    const shared = { rttMs: shaping.latencyMs, runs };
    return [
      {
        name: `latency ${rtt}: bump vs shell floor`,
        ours: 'bump-consumer, creating its PR',
        baseline: 'clone --depth 1, sed, commit, push + 2 REST',
        ratio: timeRatio,
        goal: '<= 1.2x',
        met: timeRatio <= 1.2,
        details: {
          ...shared,
          flowMedianS: round(median(flow.seconds)),
          floorMedianS: round(median(floor.seconds)),
          flowRoundTripsS: round((median(flow.roundTrips) * shaping.latencyMs) / 1000),
          floorRoundTripsS: round((median(floor.roundTrips) * shaping.latencyMs) / 1000),
        },
      },
      {
        name: `latency ${rtt}: sequential round trips, bump`,
        ours: 'critical-path requests of the flow (GitHub + EC2)',
        baseline: `the floor's, counted: ${median(floor.roundTrips)}`,
        ratio: tripsRatio,
        goal: '<= 1.25x',
        met: tripsRatio <= 1.25,
        details: {
          ...shared,
          flowRoundTrips: median(flow.roundTrips),
          flowRequests: median(flow.requests),
          floorRoundTrips: median(floor.roundTrips),
          floorRequests: median(floor.requests),
          flowCriticalPath: flowChain,
          floorCriticalPath: floorChain,
        },
      },
    ];
  } finally {
    await ec2.stop();
    await loopback.stop();
  }
}

/** A recorded call as the critical path lists it: `git GET info/refs`, `ec2 POST /`, `GET /repos/:owner/...`. */
export function describe(call: RecordedCall): string {
  if (isGitCall(call)) return `git ${call.method} ${call.path.split('.git/')[1] ?? call.path}`;
  return call.service === 'github'
    ? `${call.method} ${call.route}`
    : `${call.service} ${call.method} ${call.route}`;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
