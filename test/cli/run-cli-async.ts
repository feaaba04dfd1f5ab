/**
 * Runs the built bundle without blocking the event loop: the sandbox serves from this same process, so a
 * synchronous spawn would wait forever for a server that cannot answer.
 */
import { spawn } from 'node:child_process';
import type { CliRun } from './run-cli.js';
import { BUNDLE } from './run-cli.js';

/** Runs `hephestus ARGS` (after `nodeArgs`) with `env` added to a clean environment. */
export function runCliAsync(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; nodeArgs?: string[] } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BUNDLE, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
