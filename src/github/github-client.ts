/**
 * The one way Hephestus talks to GitHub's REST API: an Octokit with the retry and throttling plugins, a request
 * timeout, and every answer validated by a zod schema; every failure leaves as one of our error types, with the
 * token redacted.
 *
 * Retries are bounded: 5xx answers, timeouts and dropped connections by @octokit/plugin-retry (waits of 1, 4,
 * 9 s); primary and secondary rate limits by @octokit/plugin-throttling, honouring `retry-after` and
 * `x-ratelimit-reset`, at most `rateLimitRetries` times and never for longer than `maxRateLimitWaitSeconds`.
 * GitHub's secondary limits hold whatever the pacing: at most 10 requests in flight (GitHub allows 100), and
 * writes one at a time (see request-limits.ts).
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
// The throttling plugin's own scheduler; only needed to build write groups without GitHub's pacing (tests).
import Bottleneck from 'bottleneck';
import type { z } from 'zod';
import { readEndpoints, readSecrets } from '../config/secrets.js';
import {
  describeServiceEndpoint,
  ExternalServiceError,
  FailureError,
  type HephestusError,
  httpTimeoutFromEnv,
  InputError,
  networkFailure,
} from '../errors.js';
import { Redactor } from '../log/redact.js';
import { serializeWrites } from './request-limits.js';
import { ErrorBodySchema } from './schema.js';

const SERVICE = 'GitHub';

export interface GitHubClientOptions {
  token: string;
  /** Where the token came from (`GITHUB_TOKEN`), named in errors instead of the token. */
  tokenSource?: string;
  /** `https://api.github.com` unless GITHUB_API_URL says otherwise. */
  baseUrl?: string;
  /** Per request attempt. Default 20 s, or HEPHESTUS_HTTP_TIMEOUT_SECONDS. */
  timeoutMs?: number;
  /** How failures name the endpoint (`https://api.github.com (set by GITHUB_API_URL)`); the base URL by default. */
  endpoint?: string;
  /** Retries after 5xx, timeouts and dropped connections. Default 3. */
  retries?: number;
  /** Multiplies plugin-retry's wait of (attempt)² seconds; default 1000 ms. Tests shrink it. */
  retryBaseMs?: number;
  /** Retries after a primary or secondary rate limit. Default 2. */
  rateLimitRetries?: number;
  /** A rate-limit wait longer than this fails at once. Default 300 s. */
  maxRateLimitWaitSeconds?: number;
  /**
   * GitHub asks integrators to leave a second between writes (three for those that notify people); the
   * throttling plugin does so by default. `false` turns the pacing off (tests against the sandbox);
   * {@link GitHubClient.fromEnv} reads it from HEPHESTUS_GITHUB_PACING.
   */
  pacing?: boolean;
  redactor?: Redactor;
  /** Receives rate-limit and retry warnings. */
  log?: { warn(message: string): void };
}

/** The Octokit class Hephestus uses: REST methods plus the retry and throttling plugins. */
export const HephestusOctokit = Octokit.plugin(retry, throttling);
export type GitHubOctokit = InstanceType<typeof HephestusOctokit>;

/** A failure the caller said it expects (a 404, a 422), returned instead of thrown. */
export interface ExpectedFailure {
  ok: false;
  status: number;
  message: string;
  /** The `errors[].message` entries of GitHub's answer. */
  details: string[];
}
export type Attempt<T> = { ok: true; data: T } | ExpectedFailure;

/** Worst case against a black hole: four attempts of 20 s and waits of 1, 4 and 9 s, about a minute and a half. */
const DEFAULTS = {
  timeoutMs: 20_000,
  retries: 3,
  retryBaseMs: 1000,
  rateLimitRetries: 2,
  maxRateLimitWaitSeconds: 300,
};

export class GitHubClient {
  readonly octokit: GitHubOctokit;
  private readonly redactor: Redactor;
  private readonly tokenSource: string;
  private readonly endpoint: string;
  private readonly deadline: { timeoutMs: number; attempts: number };

