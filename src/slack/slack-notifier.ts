/**
 * Posts Hephestus's notices to Slack over `@slack/web-api`, one channel at a time and each on its own:
 * a missing channel, a rate limit or an outage in one channel never stops the others, and never throws.
 * Every channel gets an outcome (`posted | updated | failed`); the caller decides what a failure means
 * ({@link notificationExitCode}).
 *
 * A re-run updates the message it posted before (found in a {@link MessageMemory}) instead of posting again,
 * and follow-ups on the same pull request go in the thread of its first notice.
 */
import { ErrorCode, LogLevel, type Logger as SlackLogger, WebClient } from '@slack/web-api';
import type { HephestusConfig } from '../config/config-schema.js';
import { type Endpoints, readEndpoints, readSecrets } from '../config/secrets.js';
import { describeServiceEndpoint, httpTimeoutFromEnv, InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { Redactor } from '../log/redact.js';
import {
  compareTs,
  earlierTwin,
  type NoticeCopy,
  type NoticeKey,
  noticeMetadata,
} from './duplicate-notice.js';
import type { MessageMemory, SlackMessageRef } from './message-memory.js';
import {
  DeletedMessageSchema,
  HistoryPageSchema,
  PlatformErrorDataSchema,
  type PostedMessage,
  PostedMessageSchema,
} from './schema.js';
import { messageDigest } from './slack-marker.js';
import type { SlackEvent, SlackMessage } from './slack-messages.js';

export interface SlackNotifierOptions {
  token: string;
  /** The Web API base URL; `https://slack.com/api/` unless SLACK_API_URL says otherwise. */
  apiUrl?: string;
  /** Per request. Default 10 s; the client's own default is none at all. */
  timeoutMs?: number;
  /** Retries after a timeout, a dropped connection or an HTTP 5xx. Default 3. */
  retries?: number;
  /** First backoff between those retries, doubling each time. Default 1 s. */
  retryMinTimeoutMs?: number;
  /** Retries after HTTP 429, each after the `Retry-After` Slack asks for. Default 3. */
  rateLimitRetries?: number;
  /** A `Retry-After` longer than this is not waited for: the channel fails instead. Default 30 s. */
  maxRetryAfterSeconds?: number;
  logger?: Logger;
  /** How failures name the endpoint (`https://slack.com/api/ (set by SLACK_API_URL)`); the URL by default. */
  endpoint?: string;
  /** Pass the logger's, so both hide the same secrets; the token is added to it. */
  redactor?: Redactor;
  sleep?: (ms: number) => Promise<void>;
}

export type ChannelOutcome =
  | {
      /** As configured: a name (`#execution-teams`) or an id. */
      channel: string;
      /** `unchanged`: the remembered message already says this; nothing was sent. */
      status: 'posted' | 'updated' | 'unchanged';
      /** The channel id Slack answered with. */
      id: string;
      ts: string;
      /** The thread the message was posted in, for follow-ups. */
      threadTs?: string;
      /** Set when the message went out but the memory could not store it (a re-run would post again). */
      warning?: string;
      /** What else happened: this run's copy of a notice a concurrent run posted first was deleted. */
      note?: string;
    }
  | {
      channel: string;
      status: 'failed';
      /** Slack's error name (`channel_not_found`, `ratelimited`, `invalid_auth`), or `timeout`, `http_500`, ... */
      error: string;
      message: string;
    };

export interface NotifyOptions {
  memory: MessageMemory;
  /**
   * Post as a reply in the thread of the message remembered for this event in the same channel.
   * Default: `update_opened` for every other event; `null` posts at the top level.
   */
  threadUnder?: SlackEvent | null;
  /** A thread reply is also shown in the channel. */
  broadcast?: boolean;
  /**
   * Leave a message already posted for this event as it is: a re-run that changed nothing must not undo what
   * later steps edited it to (the update's status message).
   */
  keepExisting?: boolean;
  /**
   * The notice is posted once for this key: a top-level message gets it as metadata, and a run that finds the
   * same notice posted earlier by a concurrent run deletes its own copy and remembers that one (duplicate-notice.ts).
   */
  once?: NoticeKey;
}

/** Errors after which the other channels would fail the same way: no point asking Slack again. */
const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
]);
/** The remembered message is gone or can no longer be edited: post a new one. */
const POST_INSTEAD = new Set([
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'channel_not_found',
]);

