import { type KnownBlock, type Logger, LogLevel, WebClient, type WebClientOptions } from '@slack/web-api';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../../src/sandbox/http.js';
import {
  createSlackService,
  renderMessage,
  type SlackService,
} from '../../../src/sandbox/slack/slack-service.js';

const token = 'xoxb-sandbox-test-token';

/** The WebClient logs platform warnings and `[ERROR]` metadata; the tests read them from the results instead. */
const silent: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

let slack: SlackService;
let server: RunningServer;

const client = (options: WebClientOptions = {}, withToken: string | null = token) =>
  new WebClient(withToken ?? undefined, {
    slackApiUrl: `${server.url}/api/`,
    retryConfig: { retries: 0 },
    timeout: 5000,
    logger: silent,
    ...options,
  });

/** The `error` of a rejected Web API call, as the WebClient reports it. */
async function slackError(
  call: Promise<unknown>,
): Promise<{ code: string; error: string; data: Record<string, unknown> }> {
  try {
    await call;
  } catch (thrown) {
    const e = thrown as { code: string; data: { error: string } & Record<string, unknown> };
    return { code: e.code, error: e.data?.error, data: e.data };
  }
  throw new Error('expected the call to fail');
}

/** A raw POST, for JSON bodies and malformed input the WebClient would never send. */
function post(method: string, body: string, headers: Record<string, string>) {
  return fetch(`${server.url}/api/${method}`, { method: 'POST', body, headers }).then(async (r) => ({
    status: r.status,
    json: (await r.json()) as Record<string, unknown>,
  }));
}

beforeAll(async () => {
  slack = createSlackService({ token });
  server = await listen(slack.router.listener);
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  slack.router.clearFaults();
});

