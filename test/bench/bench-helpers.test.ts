import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../bench/fan-out.js';
import { historyStream, importHistory } from '../../bench/fast-import-history.js';
import { isGitCall, isWrite } from '../../bench/github-sandbox.js';
import { interleaved } from '../../bench/measure.js';
import { callBound, scheduledCalls } from '../../bench/waits.js';
import { AWS_WAIT_DELAYS } from '../../src/aws/waits.js';

const run = promisify(execFile);
const { minDelayMs, maxDelayMs } = AWS_WAIT_DELAYS;

describe('wait call counts', () => {
  it('counts the calls of the 2 s to 30 s schedule for a ten-minute wait', () => {
    // Calls at 0, 2, 6, 14, 30, then every 30 s: the one at 600 s is the 24th and notices.
    expect(scheduledCalls(600_000, minDelayMs, maxDelayMs)).toBe(24);
  });

  it('notices an image available at once with the first call', () => {
    expect(scheduledCalls(0, minDelayMs, maxDelayMs)).toBe(1);
  });

  it('never schedules more calls than the bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 * 3_600_000 }), (waitMs) => {
        expect(scheduledCalls(waitMs, minDelayMs, maxDelayMs)).toBeLessThanOrEqual(
          callBound(waitMs, minDelayMs, maxDelayMs),
        );
      }),
    );
  });

  it('lets the bound grow by one call per capped delay once the ramp (2+4+8+16 s) is over', () => {
    fc.assert(
      fc.property(fc.integer({ min: 30_000, max: 6 * 3_600_000 }), (waitMs) => {
        expect(callBound(waitMs + maxDelayMs, minDelayMs, maxDelayMs)).toBe(
          callBound(waitMs, minDelayMs, maxDelayMs) + 1,
        );
      }),
    );
  });
});

describe('mapLimit', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(5), { maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        async (delays, limit) => {
          let running = 0;
          let peak = 0;
          const results = await mapLimit(delays, limit, async (delay) => {
            running++;
            peak = Math.max(peak, running);
            await new Promise((resolve) => setTimeout(resolve, delay));
            running--;
            return delay * 2;
          });
          expect(results).toEqual(delays.map((d) => d * 2));
          expect(peak).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('interleaved', () => {
  it('runs every command once per iteration after the warm-up, in turn', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hephestus-interleaved-'));
    const log = path.join(dir, 'order');
    const append = (name: string) => ['sh', '-c', `printf ${name} >> ${log}`];
    const times = interleaved([append('a'), append('b')], { runs: 3, warmup: 2 });
    expect(await readFile(log, 'utf8')).toBe('ababababab');
    expect(times.map((t) => t.length)).toEqual([3, 3]);
    expect(times.flat().every((t) => t >= 0)).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });

  it('fails on a command that fails, rather than timing its error', () => {
    expect(() => interleaved([['false']], { runs: 1, warmup: 0 })).toThrow(/false exited with 1/);
  });
});

describe('call classification', () => {
  it('tells git smart-HTTP calls from REST calls, and writes from reads', () => {
    expect(isGitCall({ path: '/acme/vm-manager.git/info/refs' })).toBe(true);
    expect(isGitCall({ path: '/acme/vm-manager.git/git-receive-pack' })).toBe(true);
    expect(isGitCall({ path: '/repos/acme/vm-manager/pulls' })).toBe(false);
    expect(isWrite({ method: 'PATCH' })).toBe(true);
    expect(isWrite({ method: 'GET' })).toBe(false);
  });
});

describe('historyStream', () => {
  it('spreads the binary versions over the history and starts from the given commit', () => {
    const sizes: number[] = [];
    const text = [
      ...historyStream({
        commits: 10,
        historyBytes: 5 * 64,
        blobVersions: 5,
        from: 'a'.repeat(40),
        bytes: (size) => {
          sizes.push(size);
          return Buffer.alloc(size, 0x41);
        },
      }),
    ]
      .map((b) => b.toString('latin1'))
      .join('');
    expect(sizes).toEqual([64, 64, 64, 64, 64]);
    expect(text.match(/^commit refs\/heads\/main$/gm)).toHaveLength(10);
    expect(text.match(/^from /gm)).toEqual(['from ']);
    expect(text).toContain(`from ${'a'.repeat(40)}\n`);
  });

  it('imports into a real repository as that many commits on top of the base', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hephestus-fast-import-'));
    try {
      const git = async (...args: string[]) =>
        (await run('git', args, { env: { ...process.env, GIT_DIR: dir } })).stdout.trim();
      await git('init', '--quiet', '--bare', '--initial-branch=main', dir);
      const tree = await git('hash-object', '-t', 'tree', '-w', '/dev/null');
      const base = (
        await run('git', ['commit-tree', tree, '-m', 'base'], {
          env: {
            ...process.env,
            GIT_DIR: dir,
            GIT_AUTHOR_NAME: 'a',
            GIT_AUTHOR_EMAIL: 'a@x.invalid',
            GIT_COMMITTER_NAME: 'a',
            GIT_COMMITTER_EMAIL: 'a@x.invalid',
          },
        })
      ).stdout.trim();
      await git('update-ref', 'refs/heads/main', base);
      await importHistory(dir, { commits: 300, historyBytes: 300 * 1024, blobVersions: 3, from: base });
      expect(await git('rev-list', '--count', 'main')).toBe('301');
      expect(
        (await git('log', '--format=%H', 'main', '--', 'assets/installer.bin')).split('\n'),
      ).toHaveLength(3);
      expect((await git('ls-tree', '-r', '--name-only', 'main')).split('\n')).toContain(
        'assets/installer.bin',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
