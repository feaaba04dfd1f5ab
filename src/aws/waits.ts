/**
 * Waiting on AWS: a capped exponential backoff with an explicit deadline, reporting progress so a job log
 * shows what is awaited and for how long. The SDK's waiters are used where AWS defines one (`sdkWait`);
 * `poll` covers what has no waiter (SSM online, console text).
 *
 * The SDK waiters default to 15 s minimum delays and add jitter; one CLI per job has no thundering herd
 * to spread, so our schedule is deterministic, which also makes it testable.
 */
import { FailureError, InputError } from '../errors.js';
import { AwsCallError, awsErrorCode, TERMINAL_AWS_CODES } from './aws-error.js';

/** One progress report while waiting: before each check, and as a heartbeat when checks are far apart. */
export interface WaitProgress {
  awaiting: string;
  elapsedMs: number;
  attempt: number;
  heartbeat?: boolean;
  /** On heartbeats: whether check `attempt` still awaits its answer, or the wait is between checks. */
  phase?: 'checking' | 'between-checks';
  /** On heartbeats between checks, when known: how long until the next check. */
  nextCheckInMs?: number;
}

/**
 * The longest silence between progress reports. CircleCI ends a step after 10 minutes without output; a
 * person watching a log wants a sign of life at least every minute (see {@link throttleProgress}).
 */
export const HEARTBEAT_MS = 25_000;

/**
 * Passes on the first report, heartbeats, and otherwise at most one report per `intervalMs`: with reports
 * at least every {@link HEARTBEAT_MS}, a line reaches the log at least every `intervalMs + HEARTBEAT_MS`.
 */
export function throttleProgress(
  intervalMs: number,
  report: (progress: WaitProgress) => void,
): (progress: WaitProgress) => void {
  let last: { awaiting: string; elapsedMs: number } | undefined;
  return (progress) => {
    const fresh = last === undefined || last.awaiting !== progress.awaiting;
    if (fresh || progress.heartbeat || progress.elapsedMs - (last?.elapsedMs ?? 0) >= intervalMs) {
      last = { awaiting: progress.awaiting, elapsedMs: progress.elapsedMs };
      report(progress);
    }
  };
}

export interface WaitSettings {
  /** Give up after this long. */
  maxWaitMs: number;
  /** First delay between calls; doubles after each call. */
  minDelayMs: number;
  /** The cap on one delay: once reached, the end of the wait is noticed within this long. */
  maxDelayMs: number;
  onProgress?: (progress: WaitProgress) => void;
  /** The longest silence between progress reports (default {@link HEARTBEAT_MS}). */
  heartbeatMs?: number;
  signal?: AbortSignal;
  /** Injectable for tests; defaults to `Date.now`. */
  now?: () => number;
}

/** Delays suited to real AWS: first recheck after 2 s, never more than 30 s between calls. */
export const AWS_WAIT_DELAYS = { minDelayMs: 2_000, maxDelayMs: 30_000 } as const;

const POLL_SETTING = 'HEPHESTUS_AWS_POLL_SECONDS';

/**
 * The poll delays of AWS waits: {@link AWS_WAIT_DELAYS}, or `HEPHESTUS_AWS_POLL_SECONDS=min,max` (seconds,
 * fractions allowed, at most 600). An EC2 whose clock runs faster than AWS's (the sandbox sets `0.02,0.2`)
 * is polled as often as it changes; nothing else about the endpoint decides this.
 */
export function awsWaitDelaysFromEnv(env: Record<string, string | undefined>): {
  minDelayMs: number;
  maxDelayMs: number;
} {
  const raw = env[POLL_SETTING];
  if (raw === undefined || raw === '') return AWS_WAIT_DELAYS;
  const parts = raw.split(',').map((part) => (part.trim() === '' ? Number.NaN : Number(part)));
  const [min, max] = parts as [number, number | undefined];
  if (
    parts.length !== 2 ||
    max === undefined ||
    !parts.every((value) => Number.isFinite(value) && value > 0 && value <= 600) ||
    min > max
  ) {
    throw new InputError(
      `must be two numbers of seconds, min,max (each above 0 and at most 600, min not above max), not ${JSON.stringify(raw)}`,
      { setting: POLL_SETTING },
    );
  }
  return { minDelayMs: Math.round(min * 1000), maxDelayMs: Math.round(max * 1000) };
}

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