describe('authentication', () => {
  it('answers auth.test for the configured token', async () => {
    const result = await client().auth.test();
    expect(result).toMatchObject({
      ok: true,
      team_id: 'T0SANDBOX1',
      user: 'hephestus',
      bot_id: 'B0SANDBOX1',
    });
  });

  it('rejects a wrong token with invalid_auth and a missing one with not_authed, both HTTP 200', async () => {
    expect((await slackError(client({}, 'xoxb-wrong').auth.test())).error).toBe('invalid_auth');
    expect((await slackError(client({}, null).auth.test())).error).toBe('not_authed');
    const raw = await post('auth.test', '', {});
    expect(raw).toEqual({ status: 200, json: { ok: false, error: 'not_authed' } });
  });

  it('takes no token from a JSON body, only from the Authorization header', async () => {
    const raw = await post('auth.test', JSON.stringify({ token }), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(raw.json).toEqual({ ok: false, error: 'not_authed' });
  });

  it('accepts a token in a form body, as the Web API still does', async () => {
    const raw = await post('auth.test', new URLSearchParams({ token }).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(raw.json.ok).toBe(true);
  });
});

describe('chat.postMessage', () => {
  it('posts by channel id, #name and bare name, and keeps the blocks sent form-encoded', async () => {
    const id = slack.state.channels.find((c) => c.name === 'execution-teams')?.id as string;
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'AMI *ami-0abc* built' } }];
    const web = client();
    const byId = await web.chat.postMessage({ channel: id, text: 'by id', blocks });
    const byHash = await web.chat.postMessage({ channel: '#execution-teams', text: 'by #name' });
    const byName = await web.chat.postMessage({ channel: 'execution-teams', text: 'by name' });

    expect(byId).toMatchObject({
      ok: true,
      channel: id,
      message: { text: 'by id', blocks, bot_id: 'B0SANDBOX1' },
    });
    expect(byId.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(byId.message?.ts).toBe(byId.ts);
    expect([byHash.channel, byName.channel]).toEqual([id, id]);
    const stored = slack.messages('execution-teams').slice(-3);
    expect(stored.map((m) => m.text)).toEqual(['by id', 'by #name', 'by name']);
    expect(stored[0]).toMatchObject({ channel: id, ts: byId.ts, blocks, edits: [] });
  });

  it('accepts a JSON body with blocks as an array, and warns about a missing charset as Slack does', async () => {
    const body = JSON.stringify({
      channel: '#investigation',
      text: 'fallback',
      blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Rolled out' } }],
    });
    const withCharset = await post('chat.postMessage', body, {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json; charset=utf-8',
    });
    expect(withCharset.json).toMatchObject({ ok: true, message: { blocks: [{ type: 'header' }] } });
    expect(withCharset.json.warning).toBeUndefined();

    const withoutCharset = await post('chat.postMessage', body, {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    });
    expect(withoutCharset.json).toMatchObject({
      ok: true,
      warning: 'missing_charset',
      response_metadata: { warnings: ['missing_charset'] },
    });
  });

  it('gives every message a strictly increasing ts', async () => {
    const web = client();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 6 }), async (count) => {
        const results = [];
        for (let i = 0; i < count; i++)
          results.push(await web.chat.postMessage({ channel: '#investigation', text: `n${i}` }));
        const stamps = results.map((r) => Number(r.ts));
        for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1] as number);
        // Distinct as strings too: the ts is the message's key.
        expect(new Set(results.map((r) => r.ts)).size).toBe(count);
      }),
      { numRuns: 10 },
    );
  });

  it('keeps thread replies with their thread_ts', async () => {
    const web = client();
    const parent = await web.chat.postMessage({ channel: '#custeng-support', text: 'PR opened' });
    const reply = await web.chat.postMessage({
      channel: '#custeng-support',
      text: 'validation passed',
      thread_ts: parent.ts as string,
    });
    expect(reply.message).toMatchObject({ thread_ts: parent.ts });
    expect(slack.messages('custeng-support').find((m) => m.ts === reply.ts)?.thread_ts).toBe(parent.ts);
  });

  it('serves a thread through conversations.replies: the parent with its reply count first, then the replies', async () => {
    const web = client();
    const channel = '#investigation';
    const parent = await web.chat.postMessage({ channel, text: 'Windows image update opened' });
    const first = await web.chat.postMessage({
      channel,
      text: 'build failed',
      thread_ts: parent.ts as string,
    });
    const second = await web.chat.postMessage({ channel, text: 'ready', thread_ts: parent.ts as string });
    await web.chat.update({
      channel: parent.channel as string,
      ts: parent.ts as string,
      text: 'ready to merge',
    });

    const thread = await web.conversations.replies({
      channel: parent.channel as string,
      ts: parent.ts as string,
    });
    expect(thread.messages?.map((m) => [m.ts, m.text, m.thread_ts])).toEqual([
      [parent.ts, 'ready to merge', parent.ts],
      [first.ts, 'build failed', parent.ts],
      [second.ts, 'ready', parent.ts],
    ]);
    expect(thread.messages?.[0]).toMatchObject({
      reply_count: 2,
      latest_reply: second.ts,
      reply_users: [expect.any(String)],
      edited: { ts: expect.any(String) },
    });
    expect(thread.has_more).toBe(false);
    // Asked by a reply's ts, Slack answers with the whole thread.
    const byReply = await web.conversations.replies({
      channel: parent.channel as string,
      ts: first.ts as string,
    });
    expect(byReply.messages?.map((m) => m.ts)).toEqual([parent.ts, first.ts, second.ts]);
    const paged = await web.conversations.replies({
      channel: parent.channel as string,
      ts: parent.ts as string,
      limit: 2,
    });
    expect(paged.messages).toHaveLength(2);
    expect(paged.has_more).toBe(true);
    expect(paged.response_metadata?.next_cursor).not.toBe('');
    expect(
      await slackError(web.conversations.replies({ channel: parent.channel as string, ts: '1.000001' })),
    ).toMatchObject({ error: 'thread_not_found' });
  });

  it('lists the top-level messages newest first in conversations.history, replies only when broadcast', async () => {
    slack.addChannel('history-check');
    const web = client();
    const channel = '#history-check';
    const parent = await web.chat.postMessage({ channel, text: 'one' });
    await web.chat.postMessage({ channel, text: 'quiet reply', thread_ts: parent.ts as string });
    const loud = await web.chat.postMessage({
      channel,
      text: 'broadcast reply',
      thread_ts: parent.ts as string,
      reply_broadcast: true,
    });
    const later = await web.chat.postMessage({ channel, text: 'two' });
    const history = await web.conversations.history({ channel: parent.channel as string });
    expect(history.messages?.map((m) => [m.text, m.subtype])).toEqual([
      ['two', undefined],
      ['broadcast reply', 'thread_broadcast'],
      ['one', undefined],
    ]);
    expect(history.messages?.map((m) => m.ts)).toEqual([later.ts, loud.ts, parent.ts]);
    expect(history.messages?.[2]).toMatchObject({ reply_count: 2, thread_ts: parent.ts });
    expect(await slackError(web.conversations.history({ channel: '#general' }))).toMatchObject({
      error: 'not_in_channel',
    });
  });

  it('keeps message metadata, shown by conversations.history with include_all_metadata, within oldest and latest', async () => {
    slack.addChannel('metadata-check');
    const web = client();
    const channel = '#metadata-check';
    const metadata = {
      event_type: 'hephestus_notice',
      event_payload: { pull_request: 7, event: 'update_opened' },
    };
    const first = await web.chat.postMessage({ channel, text: 'one', metadata });
    const second = await web.chat.postMessage({ channel, text: 'two' });
    const third = await web.chat.postMessage({ channel, text: 'three' });
    const id = first.channel as string;
    await web.chat.update({ channel: id, ts: first.ts as string, text: 'one, edited' });

    const all = await web.conversations.history({ channel: id, include_all_metadata: true });
    expect(all.messages?.map((m) => [m.text, m.metadata])).toEqual([
      ['three', undefined],
      ['two', undefined],
      ['one, edited', metadata],
    ]);
    const plain = await web.conversations.history({ channel: id });
    expect(plain.messages?.some((m) => m.metadata !== undefined)).toBe(false);

    const upTo = (latest: string, inclusive: boolean) =>
      web.conversations.history({ channel: id, latest, inclusive }).then((r) => r.messages?.map((m) => m.ts));
    expect(await upTo(second.ts as string, true)).toEqual([second.ts, first.ts]);
    expect(await upTo(second.ts as string, false)).toEqual([first.ts]);
    const after = await web.conversations.history({ channel: id, oldest: first.ts as string });
    expect(after.messages?.map((m) => m.ts)).toEqual([third.ts, second.ts]);
    expect((await slackError(web.conversations.history({ channel: id, oldest: 'yesterday' }))).error).toBe(
      'invalid_ts_oldest',
    );
    const bad = web.chat.postMessage({ channel, text: 'x', metadata: { event_type: '', event_payload: {} } });
    expect((await slackError(bad)).error).toBe('invalid_metadata_schema');
  });

  it.each([
    ['channel_not_found', { channel: '#nowhere', text: 'x' }],
    ['channel_not_found', { channel: 'C0NOTHERE', text: 'x' }],
    ['not_in_channel', { channel: '#general', text: 'x' }],
    ['no_text', { channel: '#execution-teams', text: '' }],
    ['msg_too_long', { channel: '#execution-teams', text: 'x'.repeat(40_001) }],
  ])('answers %s', async (error, args) => {
    const before = slack.state.messages.length;
    expect(await slackError(client().chat.postMessage(args))).toMatchObject({
      code: 'slack_webapi_platform_error',
      error,
    });
    expect(slack.state.messages.length).toBe(before);
  });

  it('takes text of exactly 40,000 characters', async () => {
    const result = await client().chat.postMessage({ channel: '#execution-teams', text: 'y'.repeat(40_000) });
    expect(result.ok).toBe(true);
  });

  it('answers invalid_blocks_format for blocks that are not a JSON array', async () => {
    for (const blocks of ['[{"type":', '{"type":"divider"}']) {
      const raw = await post(
        'chat.postMessage',
        new URLSearchParams({ token, channel: '#investigation', blocks }).toString(),
        {
          'content-type': 'application/x-www-form-urlencoded',
        },
      );
      expect(raw.json).toEqual({ ok: false, error: 'invalid_blocks_format' });
    }
  });
});

