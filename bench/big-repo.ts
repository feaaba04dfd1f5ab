/**
 * Bump a big repository: the git half of open-update (clone, edit, commit, push, through src/git and src/edit)
 * against the sandbox's GitHub serving a repository with a long, heavy history, compared with the shell floor a
 * person would write: `git clone --depth 1 --single-branch`, `sed`, `git commit`, `git push`. Measured at 2,000
 * and 20,000 commits: a bump must not cost more because the history is longer.
 *
 * The history is built with `git fast-import`; its binary weight grows with the commit count (a tenth at 2,000).
 * Both clone modes of GitRepository are measured: `tip` (depth 1, what a bump of a new branch needs) and
 * `commits` (blobless, every commit: what listing the update branch's foreign commits needs).
 */
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { git } from '../src/sandbox/bare-repo.js';
import { importHistory } from './fast-import-history.js';
import type { Figure } from './figures.js';
import { BUMP_FILE, bumpRepository } from './git-step.js';
import { BENCH_TOKEN, BOT, startBenchGitHub } from './github-sandbox.js';
import { timeAsync } from './measure.js';

export interface BigRepoOptions {
  /** Megabytes of binary history at 20,000 commits (the issue asks for 300). */
  historyMb?: number;
  runs?: number;
}

export async function bigRepoFigures(options: BigRepoOptions = {}): Promise<Figure[]> {
  const historyMb = options.historyMb ?? 300;
  const runs = options.runs ?? 5;
  const github = await startBenchGitHub();
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
      await importHistory(dir, { commits: size.commits, historyBytes: size.mb * 1024 * 1024, from });
      await git(dir, ['repack', '-adq']);
      await github.service.sync(repoName(size.commits));
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
      const tip: number[] = [];
      const blobless: number[] = [];
      for (let run = 0; run < runs + 1; run++) {
        const ami = `ami-0${String(run).padStart(16, '0')}`;
        const t1 = await timeAsync(async () => shellFloor(url, await fresh(), `floor-${run}`, ami), {
          runs: 1,
          warmup: 0,
        });
        const t2 = await timeAsync(
          async () => bumpRepository({ url, dir: await fresh(), branch: `tip-${run}`, ami, history: 'tip' }),
          { runs: 1, warmup: 0 },
        );
        const t3 = await timeAsync(
          async () =>
            bumpRepository({ url, dir: await fresh(), branch: `commits-${run}`, ami, history: 'commits' }),
          { runs: 1, warmup: 0 },
        );
        await rm(work, { recursive: true, force: true });
        // The first round warms the server's caches and is not counted.
        if (run === 0) continue;
        floor.push(t1.median);
        tip.push(t2.median);
        blobless.push(t3.median);
      }
      measured[`floor@${size.commits}`] = median(floor);
      measured[`tip@${size.commits}`] = median(tip);
      measured[`commits@${size.commits}`] = median(blobless);
    }

    const details = (commits: number): Record<string, number | string> => ({
      commits,
      historyMiB: commits === 20_000 ? historyMb : historyMb / 10,
      ...(historyMb < 300
        ? { scaledDown: `history ${historyMb} MiB instead of 300 MiB, to fit the 10-minute run` }
        : {}),
      buildS: round(built[commits] as number),
      floorMedianS: round(measured[`floor@${commits}`] as number),
      tipMedianS: round(measured[`tip@${commits}`] as number),
      commitsMedianS: round(measured[`commits@${commits}`] as number),
      runs,
    });
    const ratio = (a: string, b: string) => (measured[a] as number) / (measured[b] as number);
    const big = ratio('tip@20000', 'floor@20000');
    const bigBlobless = ratio('commits@20000', 'floor@20000');
    const growth = ratio('tip@20000', 'tip@2000');
    const growthBlobless = ratio('commits@20000', 'commits@2000');
    return [
      {
        name: 'big repo 20,000 commits: bump',
        ours: 'clone (tip) + editFile + commit + push',
        baseline: 'git clone --depth 1, sed, commit, push',
        ratio: big,
        goal: '<= 1.25x',
        met: big <= 1.25,
        details: details(20_000),
      },
      {
        name: 'big repo 20,000 commits: bump, blobless clone',
        ours: 'clone (commits, blob:none) + edit + commit + push',
        baseline: 'git clone --depth 1, sed, commit, push',
        ratio: bigBlobless,
        goal: '<= 1.25x',
        met: bigBlobless <= 1.25,
        details: details(20_000),
      },
      {
        name: 'big repo: 20,000 vs 2,000 commits',
        ours: 'bump (tip) at 20,000 commits',
        baseline: 'bump (tip) at 2,000 commits',
        ratio: growth,
        goal: 'same time (<= 1.2x)',
        met: growth <= 1.2,
        details: { ...details(2_000), commitsGrowth: round(growthBlobless) },
      },
    ];
  } finally {
    await github.stop();
  }
}

/** The shell a person would write, run through bash asynchronously (the sandbox answers from this process). */
function shellFloor(url: string, dir: string, branch: string, ami: string): Promise<void> {
  const auth = Buffer.from(`x-access-token:${BENCH_TOKEN}`).toString('base64');
  const script = [
    'set -euo pipefail',
    `git -c http.extraHeader="Authorization: Basic ${auth}" clone -q --depth 1 --single-branch --branch main "$URL" "$DIR"`,
    'cd "$DIR"',
    `sed -i -E 's/("windows-server-2022" )"ami-[0-9a-f]+"/\\1"'"$AMI"'"/' ${BUMP_FILE}`,
    `git -c user.name="${BOT.name}" -c user.email="${BOT.email}" commit -qam "Bump windows-server-2022 to $AMI"`,
    `git -c http.extraHeader="Authorization: Basic ${auth}" push -q origin "HEAD:refs/heads/$BRANCH"`,
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      env: { ...process.env, URL: url, DIR: dir, AMI: ami, BRANCH: branch, GIT_TERMINAL_PROMPT: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`shell floor failed: ${stderr}`)),
    );
  });
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