/**
 * A wait ended before its deadline because waiting longer cannot help: the AMI or instance does not exist,
 * the credentials are refused, the image failed or the instance was terminated.
 */
export class WaitEndedError extends FailureError {
  constructor(
    readonly awaiting: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`stopped waiting for ${awaiting}: ${reason}`, {}, options);
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
  const progress = new ProgressReporter(awaiting, settings, start);
  let lastSeen: string | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      if (settings.signal?.aborted) throw new WaitAbortedError(awaiting);
      progress.check(attempt);
      const result = await check(attempt);
      if (result.done) return result.value;
      lastSeen = result.seen ?? lastSeen;
      const elapsed = now() - start;
      const remaining = settings.maxWaitMs - elapsed;
      if (remaining <= 0) throw new WaitTimeoutError(awaiting, elapsed, attempt, lastSeen);
      const delay = Math.min(backoffDelay(attempt, settings.minDelayMs, settings.maxDelayMs), remaining);
      progress.sleeping(delay);
      await sleep(delay, settings.signal);
    }
  } finally {
    progress.stop();
  }
}

/** Reports each check, and a heartbeat whenever `heartbeatMs` passes without a report. */
class ProgressReporter {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private checking = false;
  private nextCheckAt: number | undefined;
  private readonly now: () => number;
  private readonly heartbeatMs: number;

  constructor(
    private readonly awaiting: string,
    private readonly settings: WaitSettings,
    private readonly start: number,
  ) {
    this.now = settings.now ?? Date.now;
    this.heartbeatMs = settings.heartbeatMs ?? HEARTBEAT_MS;
  }

  check(attempt: number): void {
    this.attempt = attempt;
    this.checking = true;
    this.nextCheckAt = undefined;
    this.report({ awaiting: this.awaiting, elapsedMs: this.now() - this.start, attempt });
  }

  /** The check ended; the next comes after `delayMs`, when known (the SDK's waiters choose their own). */
  sleeping(delayMs?: number): void {
    this.checking = false;
    this.nextCheckAt = delayMs === undefined ? undefined : this.now() + delayMs;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private report(progress: WaitProgress): void {
    if (!this.settings.onProgress) return;
    this.settings.onProgress(progress);
    this.stop();
    this.timer = setTimeout(() => this.beat(), this.heartbeatMs);
    // A heartbeat never keeps the process alive on its own.
    this.timer.unref?.();
  }

  private beat(): void {
    const at = this.now();
    this.report({
      awaiting: this.awaiting,
      elapsedMs: at - this.start,
      attempt: this.attempt,
      heartbeat: true,
      phase: this.checking ? 'checking' : 'between-checks',
      nextCheckInMs: this.nextCheckAt === undefined ? undefined : Math.max(this.nextCheckAt - at, 0),
    });
  }
}

/** The shape every SDK v3 `waitUntil*` function has (those used here wait for `available`, `ok`). */
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
  const progress = new ProgressReporter(awaiting, settings, start);
  let attempt = 0;
  let lastSeen: string | undefined;
  let ended: { reason: string; cause?: unknown } | undefined;
  // The SDK's waiters retry on every error and know no terminal state but `failed`; this one ends the wait.
  const stop = new AbortController();
  const end = (reason: string, cause?: unknown) => {
    ended ??= { reason, cause };
    stop.abort();
  };
  const counted = new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (...args: never[]) => {
        attempt++;
        progress.check(attempt);
        try {
          const output = await target.send(...args);
          const state = observedState(output);
          lastSeen = state.seen ?? lastSeen;
          if (state.terminal) end(state.terminal);
          progress.sleeping();
          return output;
        } catch (error) {
          progress.sleeping();
          lastSeen = errorSummary(error);
          if (isTerminalError(error)) end(errorSummary(error, true), error);
          throw error;
        }
      };
    },
  });
  const signal = settings.signal ? AbortSignal.any([settings.signal, stop.signal]) : stop.signal;
  // The SDK refuses a maxWaitTime not above minDelay; keep the smallest legal values for tiny test waits.
  const minDelay = Math.max(settings.minDelayMs, 1) / 1000;
  const maxDelay = Math.max(settings.maxDelayMs / 1000, minDelay);
  const maxWaitTime = Math.max(settings.maxWaitMs / 1000, minDelay * 2);
  try {
    await waiter({ client: counted, maxWaitTime, minDelay, maxDelay, abortSignal: signal }, input);
  } catch (error) {
    if (ended) throw new WaitEndedError(awaiting, ended.reason, { cause: ended.cause ?? error });
    const name = (error as Error).name;
    if (name === 'TimeoutError') throw new WaitTimeoutError(awaiting, now() - start, attempt, lastSeen);
    if (name === 'AbortError' || settings.signal?.aborted) throw new WaitAbortedError(awaiting);
    throw new FailureError(`waiting for ${awaiting} failed: ${waiterReason(error)}`, {}, { cause: error });
  } finally {
    progress.stop();
  }
}