describe('Block Kit limits', () => {
  const section = (length: number) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: 's'.repeat(length) },
  });
  const header = (length: number) => ({
    type: 'header',
    text: { type: 'plain_text', text: 'h'.repeat(length) },
  });
  const divider = { type: 'divider' };
  // Some of these blocks are invalid on purpose, so they are sent past the client's types.
  const post = (blocks: unknown[]) =>
    client().chat.postMessage({
      channel: '#execution-teams',
      text: 'fallback',
      blocks: blocks as KnownBlock[],
    });

  it('takes 50 blocks and rejects 51', async () => {
    expect((await post(Array(50).fill(divider))).ok).toBe(true);
    const error = await slackError(post(Array(51).fill(divider)));
    expect(error.data).toMatchObject({
      error: 'invalid_blocks',
      errors: ['no more than 50 items allowed [json-pointer:/blocks]'],
      response_metadata: { messages: ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]'] },
    });
  });

  it('takes a 3000-character section text and rejects 3001', async () => {
    expect((await post([divider, section(3000)])).ok).toBe(true);
    const error = await slackError(post([divider, section(3001)]));
    expect(error.data).toMatchObject({
      error: 'invalid_blocks',
      errors: [
        'failed to match all allowed schemas [json-pointer:/blocks/1/text]',
        'must be less than 3001 characters [json-pointer:/blocks/1/text/text]',
      ],
    });
  });

  it('takes a 150-character header and rejects 151, and a mrkdwn header', async () => {
    expect((await post([header(150)])).ok).toBe(true);
    expect((await slackError(post([header(151)]))).data.errors).toContain(
      'must be less than 151 characters [json-pointer:/blocks/0/text/text]',
    );
    const mrkdwnHeader = { type: 'header', text: { type: 'mrkdwn', text: 'bold' } };
    expect((await slackError(post([mrkdwnHeader]))).error).toBe('invalid_blocks');
  });

  it('applies the same limits to chat.update and leaves the message untouched on rejection', async () => {
    const web = client();
    const posted = await post([header(10)]);
    const error = await slackError(
      web.chat.update({
        channel: posted.channel as string,
        ts: posted.ts as string,
        text: 't',
        blocks: [section(3001)],
      }),
    );
    expect(error.error).toBe('invalid_blocks');
    const stored = slack.state.messages.find((m) => m.ts === posted.ts);
    expect(stored).toMatchObject({ blocks: [header(10)], edits: [] });
  });
});

