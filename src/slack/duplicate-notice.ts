/**
 * One notice per pull request and event, even when two runs post it at once. The PR body that remembers a
 * message is written whole, last writer wins, so two runs that both read it before either wrote can both post,
 * and one's marker is lost. Slack's own order settles it instead: each notice carries message metadata naming
 * its pull request and event; after posting, a run reads the channel up to its own message, and if the same bot
 * posted the same notice earlier, the earliest (by `ts`, which Slack makes unique and increasing per channel) is
 * the one, and the run deletes its own. Only a run's own fresh message is ever deleted, so the earliest stays.
 *
 * Pure: the metadata to attach, and the choice among messages read back.
 */
import { z } from 'zod';
import type { SlackEvent } from './slack-messages.js';

/** Which notice a message is: the event, about which pull request. */
export interface NoticeKey {
  event: SlackEvent;
  /** `owner/name`. */
  repository: string;
  pullRequest: number;
}

/** The metadata event type of Hephestus's notices. */
export const NOTICE_EVENT_TYPE = 'hephestus_notice';

/** Slack message metadata naming `key`, for `chat.postMessage`. */
export function noticeMetadata(key: NoticeKey): {
  event_type: string;
  event_payload: Record<string, string | number>;
} {
  return {
    event_type: NOTICE_EVENT_TYPE,
    event_payload: { event: key.event, repository: key.repository, pull_request: key.pullRequest },
  };
}

/** The fields of a history message the choice reads; anything else Slack sends is ignored. */
const HistoryMessageSchema = z.object({
  ts: z.string().regex(/^\d+\.\d+$/),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  metadata: z
    .object({
      event_type: z.string(),
      event_payload: z.record(z.string(), z.unknown()),
    })
    .optional(),
});

/** An earlier copy of a notice, as Slack shows it now. */
export interface NoticeCopy {
  ts: string;
  text: string;
  blocks?: unknown[];
}

/**
 * The earliest message in `messages` (a `conversations.history` page, any order) that is the same
 * notice as ours: posted by the same bot (`botId`), with metadata naming `key`, and earlier than `ours`.
 * Undefined when ours is the earliest. Messages of anyone else, or without metadata, never count.
 */
export function earlierTwin(
  key: NoticeKey,
  ours: { ts: string; botId: string },
  messages: readonly unknown[],
): NoticeCopy | undefined {
  let earliest: NoticeCopy | undefined;
  for (const raw of messages) {
    const parsed = HistoryMessageSchema.safeParse(raw);
    if (!parsed.success) continue;
    const message = parsed.data;
    if (message.bot_id !== ours.botId || message.subtype === 'tombstone') continue;
    if (!sameNotice(key, message.metadata)) continue;
    if (compareTs(message.ts, ours.ts) >= 0) continue;
    if (earliest === undefined || compareTs(message.ts, earliest.ts) < 0) {
      earliest = {
        ts: message.ts,
        text: message.text ?? '',
        ...(message.blocks ? { blocks: message.blocks } : {}),
      };
    }
  }
  return earliest;
}

function sameNotice(key: NoticeKey, metadata: z.infer<typeof HistoryMessageSchema>['metadata']): boolean {
  if (metadata?.event_type !== NOTICE_EVENT_TYPE) return false;
  const payload = metadata.event_payload;
  // Numbers may come back as numbers or, through a form body, as strings.
  return (
    payload.event === key.event &&
    payload.repository === key.repository &&
    String(payload.pull_request) === String(key.pullRequest)
  );
}

/** Orders two Slack timestamps (`seconds.micros`) exactly, as decimals rather than floats. */
export function compareTs(a: string, b: string): number {
  const [as = '0', af = ''] = a.split('.');
  const [bs = '0', bf = ''] = b.split('.');
  const width = Math.max(af.length, bf.length);
  const x = BigInt(as) * 10n ** BigInt(width) + BigInt(af.padEnd(width, '0') || '0');
  const y = BigInt(bs) * 10n ** BigInt(width) + BigInt(bf.padEnd(width, '0') || '0');
  return x < y ? -1 : x > y ? 1 : 0;
}
