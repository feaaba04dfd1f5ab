/**
 * GitHub's secondary rate limits, as the REST API's best practices state them: no more than 100 requests in
 * flight at once, content-creating requests (POST, PATCH, PUT, DELETE) one at a time, and, in production, a
 * second between writes (three between writes that notify people). The throttling plugin paces the *starts* of
 * writes and caps requests in flight at 10 (its global group, shared by every client in the process); it does
 * not hold a write until the one before it has answered, so with the pacing off (or a write slower than a
 * second) writes overlapped. {@link serializeWrites} closes that gap; {@link pacingFloorMs} is the least time
 * the pacing adds, which the benchmarks report next to figures measured with the pacing off.
 */
import { throttling } from '@octokit/plugin-throttling';
import type { Octokit } from '@octokit/rest';

/** GitHub's cap on concurrent requests (REST and GraphQL together). */
export const MAX_CONCURRENT_REQUESTS = 100;
/** The throttling plugin's own cap (its global group), which the client keeps: well inside GitHub's. */
export const CLIENT_CONCURRENT_REQUESTS = 10;
/** What the pacing leaves between the starts of two writes, and of two writes that notify people. */
export const WRITE_GAP_MS = 1000;
export const NOTIFYING_WRITE_GAP_MS = 3000;

export interface WriteRequest {
  method: string;
  /** The request's path, e.g. `/repos/acme/app/pulls`. */
  path: string;
}

/** True for a content-creating request: anything but a read. */
export function isWrite(method: string): boolean {
  const verb = method.toUpperCase();
  return verb !== 'GET' && verb !== 'HEAD';
}

/** True when GitHub notifies people of this write (opening a PR, a comment, a review request). */
export function notifiesPeople(path: string): boolean {
  return throttling.triggersNotification(path.split('?')[0] ?? path);
}

/**
 * The least time `writes`, made in this order, take with the pacing on: each starts no sooner than a second after
 * the write before it, three after the last write that notified people, and (one at a time) after the one before
 * it answered, `roundTripMs` after it started. Reads do not count; 0 for no writes.
 */
export function pacingFloorMs(writes: readonly WriteRequest[], roundTripMs = 0): number {
  let end = 0;
  let lastStart: number | undefined;
  let lastNotifying: number | undefined;
  for (const write of writes.filter((request) => isWrite(request.method))) {
    const notifying = notifiesPeople(write.path);
    let start = lastStart === undefined ? 0 : Math.max(lastStart + WRITE_GAP_MS, end);
    if (notifying && lastNotifying !== undefined)
      start = Math.max(start, lastNotifying + NOTIFYING_WRITE_GAP_MS);
    lastStart = start;
    if (notifying) lastNotifying = start;
    end = start + roundTripMs;
  }
  return end;
}

/** One write at a time: each waits for the answer (retries included) to the write queued before it. */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(write: () => Promise<T>): Promise<T> {
    const result = this.tail.then(write, write);
    // The queue goes on whether this write succeeded or not; its caller sees the failure.
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/**
 * The process's write queue. One for the process, as the throttling plugin's groups are: GitHub counts the limits
 * per user, and every client of a run acts as the same token.
 */
export const processWriteQueue = new WriteQueue();

/**
 * Holds every write of `octokit` in `queue` until the write before it has answered. Wrapped outside the retry and
 * throttling plugins, so a write's retries and rate-limit waits happen inside its turn.
 */
export function serializeWrites(octokit: Pick<Octokit, 'hook'>, queue: WriteQueue = processWriteQueue): void {
  octokit.hook.wrap('request', async (request, options) =>
    isWrite(options.method) ? queue.run(async () => request(options)) : request(options),
  );
}
