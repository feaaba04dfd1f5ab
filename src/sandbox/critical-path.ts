/**
 * Critical-path accounting: of the requests a run made, the longest chain in which each request starts after the
 * one before it ended. Over a link with a round-trip time, every request in such a chain costs at least one round
 * trip that nothing overlapped, so the chain's length is the run's sequential round trips, which the count of
 * requests overstates as soon as a flow overlaps independent requests.
 *
 * Pure: times come from the sandbox's recorded calls (http.ts `RecordedCall.start` / `end`).
 */

export interface TimedCall {
  start: number;
  end: number;
}

export interface CriticalPath<T extends TimedCall> {
  /** Requests on the longest chain of non-overlapping requests. */
  roundTrips: number;
  /** That chain, in order. */
  chain: T[];
}

/**
 * The longest chain of requests that do not overlap (a request follows another when it starts at or after the
 * other's end). Taking, in order of their ends, each request that starts after the last one taken is optimal for
 * this (the interval-scheduling argument: the earliest end leaves the most room for the rest).
 */
export function criticalPath<T extends TimedCall>(calls: readonly T[]): CriticalPath<T> {
  const byEnd = [...calls].sort((a, b) => a.end - b.end || a.start - b.start);
  const chain: T[] = [];
  let lastEnd = Number.NEGATIVE_INFINITY;
  for (const call of byEnd) {
    if (call.start >= lastEnd) {
      chain.push(call);
      lastEnd = call.end;
    }
  }
  return { roundTrips: chain.length, chain };
}
