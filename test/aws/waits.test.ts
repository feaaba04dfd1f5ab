import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, formatDuration, poll, pollSchedule, WaitTimeoutError } from '../../src/aws/waits.js';
import { FailureError } from '../../src/errors.js';

const settingsArb = fc
  .record({
    minDelayMs: fc.integer({ min: 1, max: 5_000 }),
    ratio: fc.integer({ min: 1, max: 64 }),
    // Up to ten thousand capped intervals: long enough to be far past the ramp, short enough to list.
    waitFactor: fc.double({ min: 0.001, max: 10_000, noNaN: true }),
  })
  .map(({ minDelayMs, ratio, waitFactor }) => ({
    minDelayMs,
    maxDelayMs: minDelayMs * ratio,
    maxWaitMs: Math.max(1, Math.round(minDelayMs * ratio * waitFactor)),
  }));

describe('backoff schedule', () => {
  it('doubles from the minimum and never exceeds the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 2_000, 30_000))).toEqual([
      2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    fc.assert(
      fc.property(settingsArb, fc.integer({ min: 1, max: 10_000 }), (s, attempt) => {
        const delay = backoffDelay(attempt, s.minDelayMs, s.maxDelayMs);
        expect(delay).toBeGreaterThanOrEqual(s.minDelayMs);
        expect(delay).toBeLessThanOrEqual(s.maxDelayMs);
      }),
    );
  });

  it('makes calls logarithmic in the wait until the cap, then one per capped interval; the last call is at the deadline', () => {
    fc.assert(
      fc.property(settingsArb, (s) => {
        const times = pollSchedule(s);
        expect(times[0]).toBe(0);
        expect(times.at(-1)).toBe(s.maxWaitMs);
        const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
        expect(gaps.every((gap) => gap > 0 && gap <= s.maxDelayMs)).toBe(true);
        // Reaching the cap takes log2(max/min) doublings; after that the wait is covered in capped steps.
        const doublings = Math.ceil(Math.log2(s.maxDelayMs / s.minDelayMs));
        const rampMs = s.minDelayMs * (2 ** doublings - 1);
        const uncapped = Math.min(Math.ceil(Math.log2(s.maxWaitMs / s.minDelayMs + 1)), doublings);
        const capped = Math.max(0, Math.ceil((s.maxWaitMs - rampMs) / s.maxDelayMs));
        expect(times.length).toBeLessThanOrEqual(1 + uncapped + capped + 1);
        if (s.maxWaitMs <= rampMs)
          expect(times.length).toBeLessThanOrEqual(Math.ceil(Math.log2(s.maxWaitMs / s.minDelayMs + 1)) + 1);
      }),
    );
  });

  it("an hour with AWS delays takes about a hundred and twenty calls, not the SDK default's 240", () => {
    expect(pollSchedule({ minDelayMs: 2_000, maxDelayMs: 30_000, maxWaitMs: 3_600_000 })).toHaveLength(124);
  });
});

describe('poll', () => {
  it('returns the value once done and reports each attempt', async () => {
    const seen: number[] = [];
    const value = await poll(
      'the thing',
      async (attempt) => (attempt === 3 ? { done: true, value: 'ready' } : { done: false }),
      { minDelayMs: 1, maxDelayMs: 2, maxWaitMs: 5_000, onProgress: (p) => seen.push(p.attempt) },
    );
    expect(value).toBe('ready');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('times out with a FailureError naming what it awaited and what it last saw', async () => {
    const error = await poll('the console', async () => ({ done: false, seen: 'booting' }), {
      minDelayMs: 1,
      maxDelayMs: 5,
      maxWaitMs: 30,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error).toBeInstanceOf(FailureError);
    expect((error as Error).message).toMatch(
      /^timed out after \d+ms waiting for the console \(\d+ checks, last seen: booting\)$/,
    );
  });

  it('formats durations for a progress line', () => {
    expect([850, 3_240, 65_000, 3_600_000].map(formatDuration)).toEqual(['850ms', '3.2s', '1m05s', '60m00s']);
  });
});
