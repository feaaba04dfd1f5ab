import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { Logger } from '../../src/log/logger.js';
import { Redactor } from '../../src/log/redact.js';
import { listen, type RunningServer } from '../../src/sandbox/http.js';
import { createSlackService, type SlackService } from '../../src/sandbox/slack/slack-service.js';
import {
  InMemoryMessageMemory,
  MarkerMessageMemory,
  type MessageMemory,
} from '../../src/slack/message-memory.js';
import { decodeSlackMarkers, messageDigest } from '../../src/slack/slack-marker.js';
import { failedMessage, readyToMergeMessage, updateOpenedMessage } from '../../src/slack/slack-messages.js';
import {
  type ChannelOutcome,
  channelsFor,
  describeOutcomes,
  notificationExitCode,
  SlackNotifier,
  type SlackNotifierOptions,
} from '../../src/slack/slack-notifier.js';

const TOKEN = 'xoxb-sandbox-CANARY-7f3a9c21e4';
const CHANNELS = ['#execution-teams', '#custeng-support', '#investigation'];

const pr = {
  repository: 'acme/windows-images',
  number: 7,
  url: 'https://github.com/acme/windows-images/pull/7',
  title: 'Update win2022',
};
const images = [{ image: 'win2022', amis: { 'us-east-1': 'ami-0a1b2c3d4e5f60718' } }];
const opened = updateOpenedMessage({ pr, images, validation: [{ image: 'win2022', status: 'passed' }] });

let slack: SlackService;
let server: RunningServer;
/** Every log line the notifiers wrote, unredacted by the logger itself, to look for the token in. */
let logged = '';
/** The delays the notifier asked to sleep, in milliseconds. */
let slept: number[] = [];

function notifier(options: Partial<SlackNotifierOptions> = {}): SlackNotifier {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logged += String(chunk);
      done();
    },
  });
  return new SlackNotifier({
    token: TOKEN,
    apiUrl: `${server.url}/api/`,
    timeoutMs: 2000,
    retries: 2,
    retryMinTimeoutMs: 5,
    logger: new Logger({ level: 'debug', stream, redactor: new Redactor() }),
    sleep: async (ms) => {
      slept.push(ms);
    },
    ...options,
  });
}

