/**
 * Fan-out: the real bump-consumer flow (flow-step.ts) on 20 consumer repositories against one. Each consumer gets
 * its checkout, edit, update branch, push and pull request (list, create, labels).
 *
 * GitHub's documented limits (REST API best practices, "Avoid concurrent requests" and secondary rate limits):
 * no more than 100 concurrent requests, and content-creating requests (POST, PATCH, PUT, DELETE) made serially.
 * Here CONCURRENCY consumers run at once in one flow context, so every write goes through one client whose
 * write queue runs one request at a time, and the throttling plugin caps concurrent requests at 10. GitHub also
 * asks for a second between writes; the client paces them so in production, and the details give what that
 * floor adds (`pacedWritesFloorS`). The sandbox's git http-backend and the git clients share the machine's cores
 * with this process; `cpuSecondsPerConsumer` tells how much of the fan-out is CPU the cores must do anyway.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Figure } from './figures.js';
import { benchFlowContext, bumpConsumerFlow } from './flow-step.js';
import { isGitCall, isWrite, startBenchGitHub } from './github-sandbox.js';
import { median } from './measure.js';

/**
 * Consumers bumped at once: each is a few sequential git processes and requests, so with 2 cores about 8 keep
 * them busy; at most 3 requests each are in flight, far below GitHub's 100, and writes stay serialized.
 */
export const CONCURRENCY = 8;

/** Runs `task` over `items` with at most `limit` running at once; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function fanOutFigures(options: { consumers?: number; runs?: number } = {}): Promise<Figure[]> {
  const consumers = options.consumers ?? 20;
  const runs = options.runs ?? 3;
  const github = await startBenchGitHub();
  try {
    const names = Array.from(
      { length: consumers },
      (_, i) => `acme/consumer-${String(i + 1).padStart(2, '0')}`,
    );
    for (const name of names) await github.seed(name);
    let rounds = 0;
    const bump = async (repos: readonly string[]) => {
      const ami = `ami-0${String(++rounds).padStart(16, '0')}`;
      // One context for every consumer, as one CLI run has: its client's write queue serializes their writes.
      const context = benchFlowContext(github);
      try {
        await mapLimit(repos, CONCURRENCY, (fullName) => bumpConsumerFlow(context, fullName, ami));
      } finally {
        await context.dispose();
      }
    };
    const one: number[] = [];
    const all: number[] = [];
    let writes = 0;
    let restCalls = 0;
    const cpu: number[] = [];
    // A warm-up of each, then interleaved rounds so noise falls on both alike.
    await bump(names.slice(0, 1));
    await bump(names);
    for (let run = 0; run < runs; run++) {
      let start = performance.now();
      await bump(names.slice(run % names.length, (run % names.length) + 1));
      one.push((performance.now() - start) / 1000);
      const recording = github.record();
      const cpuBefore = childAndSelfCpu();
      start = performance.now();
      await bump(names);
      all.push((performance.now() - start) / 1000);
      cpu.push(childAndSelfCpu() - cpuBefore);
      const calls = recording.done().filter((call) => !isGitCall(call));
      restCalls = calls.length;
      writes = calls.filter(isWrite).length;
    }
    const ratio = median(all) / median(one);
    return [
      {
        name: `fan-out: ${consumers} consumers vs 1`,
        ours: `bump ${consumers} repositories, ${CONCURRENCY} at a time`,
        baseline: 'bump 1 repository',
        ratio,
        goal: '<= 3x',
        met: ratio <= 3,
        details: {
          oneMedianS: round(median(one)),
          allMedianS: round(median(all)),
          concurrency: CONCURRENCY,
          restCallsPerFanOut: restCalls,
          writesPerFanOut: writes,
          pacedWritesFloorS: Math.max(0, writes - 1),
          cpuSecondsPerConsumer: round(median(cpu) / consumers),
          cpuBoundFloorS: round(median(cpu) / os.availableParallelism()),
          cores: os.availableParallelism(),
          via: 'bump-consumer flow (src/flows/bump-consumer.ts), in-process',
          runs,
        },
      },
    ];
  } finally {
    await github.stop();
  }
}

/**
 * CPU seconds used so far by this process (the sandbox, the flow) and its waited-for children (git clients and
 * the sandbox's git http-backend): utime, stime, cutime and cstime of /proc/self/stat, in clock ticks of 1/100 s.
 */
function childAndSelfCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 of proc(5), counted from the state field (3) here.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
