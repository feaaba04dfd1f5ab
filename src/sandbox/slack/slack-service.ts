/**
 * The sandbox's Slack Web API: the methods the notifier calls, under `/api/`, as `@slack/web-api`
 * sends them (form-encoded with JSON-string `blocks`) or as JSON bodies. Errors follow the Web API:
 * HTTP 200 with `ok:false` and the documented error name; only rate limits use HTTP 429 with `Retry-After`.
 */
import { Router, type SandboxRequest, type SandboxResponse } from '../http.js';
import { renderBlocks, validateBlocks } from './slack-blocks.js';

export interface SlackChannel {
  id: string;
  name: string;
  /** The bot can post only where it is a member; elsewhere Slack answers `not_in_channel`. */
  is_member: boolean;
  is_private: boolean;
  is_archived: boolean;
  /** Unix seconds. */
  created: number;
}

export interface SlackEdit {
  /** The message as it was before this edit. */
  text: string;
  blocks?: unknown[];
  /** When the edit replaced it (a Slack-style ts). */
  edited_ts: string;
}

export interface SlackMessage {
  /** Channel id. */
  channel: string;
  ts: string;
  thread_ts?: string;
  /** A thread reply also shown in the channel (`reply_broadcast`): subtype `thread_broadcast`. */
  broadcast?: boolean;
  text: string;
  blocks?: unknown[];
  /** Earlier versions, oldest first; `chat.update` pushes the replaced version here. */
  edits: SlackEdit[];
  /** Message metadata the poster attached (`metadata` of chat.postMessage), for apps to read back. */
  metadata?: SlackMetadata;
}

/** Slack's message metadata: an app's event type and a free-form payload. */
export interface SlackMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

export interface SlackState {
  channels: SlackChannel[];
  messages: SlackMessage[];
}

export interface SlackServiceOptions {
  token: string;
  /** Channels the bot is a member of, by name (without `#`). */
  channels?: string[];
  /** The workspace URL that `auth.test` and permalinks use. */
  workspaceUrl?: string;
}

/** The channels of the original setup: PR notices go to #execution-teams, rollouts to all three. */
export const defaultSlackChannels = ['execution-teams', 'custeng-support', 'investigation'];

/** Slack truncates or rejects message text beyond this many characters. */
export const maxTextLength = 40_000;

const team = { id: 'T0SANDBOX1', name: 'Hephestus Sandbox' };
const bot = { user: 'hephestus', userId: 'U0SANDBOX1', botId: 'B0SANDBOX1', appId: 'A0SANDBOX1' };

type Args = Record<string, unknown>;
type Result = Record<string, unknown>;
type MethodHandler = (args: Args) => Result;

class SlackError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Result = {},
  ) {
    super(error);
  }
}

