/**
 * Runs `hephestus` as a CI job would: a separate process, with CircleCI's environment and the sandbox's
 * endpoints, its progress shown indented, its `--json` report returned.
 */
import { spawn } from 'node:child_process';

export interface ProcessResult {
  exitCode: number;
  report: Record<string, unknown> | undefined;
  stderr: string;
}

/** This same program, whether it runs from the bundle or from source under tsx; on a clock `clockOffsetMs` ahead. */
function selfCommand(clockOffsetMs: number): string[] {
  const clock = clockOffsetMs === 0 ? [] : [`--import=${shiftedClockModule(clockOffsetMs)}`];
  return [...process.execArgv, ...clock, process.argv[1] as string];
}

/**
 * A module, loaded before the program, that moves `Date.now()` and `new Date()` forward by `offsetMs`: the
 * sandbox's AWS clock can jump ahead (a kept instance's expiry passing), and a process started after the jump
 * must read the same time, as libfaketime would make it. Only the demo's own processes run with it.
 */
function shiftedClockModule(offsetMs: number): string {
  const source = [
    `const offset = ${Math.trunc(offsetMs)};`,
    'const RealDate = Date;',
    'const realNow = RealDate.now;',
    'RealDate.now = () => realNow() + offset;',
    'globalThis.Date = new Proxy(RealDate, {',
    '  construct: (target, args, newTarget) => Reflect.construct(target, args.length ? args : [RealDate.now()], newTarget),',
    '});',
  ].join('\n');
  return `data:text/javascript;base64,${Buffer.from(source).toString('base64')}`;
}

/**
 * Runs `hephestus ARGS --json` with `env`; `onProgress` gets each line it prints on standard error.
 * `clockOffsetMs` runs it that far in the future (the sandbox's clock, once the demo has moved it).
 */
export function runHephestus(
  args: string[],
  env: Record<string, string>,
  onProgress: (line: string) => void,
  { clockOffsetMs = 0 }: { clockOffsetMs?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...selfCommand(clockOffsetMs), ...args, '--json'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') onProgress(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending.trim() !== '') onProgress(pending);
      let report: Record<string, unknown> | undefined;
      try {
        report = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ exitCode: code ?? 1, report, stderr });
    });
  });
}
