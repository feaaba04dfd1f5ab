/**
 * Waiting on AWS: a capped exponential backoff with an explicit deadline, reporting progress so a job log
 * shows what is awaited and for how long. The SDK's waiters are used where AWS defines one (`sdkWait`);
 * `poll` covers what has no waiter (SSM online, console text).
 *
 * The SDK waiters default to 15 s minimum delays and add jitter; one CLI per job has no thundering herd
 * to spread, so our schedule is deterministic, which also makes it testable.
 */
import { FailureError } from '../errors.js';

/** One progress report while waiting. */
export interface WaitProgress {
  awaiting: string;
  elapsedMs: number;
  attempt: number;
}

export interface WaitSettings {
  /** Give up after this long. */
  maxWaitMs: number;
  /** First delay between calls; doubles after each call. */
  minDelayMs: number;
  /** The cap on one delay: once reached, the end of the wait is noticed within this long. */
  maxDelayMs: number;
  onProgress?: (progress: WaitProgress) => void;
  signal?: AbortSignal;
  /** Injectable for tests; defaults to `Date.now`. */
  now?: () => number;
}

/** Delays suited to real AWS: first recheck after 2 s, never more than 30 s between calls. */
export const AWS_WAIT_DELAYS = { minDelayMs: 2_000, maxDelayMs: 30_000 } as const;

/** A wait that ran out of time; a FailureError naming what was awaited. */
export class WaitTimeoutError extends FailureError {
  constructor(
    readonly awaiting: string,
    readonly elapsedMs: number,
    readonly attempts: number,
    readonly lastSeen?: string,
  ) {
    super(
      `timed out after ${formatDuration(elapsedMs)} waiting for ${awaiting} (${attempts} checks${lastSeen ? `, last seen: ${lastSeen}` : ''})`,
    );
  }
}

/** A wait stopped by an abort signal (SIGTERM, SIGINT). */
export class WaitAbortedError extends FailureError {
  constructor(readonly awaiting: string) {
    super(`stopped while waiting for ${awaiting}`);
  }
}

/** The delay after call number `attempt` (1-based): `minDelayMs * 2^(attempt-1)`, capped at `maxDelayMs`. */
export function backoffDelay(attempt: number, minDelayMs: number, maxDelayMs: number): number {
  // Past 2^52 the doubling no longer matters; the cap has long been reached.
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  return Math.min(minDelayMs * 2 ** exponent, maxDelayMs);
}

/**
 * The moments (ms from the start) at which `poll` calls, for a wait that never ends early: the first
 * at once, then after each backoff delay, the last exactly at the deadline.
 */
export function pollSchedule(
  settings: Pick<WaitSettings, 'maxWaitMs' | 'minDelayMs' | 'maxDelayMs'>,
): number[] {
  const times = [0];
  let at = 0;
  for (let attempt = 1; at < settings.maxWaitMs; attempt++) {
    at = Math.min(at + backoffDelay(attempt, settings.minDelayMs, settings.maxDelayMs), settings.maxWaitMs);
    times.push(at);
  }
  return times;
}

/** What one check found: done with a value, or not yet (with what was seen, for the timeout message). */
export type PollCheck<T> = { done: true; value: T } | { done: false; seen?: string };

/**
 * Calls `check` until it reports done, backing off between calls; throws WaitTimeoutError at the deadline
 * (after one last check there) and WaitAbortedError when `signal` aborts. Errors thrown by `check` end the wait.
 */
export async function poll<T>(
  awaiting: string,
  check: (attempt: number) => Promise<PollCheck<T>>,
  settings: WaitSettings,
): Promise<T> {
  const now = settings.now ?? Date.now;
  const start = now();
  let lastSeen: string | undefined;
  for (let attempt = 1; ; attempt++) {
    if (settings.signal?.aborted) throw new WaitAbortedError(awaiting);
    settings.onProgress?.({ awaiting, elapsedMs: now() - start, attempt });
    const result = await check(attempt);
    if (result.done) return result.value;
    lastSeen = result.seen ?? lastSeen;
    const elapsed = now() - start;
    const remaining = settings.maxWaitMs - elapsed;
    if (remaining <= 0) throw new WaitTimeoutError(awaiting, elapsed, attempt, lastSeen);
    await sleep(
      Math.min(backoffDelay(attempt, settings.minDelayMs, settings.maxDelayMs), remaining),
      settings.signal,
    );
  }
}

/** The shape every SDK v3 `waitUntil*` function has. */
export type SdkWaiter<C, I> = (
  params: { client: C; maxWaitTime: number; minDelay?: number; maxDelay?: number; abortSignal?: AbortSignal },
  input: I,
) => Promise<unknown>;

/**
 * Runs an SDK waiter with our deadline and delays (the SDK takes seconds), counting its calls through a
 * proxy of the client so progress can be reported per call. Timeouts become WaitTimeoutError.
 */
export async function sdkWait<C extends { send: (...args: never[]) => Promise<unknown> }, I>(
  awaiting: string,
  waiter: SdkWaiter<C, I>,
  client: C,
  input: I,
  settings: WaitSettings,
): Promise<void> {
  const now = settings.now ?? Date.now;
  const start = now();
  let attempt = 0;
  const counted = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return (...args: never[]) => {
        attempt++;
        settings.onProgress?.({ awaiting, elapsedMs: now() - start, attempt });
        return target.send(...args);
      };
    },
  });
  // The SDK refuses a maxWaitTime not above minDelay; keep the smallest legal values for tiny test waits.
  const minDelay = Math.max(settings.minDelayMs, 1) / 1000;
  const maxDelay = Math.max(settings.maxDelayMs / 1000, minDelay);
  const maxWaitTime = Math.max(settings.maxWaitMs / 1000, minDelay * 2);
  try {
    await waiter({ client: counted, maxWaitTime, minDelay, maxDelay, abortSignal: settings.signal }, input);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError') throw new WaitTimeoutError(awaiting, now() - start, attempt);
    if (name === 'AbortError' || settings.signal?.aborted) throw new WaitAbortedError(awaiting);
    throw new FailureError(`waiting for ${awaiting} failed: ${waiterReason(error)}`, {}, { cause: error });
  }
}

/** The SDK puts a waiter's final state in its error message as JSON; pull out the reason when there is one. */
function waiterReason(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  try {
    const parsed = JSON.parse(message) as { state?: string; reason?: { message?: string; Code?: string } };
    return (
      [parsed.state, parsed.reason?.message ?? parsed.reason?.Code].filter(Boolean).join(': ') || message
    );
  } catch {
    return message;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `1m05s`, `3.2s`, `850ms`: short enough for a progress line. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}