/** Messages read back, newest first from a run's own, when looking for a concurrent copy of its notice. */
const HISTORY_PAGE = 100;
/** Pages read at most: a concurrent copy is seconds older than ours, not hundreds of messages back. */
const HISTORY_PAGES = 3;

/** No answer from Slack at all: every other channel would wait as long. */
const UNREACHABLE = new Set(['timeout', 'request_failed']);

const DEFAULTS = {
  timeoutMs: 10_000,
  retries: 3,
  retryMinTimeoutMs: 1000,
  rateLimitRetries: 3,
  maxRetryAfterSeconds: 30,
};

export class SlackNotifier {
  private readonly client: WebClient;
  private readonly redactor: Redactor;
  private readonly rateLimitRetries: number;
  private readonly maxRetryAfterSeconds: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly endpoint: string;
  /** The same client without retries, used once Slack has not answered. */
  private readonly singleTry: WebClient;
  private unreachable = false;

  constructor(options: SlackNotifierOptions) {
    this.endpoint = options.endpoint ?? options.apiUrl ?? 'https://slack.com/api/';
    this.redactor = options.redactor ?? new Redactor();
    this.redactor.add(options.token);
    this.rateLimitRetries = options.rateLimitRetries ?? DEFAULTS.rateLimitRetries;
    this.maxRetryAfterSeconds = options.maxRetryAfterSeconds ?? DEFAULTS.maxRetryAfterSeconds;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    const client = (retries: number) =>
      new WebClient(options.token, {
        slackApiUrl: options.apiUrl ?? 'https://slack.com/api/',
        timeout: options.timeoutMs ?? DEFAULTS.timeoutMs,
        // Bounded: the default is ten retries over about thirty minutes, longer than a CircleCI step should hang on a notice.
        retryConfig: {
          retries,
          factor: 2,
          minTimeout: options.retryMinTimeoutMs ?? DEFAULTS.retryMinTimeoutMs,
          maxTimeout: 10 * (options.retryMinTimeoutMs ?? DEFAULTS.retryMinTimeoutMs),
          // No retry starts after a minute of trying, whatever is left of `retries`.
          maxRetryTime: 60_000,
          randomize: true,
        },
        // The client would otherwise wait whatever Retry-After says, however long; rate limits are retried below, capped.
        rejectRateLimitedCalls: true,
        // The original is an axios error whose config holds the Authorization header; nothing here needs it.
        attachOriginalToWebAPIRequestError: false,
        logger: slackLogger(options.logger),
      });
    this.client = client(options.retries ?? DEFAULTS.retries);
    this.singleTry = client(0);
  }

  /** A notifier from SLACK_ACCESS_TOKEN (or SLACK_BOT_TOKEN) and SLACK_API_URL; InputError when no token is set. */
  static fromEnv(
    env: Record<string, string | undefined> = process.env,
    options: Omit<SlackNotifierOptions, 'token' | 'apiUrl'> = {},
  ): SlackNotifier {
    const token = readSecrets(env).slack?.token;
    if (!token) {
      throw new InputError('no Slack token: set SLACK_ACCESS_TOKEN (or SLACK_BOT_TOKEN)', {
        setting: 'SLACK_ACCESS_TOKEN',
      });
    }
    const endpoints: Endpoints = readEndpoints(env);
    return new SlackNotifier({
      timeoutMs: httpTimeoutFromEnv(env),
      ...definedOnly(options),
      token,
      apiUrl: endpoints.slackApi,
      endpoint: describeServiceEndpoint(endpoints.slackApi, 'SLACK_API_URL', env),
    });
  }

