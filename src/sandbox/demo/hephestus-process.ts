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

/** This same program, whether it runs from the bundle or from source under tsx. */
function selfCommand(): string[] {
  return [...process.execArgv, process.argv[1] as string];
}

/** Runs `hephestus ARGS --json` with `env`; `onProgress` gets each line it prints on standard error. */
export function runHephestus(
  args: string[],
  env: Record<string, string>,
  onProgress: (line: string) => void,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...selfCommand(), ...args, '--json'], {
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