  constructor(options: GitHubClientOptions) {
    if (!options.token)
      throw new InputError('no GitHub token given', { setting: options.tokenSource ?? 'GITHUB_TOKEN' });
    this.redactor = options.redactor ?? new Redactor();
    this.redactor.add(options.token);
    this.tokenSource = options.tokenSource ?? 'the GitHub token';
    const settings = { ...DEFAULTS, ...definedOnly(options) };
    this.endpoint = options.endpoint ?? options.baseUrl ?? 'https://api.github.com';
    this.deadline = { timeoutMs: settings.timeoutMs, attempts: settings.retries + 1 };
    const warn = (message: string) => options.log?.warn(this.redactor.redact(message));
    const limitHandler =
      (kind: string) =>
      (retryAfter: number, request: { method: string; url: string }, _: unknown, retryCount: number) => {
        const retrying =
          retryCount < settings.rateLimitRetries && retryAfter <= settings.maxRateLimitWaitSeconds;
        warn(
          `GitHub ${kind} hit by ${request.method} ${request.url}; ${retrying ? `retrying in ${retryAfter} s` : 'giving up'}`,
        );
        return retrying;
      };
    const unpaced = options.pacing === false ? { write: unpacedGroup(), notifications: unpacedGroup() } : {};
    this.octokit = new HephestusOctokit({
      auth: options.token,
      baseUrl: options.baseUrl ?? 'https://api.github.com',
      userAgent: 'hephestus',
      request: { fetch: fetchWithTimeout(settings.timeoutMs) },
      // Failures come back as our own errors with their context; Octokit's per-request error lines would repeat them.
      log: { debug: () => {}, info: () => {}, warn, error: () => {} },
      retry: {
        retries: settings.retries,
        retryAfterBaseValue: settings.retryBaseMs,
        // 429 is the throttling plugin's to retry (with retry-after); 4xx answers do not change on a retry.
        doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
      },
      throttle: {
        onRateLimit: limitHandler('rate limit'),
        onSecondaryRateLimit: limitHandler('secondary rate limit'),
        ...unpaced,
      },
    });
    serializeWrites(this.octokit);
  }

  /**
   * A client from GITHUB_TOKEN (or GH_TOKEN, PASSWORD), GITHUB_API_URL, HEPHESTUS_HTTP_TIMEOUT_SECONDS and
   * HEPHESTUS_GITHUB_PACING; InputError when no token is set or a setting is malformed.
   */
  static fromEnv(
    env: Record<string, string | undefined> = process.env,
    options: Omit<GitHubClientOptions, 'token' | 'tokenSource' | 'baseUrl'> = {},
  ): GitHubClient {
    const secret = readSecrets(env).github;
    if (!secret) {
      throw new InputError('no GitHub token: set GITHUB_TOKEN (or GH_TOKEN)', { setting: 'GITHUB_TOKEN' });
    }
    const baseUrl = readEndpoints(env).githubApi;
    return new GitHubClient({
      timeoutMs: httpTimeoutFromEnv(env),
      pacing: githubPacingFromEnv(env),
      ...definedOnly(options),
      token: secret.token,
      tokenSource: secret.source,
      baseUrl,
      endpoint: describeServiceEndpoint(baseUrl, 'GITHUB_API_URL', env),
    });
  }

  /** Sends one request and validates its answer; any failure is thrown as our own error. `what` completes "could not …". */
  async call<S extends z.ZodType>(
    what: string,
    schema: S,
    send: (octokit: GitHubOctokit) => Promise<{ data: unknown }>,
  ): Promise<z.output<S>> {
    const result = await this.attempt(what, schema, send, []);
    if (!result.ok) throw new Error('unreachable: no failure was expected');
    return result.data;
  }

  /** As {@link call}, but failures with a status in `expected` are returned, not thrown. */
  async attempt<S extends z.ZodType>(
    what: string,
    schema: S,
    send: (octokit: GitHubOctokit) => Promise<{ data: unknown }>,
    expected: readonly number[],
  ): Promise<Attempt<z.output<S>>> {
    let data: unknown;
    try {
      data = (await send(this.octokit)).data;
    } catch (error) {
      const status = statusOf(error);
      if (status !== undefined && expected.includes(status)) {
        const body = ErrorBodySchema.safeParse(responseOf(error)?.data);
        return {
          ok: false,
          status,
          message: body.success ? body.data.message : String((error as Error).message),
          details: body.success ? body.data.details : [],
        };
      }
      throw this.toError(error, what);
    }
    return { ok: true, data: this.parse(schema, data, what) };
  }

  /** Reads every page of a list (100 per page) and validates each item. */
  async all<S extends z.ZodType>(
    what: string,
    itemSchema: S,
    send: (octokit: GitHubOctokit) => Promise<unknown[]>,
  ): Promise<z.output<S>[]> {
    let items: unknown[];
    try {
      items = await send(this.octokit);
    } catch (error) {
      throw this.toError(error, what);
    }
    return items.map((item) => this.parse(itemSchema, item, what));
  }

  /** Turns anything Octokit throws into our own error, without the token. */
  toError(error: unknown, what: string): HephestusError {
    return toGitHubError(error, what, {
      tokenSource: this.tokenSource,
      redactor: this.redactor,
      endpoint: this.endpoint,
      deadline: this.deadline,
    });
  }

  private parse<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
    const parsed = schema.safeParse(data);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new ExternalServiceError(
      SERVICE,
      `could not ${what}: the answer did not have the expected shape (${issue?.path.join('.') || '(root)'}: ${issue?.message})`,
    );
  }
}

