/**
 * Measuring helpers for `npm run bench`: hyperfine for wall time (medians over many runs, warm-up first),
 * and peak memory read through getrusage of the children. Results are ratios against a baseline measured in the
 * same run, because these machines are shared and noisy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Timing {
  command: string;
  median: number;
  mean: number;
  stddev: number;
  runs: number;
}

/** Times each shell command with hyperfine; returns the medians in seconds, in the same order. */
export function hyperfine(
  commands: string[],
  options: { runs?: number; warmup?: number; cwd?: string; ignoreFailure?: boolean } = {},
): Timing[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'hephestus-bench-'));
  const exportFile = path.join(dir, 'timings.json');
  try {
    execFileSync(
      'hyperfine',
      [
        '--style',
        'none',
        '--warmup',
        String(options.warmup ?? 3),
        '--runs',
        String(options.runs ?? 20),
        '--export-json',
        exportFile,
        ...(options.ignoreFailure ? ['--ignore-failure'] : []),
        ...commands,
      ],
      { cwd: options.cwd, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const parsed = JSON.parse(readFileSync(exportFile, 'utf8')) as {
      results: Array<{ command: string; median: number; mean: number; stddev: number; times: number[] }>;
    };
    return parsed.results.map((r) => ({
      command: r.command,
      median: r.median,
      mean: r.mean,
      stddev: r.stddev ?? 0,
      runs: r.times.length,
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Wall times of `commands` (argv arrays, no shell) run in turn, one run of each per iteration, after `warmup`
 * iterations: seconds per command per iteration, less the time of spawning `true` measured in the same iteration
 * (the spawning's own cost, which hyperfine subtracts for its shell). hyperfine times one command's runs as a
 * block, so a neighbour's burst of work on a shared machine falls on one command only; run in turn, it falls on
 * all of them alike, and a ratio taken per iteration keeps it out.
 */
export function interleaved(commands: string[][], options: { runs: number; warmup: number }): number[][] {
  const time = (argv: string[]) => {
    const start = process.hrtime.bigint();
    const result = spawnSync(argv[0] as string, argv.slice(1), { stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`${argv.join(' ')} exited with ${result.status}`);
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const times: number[][] = commands.map(() => []);
  for (let i = 0; i < options.warmup + options.runs; i++) {
    const spawnCost = time(['true']);
    const round = commands.map((argv) => Math.max(0, time(argv) - spawnCost));
    if (i < options.warmup) continue;
    for (const [c, t] of round.entries()) times[c]?.push(t);
  }
  return times;
}

/** Peak resident memory of a shell command and its children, in bytes (Linux getrusage, via python3). */
export function peakMemory(command: string, cwd?: string): number {
  const script =
    'import resource,subprocess,sys\n' +
    'subprocess.run(["bash","-c",sys.argv[1]],stdout=subprocess.DEVNULL,check=True)\n' +
    'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)';
  const result = spawnSync('python3', ['-c', script, command], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`peakMemory failed for ${command}: ${result.stderr}`);
  return Number(result.stdout.trim()) * 1024;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Times an async task `runs` times after `warmup` untimed runs; the median in seconds. For work against a
 * sandbox served from this process, which hyperfine (a blocking child) would deadlock.
 */
export async function timeAsync(
  task: (run: number) => Promise<unknown>,
  options: { runs: number; warmup?: number },
): Promise<{ median: number; times: number[] }> {
  const warmup = options.warmup ?? 1;
  const times: number[] = [];
  for (let run = 0; run < warmup + options.runs; run++) {
    const start = performance.now();
    await task(run);
    if (run >= warmup) times.push((performance.now() - start) / 1000);
  }
  return { median: median(times), times };
}

/**
 * CPU seconds used so far by a process (this one by default) and its waited-for children: utime, stime, cutime
 * and cstime of /proc/<pid>/stat, in clock ticks of 1/100 s.
 */
export function cpuSeconds(pid: number | 'self' = 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 of proc(5), counted from the state field (3) here.
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}