  /** Posts or updates `message` for `event` in each channel; one outcome per channel, never a throw for Slack's sake. */
  async notify(
    event: SlackEvent,
    channels: readonly string[],
    message: SlackMessage,
    options: NotifyOptions,
  ): Promise<ChannelOutcome[]> {
    const outcomes: ChannelOutcome[] = [];
    let authFailure: ChannelOutcome | undefined;
    for (const channel of [...new Set(channels)]) {
      if (authFailure?.status === 'failed') {
        outcomes.push({ ...authFailure, channel });
        continue;
      }
      const outcome = await this.notifyChannel(event, channel, message, options);
      if (outcome.status === 'failed' && AUTH_ERRORS.has(outcome.error)) authFailure = outcome;
      // Once Slack gave no answer after all retries, the other channels get one try each: a black-hole
      // endpoint must not cost the whole retry budget per channel.
      if (outcome.status === 'failed' && UNREACHABLE.has(outcome.error)) this.unreachable = true;
      outcomes.push(outcome);
    }
    return outcomes;
  }

  private async notifyChannel(
    event: SlackEvent,
    channel: string,
    message: SlackMessage,
    options: NotifyOptions,
  ): Promise<ChannelOutcome> {
    try {
      const remembered = await options.memory.get(event, channel);
      const digest = messageDigest(message);
      if (remembered && (remembered.digest === digest || options.keepExisting)) {
        return { channel, status: 'unchanged', id: remembered.id, ts: remembered.ts };
      }
      if (remembered) {
        const updated = await this.update(remembered, message);
        if (updated) {
          const outcome: ChannelOutcome = { channel, status: 'updated', id: updated.channel, ts: updated.ts };
          await this.remember(options.memory, { ...remembered, digest }, outcome);
          return outcome;
        }
      }
      const threadUnder = options.threadUnder === undefined ? 'update_opened' : options.threadUnder;
      const root =
        threadUnder && threadUnder !== event ? await options.memory.get(threadUnder, channel) : undefined;
      const once = root ? undefined : options.once;
      const posted = await this.call('chat.postMessage', {
        channel,
        text: message.text,
        blocks: message.blocks,
        ...(root ? { thread_ts: root.ts, ...(options.broadcast ? { reply_broadcast: true } : {}) } : {}),
        ...(once ? { metadata: noticeMetadata(once) } : {}),
      });
      const earlier = once ? await this.converge(once, posted, remembered?.ts) : undefined;
      if (earlier) {
        // Every run remembers the earliest copy, whichever run writes the marker last, with the digest of what
        // that copy says (the other run's content, which a later change must still replace).
        const { copy } = earlier;
        const outcome: ChannelOutcome =
          earlier.deleted === true
            ? { channel, status: 'unchanged', id: posted.channel, ts: copy.ts, note: earlier.note }
            : { channel, status: 'posted', id: posted.channel, ts: posted.ts, warning: earlier.warning };
        const ref = { event, channel, id: posted.channel, ts: copy.ts, digest: messageDigest(copy) };
        await this.remember(options.memory, ref, outcome);
        return outcome;
      }
      const outcome: ChannelOutcome = {
        channel,
        status: 'posted',
        id: posted.channel,
        ts: posted.ts,
        ...(root ? { threadTs: root.ts } : {}),
      };
      await this.remember(
        options.memory,
        { event, channel, id: posted.channel, ts: posted.ts, digest },
        outcome,
      );
      return outcome;
    } catch (error) {
      return { channel, status: 'failed', ...this.describe(error) };
    }
  }