/** Creates the Slack Web API service; `router` serves it, `state` holds its channels and every message. */
export function createSlackService(options: SlackServiceOptions) {
  const state: SlackState = { channels: [], messages: [] };
  const workspaceUrl = (options.workspaceUrl ?? 'https://hephestus-sandbox.slack.com/').replace(/\/?$/, '/');
  const router = new Router('slack');
  let lastMicros = 0;

  /** Slack's ts is the posting time in seconds with six decimals, unique and increasing per channel. */
  const nextTs = (): string => {
    lastMicros = Math.max(Date.now() * 1000, lastMicros + 1);
    return `${Math.floor(lastMicros / 1e6)}.${String(lastMicros % 1e6).padStart(6, '0')}`;
  };

  const addChannel = (
    name: string,
    settings: { member?: boolean; private?: boolean; archived?: boolean } = {},
  ) => {
    const clean = name.replace(/^#/, '');
    const existing = state.channels.find((c) => c.name === clean);
    if (existing) return existing;
    const channel: SlackChannel = {
      id: `C0SBX${String(state.channels.length + 1).padStart(5, '0')}`,
      name: clean,
      is_member: settings.member ?? true,
      is_private: settings.private ?? false,
      is_archived: settings.archived ?? false,
      created: Math.floor(Date.now() / 1000),
    };
    state.channels.push(channel);
    return channel;
  };
  for (const name of options.channels ?? defaultSlackChannels) addChannel(name);
  // One public channel the bot never joined, so `not_in_channel` is reachable out of the box.
  if (!options.channels) addChannel('general', { member: false });

  /** Resolves a channel argument as Slack does: an id, `#name` or a bare name. */
  const findChannel = (value: unknown): SlackChannel | undefined => {
    if (typeof value !== 'string' || value === '') return undefined;
    return (
      state.channels.find((c) => c.id === value) ??
      state.channels.find((c) => c.name === value.replace(/^#/, ''))
    );
  };

  const channelFor = (value: unknown, forPosting: boolean): SlackChannel => {
    const channel = findChannel(value);
    if (!channel) throw new SlackError('channel_not_found');
    if (forPosting && channel.is_archived) throw new SlackError('is_archived');
    if (forPosting && !channel.is_member) throw new SlackError('not_in_channel');
    return channel;
  };

  const messageFor = (channel: SlackChannel, ts: unknown): SlackMessage => {
    const message = state.messages.find((m) => m.channel === channel.id && m.ts === ts);
    if (!message) throw new SlackError('message_not_found');
    return message;
  };

  const repliesTo = (parent: SlackMessage): SlackMessage[] =>
    state.messages.filter((m) => m.channel === parent.channel && m.thread_ts === parent.ts);

  /** A parent shows its thread as Slack does: its own ts as `thread_ts`, the count and the latest reply. */
  const threadJson = (message: SlackMessage): Result => {
    const replies = message.thread_ts ? [] : repliesTo(message);
    if (replies.length === 0) return {};
    return {
      thread_ts: message.ts,
      reply_count: replies.length,
      reply_users_count: 1,
      latest_reply: replies.at(-1)?.ts,
      reply_users: [bot.userId],
      is_locked: false,
      subscribed: false,
    };
  };

  const messageJson = (message: SlackMessage, withMetadata = true): Result => ({
    user: bot.userId,
    type: 'message',
    ...(message.broadcast ? { subtype: 'thread_broadcast' } : {}),
    ts: message.ts,
    bot_id: bot.botId,
    app_id: bot.appId,
    text: message.text,
    team: team.id,
    ...(message.blocks ? { blocks: message.blocks } : {}),
    ...(message.metadata && withMetadata ? { metadata: message.metadata } : {}),
    ...(message.thread_ts ? { thread_ts: message.thread_ts, parent_user_id: bot.userId } : {}),
    ...threadJson(message),
    ...(message.edits.length > 0
      ? { edited: { user: bot.userId, ts: message.edits.at(-1)?.edited_ts } }
      : {}),
  });

  /** A page of `messages` after the `cursor` (`limit` default 100, at most 1000), as Slack's history pages. */
  const page = (messages: SlackMessage[], args: Args): Result => {
    const limit = args.limit === undefined || args.limit === '' ? 100 : Number(args.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new SlackError('invalid_limit');
    const start = decodeCursor(args.cursor);
    const shown = messages.slice(start, start + Math.min(limit, 1000));
    const more = start + shown.length < messages.length;
    const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
    return {
      messages: shown.map((m) => messageJson(m, withMetadata)),
      has_more: more,
      response_metadata: { next_cursor: more ? encodeCursor(start + shown.length) : '' },
    };
  };

  const methods: Record<string, MethodHandler> = {
    'auth.test': () => ({
      url: workspaceUrl,
      team: team.name,
      user: bot.user,
      team_id: team.id,
      user_id: bot.userId,
      bot_id: bot.botId,
      is_enterprise_install: false,
    }),

    'chat.postMessage': (args) => {
      const channel = channelFor(args.channel, true);
      const content = messageContent(args);
      const threadTs = stringArg(args.thread_ts);
      const metadata = metadataArg(args.metadata);
      const broadcast =
        threadTs !== undefined && (args.reply_broadcast === true || args.reply_broadcast === 'true');
      const message: SlackMessage = {
        channel: channel.id,
        ts: nextTs(),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(broadcast ? { broadcast } : {}),
        ...content,
        edits: [],
        ...(metadata ? { metadata } : {}),
      };
      state.messages.push(message);
      return { channel: channel.id, ts: message.ts, message: messageJson(message) };
    },

    'chat.update': (args) => {
      const channel = channelFor(args.channel, true);
      const message = messageFor(channel, args.ts);
      const content = messageContent(args);
      message.edits.push({
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        edited_ts: nextTs(),
      });
      message.text = content.text;
      // Slack keeps the old blocks (and metadata) when an update sends only text.
      if (content.blocks) message.blocks = content.blocks;
      const metadata = metadataArg(args.metadata);
      if (metadata) message.metadata = metadata;
      return { channel: channel.id, ts: message.ts, text: message.text, message: messageJson(message) };
    },

    // As a bot token may: only the bot's own messages, and every message here is the bot's. Replies stay.
    'chat.delete': (args) => {
      const channel = channelFor(args.channel, false);
      const message = messageFor(channel, args.ts);
      state.messages.splice(state.messages.indexOf(message), 1);
      return { channel: channel.id, ts: message.ts };
    },

    'chat.getPermalink': (args) => {
      const channel = channelFor(args.channel, false);
      const message = messageFor(channel, args.message_ts);
      const base = `${workspaceUrl}archives/${channel.id}/p${message.ts.replace('.', '')}`;
      const permalink = message.thread_ts ? `${base}?thread_ts=${message.thread_ts}&cid=${channel.id}` : base;
      return { channel: channel.id, permalink };
    },

    'conversations.list': (args) => {
      const limit = args.limit === undefined || args.limit === '' ? 100 : Number(args.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new SlackError('invalid_limit');
      const types = (stringArg(args.types) ?? 'public_channel').split(',').map((t) => t.trim());
      const excludeArchived = args.exclude_archived === true || args.exclude_archived === 'true';
      const visible = state.channels.filter(
        (c) =>
          types.includes(c.is_private ? 'private_channel' : 'public_channel') &&
          (!c.is_private || c.is_member) &&
          !(excludeArchived && c.is_archived),
      );
      const start = decodeCursor(args.cursor);
      const page = visible.slice(start, start + Math.min(limit, 1000));
      const next = start + page.length < visible.length ? encodeCursor(start + page.length) : '';
      return { channels: page.map(channelJson), response_metadata: { next_cursor: next } };
    },

    // Top-level messages (and replies broadcast to the channel), newest first, between `oldest` and `latest`
    // (exclusive unless `inclusive`); metadata only with `include_all_metadata`.
    'conversations.history': (args) => {
      const channel = channelFor(args.channel, false);
      if (!channel.is_member) throw new SlackError('not_in_channel');
      const inclusive = args.inclusive === true || args.inclusive === 'true';
      const within = timeWindow(tsArg(args.oldest, 'oldest'), tsArg(args.latest, 'latest'), inclusive);
      const shown = state.messages.filter(
        (m) => m.channel === channel.id && (!m.thread_ts || m.broadcast) && within(m.ts),
      );
      return { ...page(shown.reverse(), args), pin_count: 0 };
    },

    // A thread: its parent first, then the replies oldest first; a message without replies is a thread of one.
    'conversations.replies': (args) => {
      const channel = channelFor(args.channel, false);
      if (!channel.is_member) throw new SlackError('not_in_channel');
      const ts = stringArg(args.ts);
      if (!ts) throw new SlackError('invalid_arguments');
      const found = state.messages.find((m) => m.channel === channel.id && m.ts === ts);
      if (!found) throw new SlackError('thread_not_found');
      const parent = found.thread_ts
        ? state.messages.find((m) => m.channel === channel.id && m.ts === found.thread_ts)
        : found;
      if (!parent) throw new SlackError('thread_not_found');
      return page([parent, ...repliesTo(parent)], args);
    },

    'conversations.info': (args) => {
      const channel = channelFor(args.channel, false);
      if (channel.is_private && !channel.is_member) throw new SlackError('channel_not_found');
      return { channel: channelJson(channel) };
    },
  };

  for (const [name, handler] of Object.entries(methods)) {
    router.on('*', `/api/${name}`, (req) => serve(req, options.token, handler));
  }
  // Like every Web API error but rate limits, an unknown method is HTTP 200 with `ok:false`.
  router.on('*', '/api/:method', (req) =>
    ok200({ ok: false, error: 'unknown_method', req_method: req.params.method }),
  );

  return {
    router,
    state,
    /** Adds a channel (a member one unless `member: false`); returns the existing one if the name is taken. */
    addChannel,
    /** The messages of a channel (by name, `#name` or id), thread replies included, oldest first. */
    messages(channel: string): SlackMessage[] {
      const found = findChannel(channel);
      return found ? state.messages.filter((m) => m.channel === found.id) : [];
    },
    /** Scripts `times` answers of HTTP 429 `ratelimited` with `Retry-After: retryAfterSeconds` for one method. */
    rateLimit(method: string, times = 1, retryAfterSeconds = 1): void {
      router.inject({
        route: `POST /api/${method}`,
        times,
        respond: {
          status: 429,
          headers: { 'retry-after': retryAfterSeconds },
          body: { ok: false, error: 'ratelimited' },
        },
      });
    },
  };
}

export type SlackService = ReturnType<typeof createSlackService>;

/** A message as readable text, for tests and the demo: its blocks rendered, else its text, with its edits counted. */
export function renderMessage(
  message: Pick<SlackMessage, 'text' | 'blocks'> & { edits?: unknown[] },
): string {
  const body = renderBlocks(message.blocks, message.text);
  return message.edits && message.edits.length > 0 ? `${body}\n(edited ${message.edits.length}x)` : body;
}

function serve(req: SandboxRequest, token: string, handler: MethodHandler): SandboxResponse {
  const parsed = parseArgs(req);
  if ('error' in parsed) return ok200({ ok: false, error: parsed.error });
  const given = bearer(req.headers.authorization) ?? (parsed.json ? undefined : stringArg(parsed.args.token));
  if (!given) return ok200({ ok: false, error: 'not_authed' });
  if (given !== token) return ok200({ ok: false, error: 'invalid_auth' });
  const warnings = parsed.missingCharset ? { warning: 'missing_charset' } : {};
  const metadata = parsed.missingCharset ? { response_metadata: { warnings: ['missing_charset'] } } : {};
  try {
    const result = handler(parsed.args);
    return ok200({ ok: true, ...result, ...warnings, ...mergeMetadata(result, metadata) });
  } catch (error) {
    if (!(error instanceof SlackError)) throw error;
    return ok200({ ok: false, error: error.error, ...error.extra, ...warnings, ...metadata });
  }
}

function mergeMetadata(result: Result, metadata: Result): Result {
  if (!metadata.response_metadata) return {};
  const existing = (result.response_metadata ?? {}) as Result;
  return { response_metadata: { ...existing, ...(metadata.response_metadata as Result) } };
}

const ok200 = (body: Result): SandboxResponse => ({ status: 200, body });

type Parsed = { args: Args; json: boolean; missingCharset: boolean } | { error: string };

/** Arguments come from the query string and a form or JSON body, as the Web API accepts them. */
function parseArgs(req: SandboxRequest): Parsed {
  const args: Args = Object.fromEntries(req.url.searchParams);
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const text = req.body.toString('utf8');
  if (text.trim() === '') return { args, json: false, missingCharset: false };
  if (type.startsWith('application/json')) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { error: 'invalid_json' };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'json_not_object' };
    return { args: { ...args, ...body }, json: true, missingCharset: !type.includes('charset') };
  }
  if (type.startsWith('application/x-www-form-urlencoded') || type === '') {
    return {
      args: { ...args, ...Object.fromEntries(new URLSearchParams(text)) },
      json: false,
      missingCharset: false,
    };
  }
  return { error: 'invalid_form_data' };
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

function stringArg(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The text and blocks of a post or update, checked as Slack checks them. */
function messageContent(args: Args): { text: string; blocks?: unknown[] } {
  let blocks: unknown;
  if (args.blocks !== undefined && args.blocks !== '') {
    blocks = args.blocks;
    if (typeof blocks === 'string') {
      try {
        blocks = JSON.parse(blocks);
      } catch {
        throw new SlackError('invalid_blocks_format');
      }
    }
    if (!Array.isArray(blocks)) throw new SlackError('invalid_blocks_format');
    const errors = validateBlocks(blocks);
    if (errors.length > 0) {
      throw new SlackError('invalid_blocks', {
        errors,
        response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
      });
    }
  }
  const text = typeof args.text === 'string' ? args.text : args.text === undefined ? '' : String(args.text);
  const hasAttachments =
    args.attachments !== undefined && args.attachments !== '' && args.attachments !== '[]';
  if (text === '' && !(Array.isArray(blocks) && blocks.length > 0) && !hasAttachments)
    throw new SlackError('no_text');
  if (text.length > maxTextLength) throw new SlackError('msg_too_long');
  return Array.isArray(blocks) && blocks.length > 0 ? { text, blocks } : { text };
}

/** The `metadata` argument (a JSON string from a form, an object from a JSON body), checked as Slack checks it. */
function metadataArg(value: unknown): SlackMetadata | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed = value;
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed);
    } catch {
      throw new SlackError('invalid_metadata_format');
    }
  }
  const candidate = parsed as Partial<SlackMetadata> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.event_type !== 'string' ||
    candidate.event_type === '' ||
    typeof candidate.event_payload !== 'object' ||
    candidate.event_payload === null ||
    Array.isArray(candidate.event_payload)
  ) {
    throw new SlackError('invalid_metadata_schema');
  }
  return { event_type: candidate.event_type, event_payload: candidate.event_payload };
}

