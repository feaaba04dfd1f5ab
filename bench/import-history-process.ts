/**
 * `importHistory` and a repack in a process of its own, forked by {@link importHistoryApart}: the history's
 * hundreds of megabytes then pass through that process only, and the benchmark's process stays small (a large
 * process forks every git it spawns slower, which would weigh on the flow measured in it).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { git } from '../src/sandbox/github/bare-repo.js';
import { type HistoryOptions, importHistory } from './fast-import-history.js';

/** Imports `options`'s history into `gitDir` and repacks it, in a child process. */
export function importHistoryApart(gitDir: string, options: Omit<HistoryOptions, 'bytes'>): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), [gitDir, JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`the history import exited with ${code}`)),
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [gitDir, json] = process.argv.slice(2) as [string, string];
  await importHistory(gitDir, JSON.parse(json) as HistoryOptions);
  await git(gitDir, ['repack', '-adq']);
}