  /**
   * After posting the notice `key` as `posted`: the earliest copy a concurrent run posted, if any, and whether
   * ours was deleted (a failed delete leaves both, with a warning). Undefined when ours is the one to keep, or when the channel cannot be read back
   * (no `channels:history` scope, an outage): unproven, nothing is deleted. Copies older than `after` (a
   * remembered message being replaced because it can no longer be edited) are not looked at: they were given up.
   */
  private async converge(
    key: NoticeKey,
    posted: PostedMessage,
    after: string | undefined,
  ): Promise<
    | { copy: NoticeCopy; deleted: true; note: string }
    | { copy: NoticeCopy; deleted: false; warning: string }
    | undefined
  > {
    const botId = posted.message?.bot_id;
    if (!botId) return undefined;
    let twin: NoticeCopy | undefined;
    try {
      let cursor: string | undefined;
      for (let page = 0; page < HISTORY_PAGES; page++) {
        const answer = HistoryPageSchema.parse(
          await this.request('conversations.history', {
            channel: posted.channel,
            // Strictly between: `inclusive` would take in both bounds, and neither is a rival.
            latest: posted.ts,
            ...(after ? { oldest: after } : {}),
            include_all_metadata: true,
            limit: HISTORY_PAGE,
            ...(cursor ? { cursor } : {}),
          }),
        );
        const found = earlierTwin(key, { ts: posted.ts, botId }, answer.messages);
        if (found !== undefined && (twin === undefined || compareTs(found.ts, twin.ts) < 0)) twin = found;
        cursor = answer.has_more ? answer.response_metadata?.next_cursor : undefined;
        if (!cursor) break;
      }
    } catch {
      // Unreadable history proves nothing: keep ours rather than delete on a guess.
      return undefined;
    }
    if (twin === undefined) return undefined;
    try {
      DeletedMessageSchema.parse(
        await this.request('chat.delete', { channel: posted.channel, ts: posted.ts }),
      );
    } catch (error) {
      if (platformError(error) !== 'message_not_found') {
        const { error: name } = describeSlackError(error);
        return {
          copy: twin,
          deleted: false,
          warning: `a concurrent run posted this notice first (${twin.ts}); this copy could not be deleted (${name})`,
        };
      }
    }
    return {
      copy: twin,
      deleted: true,
      note: `a concurrent run posted this notice first; this run's copy ${posted.ts} was deleted`,
    };
  }

  /** Stores where a message went (and what it said); a failure to store is a warning on the outcome. */
  private async remember(
    memory: MessageMemory,
    ref: SlackMessageRef,
    outcome: ChannelOutcome,
  ): Promise<void> {
    try {
      await memory.set(ref);
    } catch (error) {
      if (outcome.status !== 'failed')
        outcome.warning = `could not remember the message: ${this.redactor.redact(errorText(error))}`;
    }
  }

  /** Updates a remembered message; undefined when it can no longer be updated and a new one should be posted. */
  private async update(ref: SlackMessageRef, message: SlackMessage): Promise<PostedMessage | undefined> {
    try {
      return await this.call('chat.update', {
        channel: ref.id,
        ts: ref.ts,
        text: message.text,
        blocks: message.blocks,
      });
    } catch (error) {
      if (POST_INSTEAD.has(platformError(error) ?? '')) return undefined;
      throw error;
    }
  }

  /** A post or an update, its answer checked for the channel and ts. */
  private async call(
    method: 'chat.postMessage' | 'chat.update',
    args: Record<string, unknown>,
  ): Promise<PostedMessage> {
    const parsed = PostedMessageSchema.safeParse(await this.request(method, args));
    if (!parsed.success) throw new UnexpectedAnswer(method);
    return parsed.data;
  }