/** A history bound: a Slack timestamp, or Slack's `invalid_ts_oldest` / `invalid_ts_latest`. */
function tsArg(value: unknown, name: 'oldest' | 'latest'): string | undefined {
  const ts = stringArg(value);
  if (ts !== undefined && !/^\d+(\.\d+)?$/.test(ts)) throw new SlackError(`invalid_ts_${name}`);
  return ts;
}

/** Whether a ts lies between `oldest` and `latest` (either open), as conversations.history bounds it. */
function timeWindow(
  oldest: string | undefined,
  latest: string | undefined,
  inclusive: boolean,
): (ts: string) => boolean {
  const after = (ts: string, bound: string) => compareTs(ts, bound) > 0 || (inclusive && ts === bound);
  const before = (ts: string, bound: string) => compareTs(ts, bound) < 0 || (inclusive && ts === bound);
  return (ts) => (oldest === undefined || after(ts, oldest)) && (latest === undefined || before(ts, latest));
}

/** Orders two Slack timestamps (`seconds.micros`) as numbers, without floating point. */
function compareTs(a: string, b: string): number {
  const [as = '0', af = ''] = a.split('.');
  const [bs = '0', bf = ''] = b.split('.');
  const width = Math.max(af.length, bf.length);
  const x = BigInt(as) * 10n ** BigInt(width) + BigInt(af.padEnd(width, '0') || '0');
  const y = BigInt(bs) * 10n ** BigInt(width) + BigInt(bf.padEnd(width, '0') || '0');
  return x < y ? -1 : x > y ? 1 : 0;
}

function channelJson(channel: SlackChannel): Result {
  return {
    id: channel.id,
    name: channel.name,
    is_channel: !channel.is_private,
    is_group: channel.is_private,
    is_im: false,
    is_mpim: false,
    is_private: channel.is_private,
    created: channel.created,
    is_archived: channel.is_archived,
    is_general: channel.name === 'general',
    unlinked: 0,
    name_normalized: channel.name,
    is_shared: false,
    is_org_shared: false,
    is_ext_shared: false,
    is_pending_ext_shared: false,
    is_member: channel.is_member,
    creator: bot.userId,
    topic: { value: '', creator: '', last_set: 0 },
    purpose: { value: '', creator: '', last_set: 0 },
    previous_names: [],
  };
}

/** Slack's cursors are opaque base64 strings; this one carries an offset into the channel list. */
function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64');
}

function decodeCursor(cursor: unknown): number {
  if (cursor === undefined || cursor === '') return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(String(cursor), 'base64').toString('utf8'));
  if (!match) throw new SlackError('invalid_cursor');
  return Number(match[1]);
}