describe('chat.update and chat.getPermalink', () => {
  it('updates a message in place and keeps its earlier versions', async () => {
    const web = client();
    const posted = await web.chat.postMessage({ channel: '#execution-teams', text: 'PR #12 opened' });
    const first = await web.chat.update({
      channel: posted.channel as string,
      ts: posted.ts as string,
      text: 'PR #12 ready',
    });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'PR #12 merged' } }];
    await web.chat.update({
      channel: '#execution-teams',
      ts: posted.ts as string,
      text: 'PR #12 merged',
      blocks,
    });

    expect(first).toMatchObject({ ok: true, channel: posted.channel, ts: posted.ts, text: 'PR #12 ready' });
    const stored = slack.state.messages.filter((m) => m.ts === posted.ts);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ text: 'PR #12 merged', blocks });
    expect(stored[0]?.edits.map((e) => e.text)).toEqual(['PR #12 opened', 'PR #12 ready']);
    expect(Number(stored[0]?.edits[1]?.edited_ts)).toBeGreaterThan(Number(stored[0]?.edits[0]?.edited_ts));
  });

  it('answers message_not_found for an unknown ts and channel_not_found for an unknown channel', async () => {
    const web = client();
    expect(
      (await slackError(web.chat.update({ channel: '#execution-teams', ts: '1.000001', text: 'x' }))).error,
    ).toBe('message_not_found');
    expect((await slackError(web.chat.update({ channel: '#gone', ts: '1.000001', text: 'x' }))).error).toBe(
      'channel_not_found',
    );
  });

  it('deletes a message with chat.delete, answering its channel and ts, then message_not_found', async () => {
    const web = client();
    const kept = await web.chat.postMessage({ channel: '#execution-teams', text: 'kept' });
    const posted = await web.chat.postMessage({ channel: '#execution-teams', text: 'to delete' });
    const deleted = await web.chat.delete({ channel: posted.channel as string, ts: posted.ts as string });
    expect(deleted).toMatchObject({ ok: true, channel: posted.channel, ts: posted.ts });
    expect(slack.state.messages.map((m) => m.ts)).toContain(kept.ts);
    expect(slack.state.messages.map((m) => m.ts)).not.toContain(posted.ts);
    const again = web.chat.delete({ channel: posted.channel as string, ts: posted.ts as string });
    expect(await slackError(again)).toMatchObject({
      code: 'slack_webapi_platform_error',
      error: 'message_not_found',
    });
    const nowhere = web.chat.delete({ channel: '#gone', ts: kept.ts as string });
    expect((await slackError(nowhere)).error).toBe('channel_not_found');
  });

  it('gives a permalink for a message, with the thread for a reply', async () => {
    const web = client();
    const parent = await web.chat.postMessage({ channel: '#investigation', text: 'rollout' });
    const reply = await web.chat.postMessage({
      channel: '#investigation',
      text: 'done',
      thread_ts: parent.ts as string,
    });
    const link = await web.chat.getPermalink({
      channel: parent.channel as string,
      message_ts: parent.ts as string,
    });
    const replyLink = await web.chat.getPermalink({
      channel: '#investigation',
      message_ts: reply.ts as string,
    });

    expect(link.permalink).toBe(
      `https://hephestus-sandbox.slack.com/archives/${parent.channel}/p${(parent.ts as string).replace('.', '')}`,
    );
    expect(replyLink.permalink).toContain(`?thread_ts=${parent.ts}&cid=${parent.channel}`);
    expect(
      (await slackError(web.chat.getPermalink({ channel: '#investigation', message_ts: '2.000000' }))).error,
    ).toBe('message_not_found');
  });
});

