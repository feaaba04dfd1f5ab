/**
 * A long git history, fast: a `git fast-import` stream of `commits` commits on top of an existing branch tip, each
 * changing a small text file, with `historyBytes` of incompressible binary assets replaced along the way (so the
 * history is large while the tip stays small, as in a repository that once kept installers in git).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface HistoryOptions {
  /** Commits to add. */
  commits: number;
  /** Bytes of binary blobs spread over the history (each version of `assets/installer.bin` replaces the last). */
  historyBytes: number;
  /** How many versions of the binary to spread `historyBytes` over. */
  blobVersions?: number;
  /** The commit the new history starts from (its tree is kept). */
  from: string;
  branch?: string;
  /** Unix seconds of the first commit; one minute between commits. */
  startTime?: number;
  /** Source of the binary contents; random bytes by default. */
  bytes?: (size: number) => Buffer;
}

/** Yields the fast-import stream in pieces; pure apart from drawing the blob contents from `bytes`. */
export function* historyStream(options: HistoryOptions): Generator<Buffer> {
  const branch = options.branch ?? 'main';
  const versions = Math.min(options.blobVersions ?? 100, options.commits);
  const blobSize = versions > 0 ? Math.floor(options.historyBytes / versions) : 0;
  const every = versions > 0 ? Math.max(1, Math.floor(options.commits / versions)) : 0;
  const bytes = options.bytes ?? randomBytes;
  const start = options.startTime ?? 1_600_000_000;
  let written = 0;
  for (let i = 0; i < options.commits; i++) {
    const when = start + i * 60;
    const message = `Change ${i + 1} of ${options.commits}\n`;
    const text = `entry ${i}\n`;
    const header =
      `commit refs/heads/${branch}\n` +
      `author Dev ${i % 7} <dev${i % 7}@example.invalid> ${when} +0000\n` +
      `committer Dev ${i % 7} <dev${i % 7}@example.invalid> ${when} +0000\n` +
      `data ${Buffer.byteLength(message)}\n${message}` +
      (i === 0 ? `from ${options.from}\n` : '') +
      `M 100644 inline history/log-${i % 50}.txt\ndata ${Buffer.byteLength(text)}\n${text}`;
    yield Buffer.from(header);
    if (every > 0 && i % every === 0 && written < versions) {
      written++;
      yield Buffer.from(`M 100644 inline assets/installer.bin\ndata ${blobSize}\n`);
      yield bytes(blobSize);
      yield Buffer.from('\n');
    }
    yield Buffer.from('\n');
  }
}

/** Runs `git fast-import` in the bare repository `gitDir` with the stream of `options`. */
export function importHistory(gitDir: string, options: HistoryOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], {
      env: { ...process.env, GIT_DIR: gitDir },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`git fast-import failed (${code}): ${stderr.trim()}`)),
    );
    const stream = historyStream(options);
    // Write with backpressure: the binary pieces run to megabytes.
    const pump = () => {
      for (let next = stream.next(); !next.done; next = stream.next()) {
        if (!child.stdin.write(next.value)) {
          child.stdin.once('drain', pump);
          return;
        }
      }
      child.stdin.end();
    };
    pump();
  });
}
