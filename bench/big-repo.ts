/**
 * Bump a big repository: the real bump-consumer flow (checkout, edit, update branch with its foreign-commit
 * check, push with a lease, pull request; see flow-step.ts) against the sandbox's GitHub serving a repository
 * with a long, heavy history, compared with the shell floor a person would write: `git clone --depth 1
 * --single-branch`, `sed`, `git commit`, `git push`. Measured at 2,000 and 20,000 commits: a bump must not cost
 * more because the history is longer. The flow and open-update share checkout and update-branch, the git half
 * measured here.
 *
 * The history is built with `git fast-import`; its binary weight grows with the commit count (a tenth at 2,000).
 * After the first (untimed) round every run updates the existing branch and pull request, the common case.
 * The flow's EC2 check of the AMI (ec2-sandbox.ts) is timed with it, as a real bump pays it; the floor has none.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { git } from '../src/sandbox/github/bare-repo.js';
import { startBenchEc2 } from './ec2-sandbox.js';
import type { Figure } from './figures.js';
import { benchFlowContext, bumpConsumerFlow } from './flow-step.js';
import { startBenchGitHub } from './github-sandbox.js';
import { importHistoryApart } from './import-history-process.js';
import { timeAsync } from './measure.js';
import { shellFloor } from './shell-floor.js';

export interface BigRepoOptions {
  /** Megabytes of binary history at 20,000 commits (the issue asks for 300). */
  historyMb?: number;
  runs?: number;
}

export async function bigRepoFigures(options: BigRepoOptions = {}): Promise<Figure[]> {
  const historyMb = options.historyMb ?? 300;
  const runs = options.runs ?? 5;
  const github = await startBenchGitHub();
  const ec2 = await startBenchEc2();
  try {
    const sizes = [
      { commits: 2_000, mb: historyMb / 10 },
      { commits: 20_000, mb: historyMb },
    ];
    const built: Record<number, number> = {};
    for (const size of sizes) {
      const started = performance.now();
      const dir = await github.seed(repoName(size.commits));
      const from = await git(dir, ['rev-parse', 'refs/heads/main']);
      await importHistoryApart(dir, { commits: size.commits, historyBytes: size.mb * 1024 * 1024, from });
      await github.sync(repoName(size.commits));
      built[size.commits] = (performance.now() - started) / 1000;
    }

    let counter = 0;
    const work = path.join(github.tmp, 'work');
    const fresh = async () => {
      const dir = path.join(work, String(++counter));
      await mkdir(work, { recursive: true });
      return dir;
    };
    const measured: Record<string, number> = {};
    for (const size of sizes) {
      const name = repoName(size.commits);
      const url = github.cloneUrl(name);
      // Interleaved per run, so that the machine's noise falls on all three alike.
      const floor: number[] = [];
      const flow: number[] = [];
      for (let run = 0; run < runs + 1; run++) {
        const ami = `ami-0${String(run).padStart(16, '0')}`;
        // Validated before the timing starts; the flow's check of it (one DescribeImages) is timed.
        ec2.plantValidated(ami);
        const t1 = await timeAsync(async () => shellFloor(url, await fresh(), `floor-${run}`, ami), {
          runs: 1,
          warmup: 0,
        });
        const context = benchFlowContext(github, ec2);
        const t2 = await timeAsync(
          async () => {
            const report = await bumpConsumerFlow(context, name, ami);
            if (report.outcome !== (run === 0 ? 'created' : 'updated')) {
              throw new Error(`bump-consumer on ${name}: unexpected outcome ${report.outcome}`);
            }
          },
          { runs: 1, warmup: 0 },
        );
        await context.dispose();
        await rm(work, { recursive: true, force: true });
        // The first round warms the server's caches and is not counted.
        if (run === 0) continue;
        floor.push(t1.median);
        flow.push(t2.median);
      }
      measured[`floor@${size.commits}`] = median(floor);
      measured[`flow@${size.commits}`] = median(flow);
    }

    const details = (commits: number): Record<string, number | string> => ({
      commits,
      historyMiB: commits === 20_000 ? historyMb : historyMb / 10,
      ...(historyMb < 300
        ? { scaledDown: `history ${historyMb} MiB instead of 300 MiB, to fit the 10-minute run` }
        : {}),
      buildS: round(built[commits] as number),
      floorMedianS: round(measured[`floor@${commits}`] as number),
      flowMedianS: round(measured[`flow@${commits}`] as number),
      runs,
    });
    const ratio = (a: string, b: string) => (measured[a] as number) / (measured[b] as number);
    const big = ratio('flow@20000', 'floor@20000');
    const growth = ratio('flow@20000', 'flow@2000');
    return [
      {
        name: 'big repo 20,000 commits: bump',
        ours: 'bump-consumer flow (git + pull request)',
        baseline: 'git clone --depth 1, sed, commit, push',
        ratio: big,
        goal: '<= 1.25x',
        met: big <= 1.25,
        details: { ...details(20_000), floorAt2000S: round(measured['floor@2000'] as number) },
      },
      {
        name: 'big repo: 20,000 vs 2,000 commits',
        ours: 'bump-consumer flow at 20,000 commits',
        baseline: 'the same at 2,000 commits',
        ratio: growth,
        goal: 'same time (<= 1.2x)',
        met: growth <= 1.2,
        details: details(2_000),
      },
    ];
  } finally {
    await ec2.stop();
    await github.stop();
  }
}

function repoName(commits: number): string {
  return `acme/big-${commits}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