describe('conversations', () => {
  let many: SlackService;
  let manyServer: RunningServer;
  const names = ['a-1', 'a-2', 'a-3', 'a-4', 'a-5'];

  beforeAll(async () => {
    many = createSlackService({ token, channels: names });
    many.addChannel('secret', { private: true, member: false });
    many.addChannel('old', { archived: true });
    manyServer = await listen(many.router.listener);
  });

  afterAll(async () => {
    await manyServer.close();
  });

  const manyClient = () =>
    new WebClient(token, {
      slackApiUrl: `${manyServer.url}/api/`,
      retryConfig: { retries: 0 },
      logger: silent,
    });

  it('pages conversations.list with response_metadata.next_cursor until it is empty', async () => {
    const pages: { names: string[]; cursor: string | undefined }[] = [];
    for await (const page of manyClient().paginate('conversations.list', {
      limit: 2,
      exclude_archived: true,
    })) {
      pages.push({
        names: (page as unknown as { channels: { name: string }[] }).channels.map((c) => c.name),
        cursor: (page.response_metadata as { next_cursor?: string }).next_cursor,
      });
    }
    expect(pages.map((p) => p.names)).toEqual([['a-1', 'a-2'], ['a-3', 'a-4'], ['a-5']]);
    expect(pages.at(-1)?.cursor).toBe('');
  });

  it('lists archived channels unless excluded, and private ones only when asked and a member', async () => {
    const web = manyClient();
    const all = await web.conversations.list({ limit: 100 });
    expect(all.channels?.map((c) => c.name)).toEqual([...names, 'old']);
    const withPrivate = await web.conversations.list({ types: 'public_channel,private_channel' });
    expect(withPrivate.channels?.map((c) => c.name)).not.toContain('secret');
  });

  it('answers invalid_cursor for a cursor it did not issue', async () => {
    expect((await slackError(manyClient().conversations.list({ cursor: 'bm90LWEtY3Vyc29y' }))).error).toBe(
      'invalid_cursor',
    );
  });

  it('answers conversations.info by id and by name', async () => {
    const web = manyClient();
    const info = await web.conversations.info({ channel: '#a-3' });
    expect(info.channel).toMatchObject({ name: 'a-3', is_member: true, is_channel: true });
    expect((await web.conversations.info({ channel: info.channel?.id as string })).channel?.name).toBe('a-3');
    expect((await slackError(web.conversations.info({ channel: '#secret' }))).error).toBe(
      'channel_not_found',
    );
  });

  it('answers unknown_method for a method it does not serve', async () => {
    expect((await slackError(manyClient().apiCall('pins.add', {}))).error).toBe('unknown_method');
  });
});