/** An AWS error after which another check cannot succeed. */
export function isTerminalError(error: unknown): boolean {
  if (error instanceof AwsCallError) return error.terminal;
  const code = awsErrorCode(error);
  return code !== undefined && TERMINAL_AWS_CODES.has(code);
}

/** `InvalidAMIID.NotFound: The image id '[ami-…]' does not exist`, short enough for a timeout message. */
function errorSummary(error: unknown, full = false): string {
  if (error instanceof AwsCallError && full) return error.message;
  const code = awsErrorCode(error) ?? 'error';
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  const text = message.includes(code) ? message : `${code}: ${message}`;
  return full ? text : text.slice(0, 240);
}

const TERMINAL_IMAGE_STATES = new Set(['failed', 'deregistered', 'invalid', 'error']);
const TERMINAL_INSTANCE_STATES = new Set(['terminated', 'shutting-down', 'stopped', 'stopping']);

interface ImageView {
  ImageId?: string;
  State?: string;
  StateReason?: { Message?: string };
}
interface InstanceView {
  InstanceId?: string;
  State?: { Name?: string };
  InstanceState?: { Name?: string };
  StateReason?: { Message?: string };
  InstanceStatus?: { Status?: string };
  SystemStatus?: { Status?: string };
}

/**
 * What one waiter call saw, for the timeout message, and whether it is an end state: an image `failed` or
 * `deregistered`, an instance `terminated` (or on its way there, or stopped: nothing starts it again).
 */
export function observedState(output: unknown): { seen?: string; terminal?: string } {
  const answer = (output ?? {}) as {
    Images?: ImageView[];
    InstanceStatuses?: InstanceView[];
    Reservations?: Array<{ Instances?: InstanceView[] }>;
  };
  if (answer.Images) {
    if (answer.Images.length === 0) return { seen: 'no such image' };
    const image = answer.Images.find((i) => TERMINAL_IMAGE_STATES.has(i.State ?? '')) ?? answer.Images[0];
    const reason = image?.StateReason?.Message ? ` (${image.StateReason.Message})` : '';
    const seen = `${image?.ImageId} ${image?.State ?? 'state unknown'}${reason}`;
    return TERMINAL_IMAGE_STATES.has(image?.State ?? '') ? { seen, terminal: `image ${seen}` } : { seen };
  }
  const instances = answer.InstanceStatuses ?? answer.Reservations?.flatMap((r) => r.Instances ?? []);
  if (instances) {
    if (instances.length === 0) return { seen: 'no status reported yet' };
    const stateOf = (i: InstanceView) => i.InstanceState?.Name ?? i.State?.Name ?? '';
    const instance = instances.find((i) => TERMINAL_INSTANCE_STATES.has(stateOf(i))) ?? instances[0];
    if (!instance) return {};
    const checks =
      instance.InstanceStatus || instance.SystemStatus
        ? `, instance ${instance.InstanceStatus?.Status ?? '?'}, system ${instance.SystemStatus?.Status ?? '?'}`
        : '';
    const reason = instance.StateReason?.Message ? ` (${instance.StateReason.Message})` : '';
    const seen = `${instance.InstanceId} ${stateOf(instance) || 'state unknown'}${checks}${reason}`;
    return TERMINAL_INSTANCE_STATES.has(stateOf(instance))
      ? { seen, terminal: `instance ${seen}` }
      : { seen };
  }
  return {};
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
