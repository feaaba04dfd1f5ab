import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { criticalPath, type TimedCall } from '../../src/sandbox/critical-path.js';

const call = fc
  .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 300 }))
  .map(([start, length]): TimedCall => ({ start, end: start + length }));

/** Every chain by brute force over subsets (small inputs only): the longest one's length. */
function longestChainBruteForce(calls: TimedCall[]): number {
  let best = 0;
  for (let mask = 0; mask < 1 << calls.length; mask++) {
    const chosen = calls.filter((_, i) => mask & (1 << i)).sort((a, b) => a.start - b.start);
    if (chosen.every((c, i) => i === 0 || c.start >= (chosen[i - 1] as TimedCall).end))
      best = Math.max(best, chosen.length);
  }
  return best;
}

describe('criticalPath', () => {
  it('counts a sequence of requests one after another as one round trip each', () => {
    const calls = [
      { start: 0, end: 100 },
      { start: 100, end: 250 },
      { start: 300, end: 400 },
    ];
    expect(criticalPath(calls).roundTrips).toBe(3);
  });

  it('counts requests made together (a clone beside a list of pull requests) as one', () => {
    const calls = [
      { start: 0, end: 300 },
      { start: 10, end: 110 },
      { start: 20, end: 120 },
      { start: 300, end: 400 },
    ];
    expect(criticalPath(calls)).toMatchObject({ roundTrips: 2 });
  });

  it('is the longest chain of non-overlapping requests (brute force on small runs)', () => {
    fc.assert(
      fc.property(fc.array(call, { maxLength: 10 }), (calls) => {
        expect(criticalPath(calls).roundTrips).toBe(longestChainBruteForce(calls));
      }),
    );
  });

  it('returns a chain of its calls in order, none overlapping the next', () => {
    fc.assert(
      fc.property(fc.array(call, { maxLength: 60 }), (calls) => {
        const { chain, roundTrips } = criticalPath(calls);
        expect(chain).toHaveLength(roundTrips);
        for (const [i, link] of chain.entries()) {
          expect(calls).toContain(link);
          if (i > 0) expect(link.start).toBeGreaterThanOrEqual((chain[i - 1] as TimedCall).end);
        }
      }),
    );
  });

  it('never shrinks when a request is added, and grows by at most one', () => {
    fc.assert(
      fc.property(fc.array(call, { maxLength: 40 }), call, (calls, extra) => {
        const before = criticalPath(calls).roundTrips;
        const after = criticalPath([...calls, extra]).roundTrips;
        expect(after - before).toBeGreaterThanOrEqual(0);
        expect(after - before).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('does not depend on the order the calls were recorded in', () => {
    fc.assert(
      fc.property(
        fc
          .array(call, { maxLength: 40 })
          .chain((calls) =>
            fc.tuple(fc.constant(calls), fc.shuffledSubarray(calls, { minLength: calls.length })),
          ),
        ([calls, shuffled]) => {
          expect(criticalPath(shuffled).roundTrips).toBe(criticalPath(calls).roundTrips);
        },
      ),
    );
  });
});
