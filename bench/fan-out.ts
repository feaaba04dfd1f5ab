/**
 * Fan-out: bumping the image id in 20 consumer repositories against bumping it in one. Each consumer gets the
 * git half (clone, edit, commit, push) and a pull request (list, create, labels). The flow
 * (`bump-consumer`) is not there yet, so this composes the same modules with a bounded concurrency.
 *
 * GitHub's documented limits (REST API best practices, "Avoid concurrent requests" and secondary rate limits):
 * no more than 100 concurrent requests, and content-creating requests (POST, PATCH, PUT, DELETE) made serially.
 * Here at most CONCURRENCY consumers run at once, every write goes through one client whose write queue runs one
 * request at a time, and the throttling plugin caps concurrent requests at 10. GitHub also asks for a second between
 * writes; the client paces them so in production, and the details give what that floor adds (`pacedWritesFloorS`).
 */
import path from 'node:path';
import { PullRequests } from '../src/github/pull-requests.js';
import { updatePullRequest } from '../src/github/update-pull-request.js';
import type { Figure } from './figures.js';
import { bumpRepository } from './git-step.js';
import { BOT, isGitCall, isWrite, startBenchGitHub } from './github-sandbox.js';
import { median } from './measure.js';

/** Consumers bumped at once; far below GitHub's 100 concurrent requests, and enough to keep 2 cores busy. */
export const CONCURRENCY = 4;

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
    // One client for every consumer, as one CLI run has: its write queue serializes the writes of all of them.
    const client = github.client();
    let rounds = 0;
    const bump = async (repos: readonly string[]) => {
      const id = ++rounds;
      const imageSet = `win2022-run${id}`;
      const ami = `ami-0${String(id).padStart(16, '0')}`;
      await mapLimit(repos, CONCURRENCY, async (fullName) => {
        const [owner = '', repo = ''] = fullName.split('/');
        const branch = `windows-update/${imageSet}`;
        const step = await bumpRepository({
          url: github.cloneUrl(fullName),
          dir: path.join(github.tmp, 'work', String(id), repo),
          branch,
          ami,
        });
        await updatePullRequest(new PullRequests(client, { owner, repo }), step, {
          imageSet,
          branch,
          base: 'main',
          title: `Bump windows-server-2022 to ${ami}`,
          body: `The validated image is now \`${ami}\`.`,
          labels: ['windows-update'],
          author: BOT,
        });
      });
    };
    const one: number[] = [];
    const all: number[] = [];
    let writes = 0;
    let restCalls = 0;
    // A warm-up of each, then interleaved rounds so noise falls on both alike.
    await bump(names.slice(0, 1));
    await bump(names);
    for (let run = 0; run < runs; run++) {
      let start = performance.now();
      await bump(names.slice(run % names.length, (run % names.length) + 1));
      one.push((performance.now() - start) / 1000);
      const recording = github.record();
      start = performance.now();
      await bump(names);
      all.push((performance.now() - start) / 1000);
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
          via: 'git + PR modules (the bump-consumer flow is not there yet)',
          runs,
        },
      },
    ];
  } finally {
    await github.stop();
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