/** Waits until the sandbox has recorded `count` calls of `route`. */
async function callsSettled(route: string, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (slack.router.count(route) < count && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  expect(slack.router.count(route)).toBe(count);
}

/**
 * A PR body's marker memory shared by `runs` runs, whose first look finds what was there before any of them
 * posted: each `get` waits until every run has looked. So each run posts before any remembers: the race of two
 * open-update jobs that both read the PR before either wrote its marker, forced rather than waited for.
 */
function racingMemory(runs: number): { memory: MessageMemory; body: () => string } {
  let body = '';
  const shared = new MarkerMessageMemory(
    async () => body,
    async (text) => {
      body = text;
    },
  );
  let waiting = runs;
  let release: () => void = () => {};
  const everyoneLooked = new Promise<void>((resolve) => {
    release = resolve;
  });
  const memory: MessageMemory = {
    get: async (event, channel) => {
      const seen = await shared.get(event, channel);
      if (waiting > 0 && --waiting === 0) release();
      await everyoneLooked;
      return seen;
    },
    set: (ref) => shared.set(ref),
  };
  return { memory, body: () => body };
}

const byStatus = (outcomes: ChannelOutcome[]) =>
  outcomes.map((o) => `${o.channel} ${o.status}${o.status === 'failed' ? ` ${o.error}` : ''}`);

beforeAll(async () => {
  slack = createSlackService({ token: TOKEN });
  server = await listen(slack.router.listener);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  slack.router.clearFaults();
  slack.state.messages.length = 0;
  slack.router.calls.length = 0;
  slept = [];
  expect(logged).not.toContain(TOKEN);
  expect(new Redactor([TOKEN]).leaks(logged)).toBe(false);
  logged = '';
});

describe('one notice when runs race (once)', () => {
  const once = { event: 'update_opened', repository: pr.repository, pullRequest: pr.number } as const;
  const channel = '#execution-teams';
  const post = (memory: MessageMemory, options: { keepExisting?: boolean } = {}) =>
    notifier().notify('update_opened', [channel], opened, { memory, threadUnder: null, once, ...options });

  it('two runs that both post before either remembers end with the earliest message, remembered by both', async () => {
    const { memory, body } = racingMemory(2);
    const outcomes = await Promise.all([post(memory), post(memory)]);

    expect(slack.router.count('POST /api/chat.postMessage')).toBe(2);
    expect(slack.router.count('POST /api/chat.delete')).toBe(1);
    const left = slack.messages(channel);
    expect(left).toHaveLength(1);
    const kept = left[0]?.ts ?? '';
    expect(outcomes.map((o) => o[0]?.status).sort()).toEqual(['posted', 'unchanged']);
    expect(outcomes.map((o) => o[0]?.status !== 'failed' && o[0]?.ts)).toEqual([kept, kept]);
    const loser = outcomes.flat().find((o) => o.status === 'unchanged');
    expect(loser?.status === 'unchanged' && loser.note).toMatch(
      /^a concurrent run posted this notice first; this run's copy \d+\.\d+ was deleted$/,
    );
    expect(decodeSlackMarkers(body())).toEqual([
      { event: 'update_opened', channel, id: left[0]?.channel, ts: kept, digest: messageDigest(opened) },
    ]);

    // Re-runs, as open-update makes them (unchanged keeps the message; updated sends it only if it differs): nothing.
    const again = [...(await post(memory, { keepExisting: true })), ...(await post(memory))];
    expect(again.map((o) => o.status)).toEqual(['unchanged', 'unchanged']);
    expect(slack.router.count('POST /api/chat.postMessage')).toBe(2);
    expect(slack.messages(channel).map((m) => [m.ts, m.edits.length])).toEqual([[kept, 0]]);
  });

  it('deletes nothing when it cannot read the channel back: unproven, both copies stay', async () => {
    slack.router.inject({
      route: 'POST /api/conversations.history',
      times: 2,
      respond: { status: 200, body: { ok: false, error: 'missing_scope', needed: 'channels:history' } },
    });
    const { memory } = racingMemory(2);
    const outcomes = await Promise.all([post(memory), post(memory)]);
    expect(outcomes.map((o) => o[0]?.status)).toEqual(['posted', 'posted']);
    expect(slack.router.count('POST /api/chat.delete')).toBe(0);
    expect(slack.messages(channel)).toHaveLength(2);
  });

  it('keeps its message beside the same notice of another pull request, or one it replaces on purpose', async () => {
    const other = await notifier().notify('update_opened', [channel], opened, {
      memory: new InMemoryMessageMemory(),
      threadUnder: null,
      once: { ...once, pullRequest: 8 },
    });
    expect(other[0]?.status).toBe('posted');
    // The remembered copy can no longer be edited, so a new one is posted: the old one is not a rival to it.
    const memory = new InMemoryMessageMemory();
    const first = await post(memory);
    slack.router.inject({
      route: 'POST /api/chat.update',
      times: 1,
      respond: { status: 200, body: { ok: false, error: 'cant_update_message' } },
    });
    const revised = updateOpenedMessage({ pr, images, validation: [] });
    const second = await notifier().notify('update_opened', [channel], revised, {
      memory,
      threadUnder: null,
      once,
    });
    expect(second[0]?.status).toBe('posted');
    expect(slack.router.count('POST /api/chat.delete')).toBe(0);
    expect(slack.messages(channel)).toHaveLength(3);
    expect(await memory.get('update_opened', channel)).toMatchObject({
      ts: second[0]?.status === 'posted' ? second[0].ts : '',
    });
    expect(first[0]?.status).toBe('posted');
  });
});

describe('SlackNotifier against the sandbox', () => {
  it('posts to every channel on its own: a missing one fails, the other two still get the message', async () => {
    const channels = ['#execution-teams', '#no-such-channel', '#investigation'];
    const outcomes = await notifier().notify('update_opened', channels, opened, {
      memory: new InMemoryMessageMemory(),
    });
    expect(byStatus(outcomes)).toEqual([
      '#execution-teams posted',
      '#no-such-channel failed channel_not_found',
      '#investigation posted',
    ]);
    expect(slack.messages('execution-teams')).toHaveLength(1);
    expect(slack.messages('investigation')).toHaveLength(1);
    expect(slack.messages('execution-teams')[0]?.blocks).toEqual(opened.blocks);
    expect(notificationExitCode(outcomes, false)).toBe(0);
    expect(notificationExitCode(outcomes, true)).toBe(1);
    expect(describeOutcomes(outcomes)[1]).toBe(
      '#no-such-channel: failed (channel_not_found): Slack answered channel_not_found',
    );
  });

  it('updates its message on a re-run instead of posting a second one', async () => {
    const memory = new InMemoryMessageMemory();
    const first = await notifier().notify('update_opened', CHANNELS, opened, { memory });
    expect(first.map((o) => o.status)).toEqual(['posted', 'posted', 'posted']);

    const revised = updateOpenedMessage({
      pr: { ...pr, title: 'Update win2022 (rebuilt)' },
      images,
      validation: [],
    });
    const second = await notifier().notify('update_opened', CHANNELS, revised, { memory });
    expect(second.map((o) => o.status)).toEqual(['updated', 'updated', 'updated']);
    for (const channel of CHANNELS) {
      const messages = slack.messages(channel);
      expect(messages).toHaveLength(1);
      expect(messages[0]?.edits).toHaveLength(1);
      expect(messages[0]?.text).toBe(revised.text);
    }
    expect(second.map((o) => o.status !== 'failed' && o.ts)).toEqual(
      first.map((o) => o.status !== 'failed' && o.ts),
    );
  });

  it('sends nothing on a re-run whose message says the same, in this process or a new one', async () => {
    let body = 'Updates the Windows images.';
    const memory = (): MessageMemory =>
      new MarkerMessageMemory(
        async () => body,
        async (text) => {
          body = text;
        },
      );
    await notifier().notify('update_opened', CHANNELS, opened, { memory: memory() });
    const calls = slack.router.calls.length;
    const rerun = await notifier().notify('update_opened', CHANNELS, opened, { memory: memory() });
    expect(rerun.map((o) => o.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(slack.router.calls.length).toBe(calls);
    for (const channel of CHANNELS) expect(slack.messages(channel)[0]?.edits).toEqual([]);

    const revised = updateOpenedMessage({ pr, images, validation: [] });
    const changed = await notifier().notify('update_opened', CHANNELS, revised, { memory: memory() });
    expect(changed.map((o) => o.status)).toEqual(['updated', 'updated', 'updated']);
    const again = await notifier().notify('update_opened', CHANNELS, revised, { memory: memory() });
    expect(again.map((o) => o.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
  });

  it('remembers through markers in a PR body, so a new process on a re-run updates too', async () => {
    let body = 'Updates the Windows images.';
    const memory = (): MessageMemory =>
      new MarkerMessageMemory(
        async () => body,
        async (text) => {
          body = text;
        },
      );
    await notifier().notify(
      'failed',
      ['#execution-teams'],
      failedMessage({ step: 'validate', log: 'attempt 1' }),
      { memory: memory() },
    );
    const rerun = await notifier().notify(
      'failed',
      ['#execution-teams'],
      failedMessage({ step: 'validate', log: 'attempt 2' }),
      {
        memory: memory(),
      },
    );
    expect(rerun.map((o) => o.status)).toEqual(['updated']);
    expect(slack.messages('execution-teams')).toHaveLength(1);
    expect(body).toMatch(
      /^Updates the Windows images\.\n\n<!-- hephestus:slack \{"event":"failed","channel":"#execution-teams",/,
    );
  });

  it('posts follow-ups on the same PR in the thread of its first notice, where there is one', async () => {
    const memory = new InMemoryMessageMemory();
    const root = await notifier().notify('update_opened', ['#execution-teams'], opened, { memory });
    const ready = readyToMergeMessage({ pr, images, validation: [] });
    const follow = await notifier().notify('ready_to_merge', ['#execution-teams', '#investigation'], ready, {
      memory,
    });
    const rootTs = root[0]?.status === 'posted' ? root[0].ts : 'missing';
    expect(follow[0]).toMatchObject({ status: 'posted', threadTs: rootTs });
    expect(follow[1]).toMatchObject({ status: 'posted' });
    expect(follow[1]).not.toHaveProperty('threadTs');
    expect(slack.messages('execution-teams').map((m) => m.thread_ts)).toEqual([undefined, rootTs]);
    expect(slack.messages('investigation')[0]?.thread_ts).toBeUndefined();
  });

  it('posts anew when the remembered message is gone', async () => {
    const memory = new InMemoryMessageMemory();
    await memory.set({
      event: 'update_opened',
      channel: '#execution-teams',
      id: 'C0SBX00001',
      ts: '1600000000.000001',
    });
    const outcomes = await notifier().notify('update_opened', ['#execution-teams'], opened, { memory });
    expect(outcomes.map((o) => o.status)).toEqual(['posted']);
    expect(await memory.get('update_opened', '#execution-teams')).toMatchObject({
      ts: outcomes[0]?.status === 'posted' ? outcomes[0].ts : '',
    });
  });

  it('reports a memory that cannot store as a warning, the message itself having gone out', async () => {
    const memory: MessageMemory = {
      get: async () => undefined,
      set: async () => {
        throw new Error('GitHub answered 502');
      },
    };
    const [outcome] = await notifier().notify('rollout', ['#investigation'], opened, { memory });
    expect(outcome).toMatchObject({
      status: 'posted',
      warning: 'could not remember the message: GitHub answered 502',
    });
  });

  it('waits out a 429 for the Retry-After Slack asks, then posts', async () => {
    slack.rateLimit('chat.postMessage', 2, 1);
    const outcomes = await notifier().notify('update_opened', CHANNELS, opened, {
      memory: new InMemoryMessageMemory(),
    });
    expect(outcomes.map((o) => o.status)).toEqual(['posted', 'posted', 'posted']);
    expect(slept).toEqual([1000, 1000]);
    expect(slack.router.count('POST /api/chat.postMessage')).toBe(5);
    expect(slack.messages('execution-teams')).toHaveLength(1);
  });

  it('gives up on a channel whose Retry-After is longer than the cap, and goes on with the others', async () => {
    slack.rateLimit('chat.postMessage', 1, 600);
    const outcomes = await notifier().notify('update_opened', CHANNELS, opened, {
      memory: new InMemoryMessageMemory(),
    });
    expect(byStatus(outcomes)).toEqual([
      '#execution-teams failed ratelimited',
      '#custeng-support posted',
      '#investigation posted',
    ]);
    expect(slept).toEqual([]);
    expect(outcomes[0]).toMatchObject({ message: 'rate limited; Slack asked to retry after 600 s' });
  });

  it('retries an HTTP 500 a bounded number of times', async () => {
    slack.router.inject({
      route: 'POST /api/chat.postMessage',
      times: 1,
      respond: { status: 500, body: 'upstream error' },
    });
    const recovered = await notifier().notify('update_opened', ['#execution-teams'], opened, {
      memory: new InMemoryMessageMemory(),
    });
    expect(recovered.map((o) => o.status)).toEqual(['posted']);

    slack.router.calls.length = 0;
    slack.router.inject({
      route: 'POST /api/chat.postMessage',
      times: 10,
      respond: { status: 500, body: 'upstream error' },
    });
    const failed = await notifier({ retries: 2 }).notify('rollout', ['#investigation'], opened, {
      memory: new InMemoryMessageMemory(),
    });
    expect(byStatus(failed)).toEqual(['#investigation failed http_500']);
    expect(slack.router.count('POST /api/chat.postMessage')).toBe(3);
  });

  it('times out a request Slack does not answer, and retries it', async () => {
    const late = { status: 200, body: { ok: true, channel: 'C0SBX00001', ts: '1700000000.000001' } };
    slack.router.inject({ route: 'POST /api/chat.postMessage', times: 2, delayMs: 700, respond: late });
    const gaveUp = await notifier({ timeoutMs: 200, retries: 1 }).notify('update_opened', CHANNELS, opened, {
      memory: new InMemoryMessageMemory(),
    });
    expect(byStatus(gaveUp)).toEqual([
      '#execution-teams failed timeout',
      '#custeng-support posted',
      '#investigation posted',
    ]);
    // The abandoned requests are answered (and recorded) late; wait for them so the next test counts only its own.
    await callsSettled('POST /api/chat.postMessage', 4);

    slack.router.calls.length = 0;
    slack.router.inject({ route: 'POST /api/chat.postMessage', times: 1, delayMs: 700, respond: late });
    const retried = await notifier({ timeoutMs: 200, retries: 1 }).notify(
      'rollout',
      ['#execution-teams'],
      opened,
      {
        memory: new InMemoryMessageMemory(),
      },
    );
    expect(retried.map((o) => o.status)).toEqual(['posted']);
    await callsSettled('POST /api/chat.postMessage', 2);
  });

  it('reports invalid_auth for every channel after one call, without the token anywhere', async () => {
    const wrong = 'xoxb-wrong-CANARY-55d1e0b2';
    const outcomes = await notifier({ token: wrong }).notify('update_opened', CHANNELS, opened, {
      memory: new InMemoryMessageMemory(),
    });
    expect(byStatus(outcomes)).toEqual(CHANNELS.map((c) => `${c} failed invalid_auth`));
    expect(slack.router.count('POST /api/chat.postMessage')).toBe(1);
    expect(logged).toContain('slack: http request headers');
    const printed = `${JSON.stringify(outcomes)}\n${describeOutcomes(outcomes).join('\n')}\n${logged}`;
    expect(printed).not.toContain(wrong);
    expect(printed).not.toContain(TOKEN);
  });

  it('is built from the environment, and refuses to start without a token', async () => {
    const env = { SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: `${server.url}/api` };
    const outcomes = await SlackNotifier.fromEnv(env, { sleep: async () => {} }).notify(
      'failed',
      ['#investigation'],
      opened,
      {
        memory: new InMemoryMessageMemory(),
      },
    );
    expect(outcomes.map((o) => o.status)).toEqual(['posted']);
    expect(() => SlackNotifier.fromEnv({})).toThrow(InputError);
  });

  it('reads the channels per event from configuration', () => {
    const slackConfig = {
      channels: {
        update_opened: ['#execution-teams'],
        ready_to_merge: [],
        failed: ['#a'],
        rollout: CHANNELS,
        revoked: [],
      },
      strict: false,
    };
    expect(channelsFor(slackConfig, 'rollout')).toEqual(CHANNELS);
    expect(channelsFor(slackConfig, 'ready_to_merge')).toEqual([]);
    expect(channelsFor(undefined, 'failed')).toEqual([]);
    // The incident notice of revoke goes to the rollout channels unless it has its own.
    expect(channelsFor(slackConfig, 'revoked')).toEqual(CHANNELS);
    expect(
      channelsFor({ ...slackConfig, channels: { ...slackConfig.channels, revoked: ['#oncall'] } }, 'revoked'),
    ).toEqual(['#oncall']);
  });
});