  /** One Web API call; HTTP 429 is waited out and retried, within the configured bounds. */
  private async request(method: string, args: Record<string, unknown>): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        const client = this.unreachable ? this.singleTry : this.client;
        return await client.apiCall(method, args);
      } catch (error) {
        const retryAfter = rateLimitDelay(error);
        if (
          retryAfter === undefined ||
          attempt >= this.rateLimitRetries ||
          retryAfter > this.maxRetryAfterSeconds
        ) {
          throw error;
        }
        await this.sleep(retryAfter * 1000);
      }
    }
  }

  /** An error's Slack name and a message safe to print. */
  private describe(error: unknown): { error: string; message: string } {
    const { error: name, message } = describeSlackError(error);
    // Slack's own answers need no endpoint; no answer, or one that is not Slack's, does.
    const where = platformError(error) || name === 'ratelimited' ? '' : ` (endpoint ${this.endpoint})`;
    return { error: name, message: this.redactor.redact(`${message}${where}`) };
  }
}

/** The channels configured for `event` (`slack.channels.<event>`); none when Slack is not configured. */
export function channelsFor(slack: HephestusConfig['slack'], event: SlackEvent): string[] {
  const channels = slack?.channels[event] ?? [];
  // An incident notice goes to whoever heard of the rollout, unless it has channels of its own.
  return event === 'revoked' && channels.length === 0 ? (slack?.channels.rollout ?? []) : channels;
}

/** The exit code of a notification-only step: 0, unless `strict` and some channel failed. */
export function notificationExitCode(outcomes: readonly ChannelOutcome[], strict: boolean): 0 | 1 {
  return strict && outcomes.some((o) => o.status === 'failed') ? 1 : 0;
}

/** One line per channel, for the log. */
export function describeOutcomes(outcomes: readonly ChannelOutcome[]): string[] {
  return outcomes.map((o) =>
    o.status === 'failed'
      ? `${o.channel}: failed (${o.error}): ${o.message}`
      : `${o.channel}: ${o.status} ${o.id}/${o.ts}${o.threadTs ? ` in thread ${o.threadTs}` : ''}${o.note ? ` (${o.note})` : ''}${o.warning ? ` (${o.warning})` : ''}`,
  );
}

class UnexpectedAnswer extends Error {
  constructor(readonly method: string) {
    super(`Slack's answer to ${method} has no channel and ts`);
  }
}

/** Names a WebClient error as Slack does (`channel_not_found`), or by what happened (`timeout`, `http_503`). */
export function describeSlackError(error: unknown): { error: string; message: string } {
  const e = error as { code?: string; statusCode?: number; retryAfter?: number; message?: string };
  const platform = platformError(error);
  if (platform) return { error: platform, message: `Slack answered ${platform}` };
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      return { error: 'ratelimited', message: `rate limited; Slack asked to retry after ${e.retryAfter} s` };
    case ErrorCode.HTTPError:
      return { error: `http_${e.statusCode}`, message: `Slack answered HTTP ${e.statusCode}` };
    case ErrorCode.RequestError:
      return /timeout/i.test(e.message ?? '')
        ? { error: 'timeout', message: 'Slack did not answer in time' }
        : { error: 'request_failed', message: errorText(error) };
    default:
      if (error instanceof UnexpectedAnswer) return { error: 'invalid_response', message: error.message };
      return { error: 'unexpected', message: errorText(error) };
  }
}

function platformError(error: unknown): string | undefined {
  const e = error as { code?: string; data?: unknown };
  if (e?.code !== ErrorCode.PlatformError) return undefined;
  const data = PlatformErrorDataSchema.safeParse(e.data);
  return data.success ? data.data.error : 'unknown_error';
}

function rateLimitDelay(error: unknown): number | undefined {
  const e = error as { code?: string; retryAfter?: unknown };
  return e?.code === ErrorCode.RateLimitedError && typeof e.retryAfter === 'number'
    ? e.retryAfter
    : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The WebClient's log lines go to our logger at debug level (redacted there); without one they are dropped. */
function slackLogger(logger: Logger | undefined): SlackLogger {
  const forward = (...parts: unknown[]) => logger?.debug(`slack: ${parts.map(String).join(' ')}`);
  return {
    debug: forward,
    info: forward,
    warn: forward,
    error: forward,
    setLevel: () => {},
    getLevel: () => LogLevel.DEBUG,
    setName: () => {},
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