/**
 * Our error for a failed GitHub call: bad credentials, missing permissions and unknown repositories are bad input
 * (exit 2); rate limits, 5xx, timeouts and dropped connections are the service failing; any other refusal (409,
 * 422) is a failure of the job. The message names the token's variable, never the token, and nothing of Octokit's
 * error (which carries the request, headers included) is kept.
 */
export function toGitHubError(
  error: unknown,
  what: string,
  context: {
    tokenSource: string;
    redactor: Redactor;
    /** Named when no answer came, or one from something else (a 5xx page). */
    endpoint?: string;
    deadline?: { timeoutMs: number; attempts: number };
  },
): HephestusError {
  const status = statusOf(error);
  const response = responseOf(error);
  const body = ErrorBodySchema.safeParse(response?.data);
  const apiMessage = body.success
    ? [body.data.message, ...body.data.details].join('; ')
    : error instanceof Error
      ? error.message
      : String(error);
  const requestId = response?.headers?.['x-github-request-id'];
  const suffix = requestId ? ` (request id ${requestId})` : '';
  const clean = (text: string) => context.redactor.redact(text);
  const setting = context.tokenSource;
  const where = context.endpoint ? `; endpoint ${context.endpoint}` : '';
  const tries = context.deadline ? `${context.deadline.attempts} attempts` : 'after retries';
  const network = networkFailure(error);
  if (isTimeout(error) || network === 'timeout') {
    const within = context.deadline ? ` within ${context.deadline.timeoutMs / 1000} s` : ' in time';
    return new ExternalServiceError(
      SERVICE,
      clean(
        `could not ${what}: no answer${within}, ${tries}${where}. Hint: check the endpoint and any proxy; HEPHESTUS_HTTP_TIMEOUT_SECONDS sets the deadline`,
      ),
    );
  }
  if (network) {
    return new ExternalServiceError(
      SERVICE,
      clean(
        `could not ${what}: ${network === 'ECONNREFUSED' ? 'connection refused' : `the connection failed (${network})`}, ${tries}${where}`,
      ),
    );
  }
  if (status === undefined || status === 0 || status >= 500) {
    return new ExternalServiceError(
      SERVICE,
      clean(`could not ${what}: ${apiMessage} (${status ?? 'no answer'}), ${tries}${suffix}${where}`),
      {
        status,
      },
    );
  }
  if (status === 429 || isRateLimited(status, apiMessage, response?.headers)) {
    return new ExternalServiceError(
      SERVICE,
      clean(`could not ${what}: rate limited (${status}): ${apiMessage}${suffix}`),
      {
        status,
      },
    );
  }
  if (status === 401) {
    return new InputError(
      clean(
        `GitHub rejected ${setting} (401 ${apiMessage}) while trying to ${what}: set it to a valid token`,
      ),
      { setting },
    );
  }
  if (status === 403) {
    return new InputError(
      clean(
        `GitHub refused to ${what} (403 ${apiMessage}): does ${setting} have the permissions this needs?`,
      ),
      { setting },
    );
  }
  if (status === 404) {
    return new InputError(
      clean(
        `GitHub: could not ${what}: not found (404). Check the repository name, and that ${setting} can read it`,
      ),
      { setting },
    );
  }
  return new FailureError(clean(`GitHub refused to ${what}: ${apiMessage} (${status})${suffix}`));
}

function isRateLimited(
  status: number,
  message: string,
  headers: Record<string, unknown> | undefined,
): boolean {
  return status === 403 && (/rate limit/i.test(message) || headers?.['x-ratelimit-remaining'] === '0');
}

function isTimeout(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return [error, cause].some((e) => e instanceof Error && e.name === 'TimeoutError');
}

/** Octokit's RequestError, duck-typed: its class lives in a package Hephestus does not depend on directly. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

function responseOf(error: unknown): { data?: unknown; headers?: Record<string, unknown> } | undefined {
  return (error as { response?: { data?: unknown; headers?: Record<string, unknown> } } | undefined)
    ?.response;
}

/**
 * fetch with a deadline per attempt. The timeout surfaces as a RequestError of status 500, which plugin-retry
 * retries like any 5xx.
 */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
}

const PACING_SETTING = 'HEPHESTUS_GITHUB_PACING';

/**
 * `HEPHESTUS_GITHUB_PACING`: `on` (the default: writes paced as GitHub asks) or `off` (a GitHub that asks no
 * pacing, such as the sandbox, which sets it). Undefined when unset, so the client's default holds.
 */
export function githubPacingFromEnv(env: Record<string, string | undefined>): boolean | undefined {
  const raw = env[PACING_SETTING];
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'on' || raw === 'off') return raw === 'on';
  throw new InputError(`must be on or off, not ${JSON.stringify(raw)}`, { setting: PACING_SETTING });
}

/** A scheduler group that lets writes through as they come (the plugin's default waits 1 s / 3 s between them). */
function unpacedGroup(): Bottleneck.Group {
  return new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