describe('faults', () => {
  it('answers 429 with Retry-After, which the WebClient waits out before retrying', async () => {
    slack.rateLimit('chat.postMessage', 1, 1);
    const before = slack.router.count('POST /api/chat.postMessage');
    const started = Date.now();
    const result = await client({
      retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 },
    }).chat.postMessage({
      channel: '#execution-teams',
      text: 'after the limit',
    });
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(slack.router.count('POST /api/chat.postMessage') - before).toBe(2);
    expect(slack.router.calls.filter((c) => c.route === '/api/chat.postMessage').at(-2)?.status).toBe(429);
  });

  it('reports the Retry-After to a client that rejects rate-limited calls', async () => {
    slack.rateLimit('chat.update', 1, 7);
    const error = (await client({ rejectRateLimitedCalls: true })
      .chat.update({ channel: '#execution-teams', ts: '1.000001', text: 'x' })
      .catch((e: unknown) => e)) as { code: string; retryAfter: number };
    expect(error).toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 });
  });

  it('serves scripted 5xx answers, then recovers', async () => {
    slack.router.inject({
      route: 'POST /api/chat.postMessage',
      times: 1,
      respond: { status: 503, body: 'unavailable' },
    });
    const error = (await client()
      .chat.postMessage({ channel: '#execution-teams', text: 'x' })
      .catch((e: unknown) => e)) as { code: string; statusCode: number };
    expect(error).toMatchObject({ code: 'slack_webapi_http_error', statusCode: 503 });
    expect((await client().chat.postMessage({ channel: '#execution-teams', text: 'x' })).ok).toBe(true);
  });
});

describe('renderMessage', () => {
  it('prints a notifier-style message as readable text', async () => {
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'Windows images updated: windows-2022' } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: 'Pull request <https://github.com/acme/images/pull/42|#42> is ready to merge.',
        },
        accessory: {
          type: 'button',
          text: { type: 'plain_text', text: 'Open PR' },
          url: 'https://github.com/acme/images/pull/42',
        },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*us-east-1*\nami-0123456789abcdef0' },
          { type: 'mrkdwn', text: '*eu-west-1*\nami-0fedcba9876543210' },
        ],
      },
      { type: 'divider' },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: 'validated: 12/12 smoke tests' },
          { type: 'plain_text', text: 'run 7' },
        ],
      },
    ];
    const posted = await client().chat.postMessage({
      channel: '#execution-teams',
      text: 'windows-2022 updated',
      blocks,
    });
    await client().chat.update({
      channel: posted.channel as string,
      ts: posted.ts as string,
      text: 'merged',
      blocks,
    });
    const stored = slack.messages('#execution-teams').find((m) => m.ts === posted.ts);
    expect(stored).toBeDefined();
    expect(renderMessage(stored as NonNullable<typeof stored>)).toMatchInlineSnapshot(`
      "# Windows images updated: windows-2022
      Pull request #42 (https://github.com/acme/images/pull/42) is ready to merge.
        [Open PR](https://github.com/acme/images/pull/42)
        *us-east-1*
        ami-0123456789abcdef0
        *eu-west-1*
        ami-0fedcba9876543210
      ---
      > validated: 12/12 smoke tests | run 7
      (edited 1x)"
    `);
  });

  it('prints the text of a message without blocks', () => {
    expect(renderMessage({ text: 'see <https://example.com/x|the log>' })).toBe(
      'see the log (https://example.com/x)',
    );
  });
});
