import { describe, expect, it } from 'vitest';
import {
  compareTs,
  earlierTwin,
  NOTICE_EVENT_TYPE,
  type NoticeKey,
  noticeMetadata,
} from '../../src/slack/duplicate-notice.js';

const key: NoticeKey = { event: 'update_opened', repository: 'acme/windows-images', pullRequest: 7 };
const BOT = 'B0SANDBOX1';
const ours = { ts: '1700000000.000300', botId: BOT };

/** A history message as conversations.history shows it. */
const message = (ts: string, overrides: Record<string, unknown> = {}) => ({
  type: 'message',
  ts,
  bot_id: BOT,
  text: 'Windows image update opened',
  metadata: noticeMetadata(key),
  ...overrides,
});

describe('noticeMetadata', () => {
  it('names the event and the pull request under Hephestus event type', () => {
    expect(noticeMetadata(key)).toEqual({
      event_type: NOTICE_EVENT_TYPE,
      event_payload: { event: 'update_opened', repository: 'acme/windows-images', pull_request: 7 },
    });
  });
});

describe('earlierTwin', () => {
  it('finds the earliest copy of the same notice by the same bot, whatever the order of the page', () => {
    const page = [
      message('1700000000.000300'),
      message('1700000000.000200'),
      message('1700000000.000100'),
      message('1699999999.999999', { metadata: undefined }),
    ];
    expect(earlierTwin(key, ours, page)).toEqual({
      ts: '1700000000.000100',
      text: 'Windows image update opened',
    });
    expect(earlierTwin(key, ours, [...page].reverse())?.ts).toBe('1700000000.000100');
  });

  it('keeps ours when it is the earliest: later copies are the other run’s to delete', () => {
    expect(earlierTwin(key, ours, [message('1700000000.000400'), message(ours.ts)])).toBeUndefined();
  });

  it('counts no message of another bot, another pull request, another event or without metadata', () => {
    const other = (payload: Record<string, unknown>) => ({
      metadata: {
        event_type: NOTICE_EVENT_TYPE,
        event_payload: { ...noticeMetadata(key).event_payload, ...payload },
      },
    });
    const strangers = [
      message('1700000000.000001', { bot_id: 'B0SOMEONE' }),
      message('1700000000.000002', { bot_id: undefined, user: 'U0PERSON' }),
      message('1700000000.000003', other({ pull_request: 8 })),
      message('1700000000.000004', other({ repository: 'acme/other' })),
      message('1700000000.000005', other({ event: 'ready_to_merge' })),
      message('1700000000.000006', { metadata: { event_type: 'someone_else', event_payload: {} } }),
      message('1700000000.000007', { metadata: undefined }),
      message('1700000000.000008', { subtype: 'tombstone' }),
      { ts: 'not a ts', bot_id: BOT, metadata: noticeMetadata(key) },
      null,
      'text',
    ];
    expect(earlierTwin(key, ours, strangers)).toBeUndefined();
  });

  it('reads a pull request number sent back as a string as the same pull request', () => {
    const asString = {
      event_type: NOTICE_EVENT_TYPE,
      event_payload: { ...noticeMetadata(key).event_payload, pull_request: '7' },
    };
    const blocks = [{ type: 'divider' }];
    const copy = earlierTwin(key, ours, [message('1700000000.000100', { metadata: asString, blocks })]);
    expect(copy).toEqual({ ts: '1700000000.000100', text: 'Windows image update opened', blocks });
  });
});

describe('compareTs', () => {
  it('orders timestamps as exact decimals, where floats would tie', () => {
    expect(compareTs('1700000000.000001', '1700000000.000002')).toBe(-1);
    expect(compareTs('1700000000.000002', '1700000000.000001')).toBe(1);
    expect(compareTs('1700000000.100000', '1700000000.1')).toBe(0);
    expect(compareTs('999999999.999999', '1000000000.000000')).toBe(-1);
    expect(Number('1700000000.00000001') === Number('1700000000.00000002')).toBe(true);
    expect(compareTs('1700000000.00000001', '1700000000.00000002')).toBe(-1);
  });
});
