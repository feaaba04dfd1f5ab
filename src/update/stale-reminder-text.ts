/**
 * The stale reminder's texts: the Slack message, and the bot's reminder comment whose hidden blocks remember
 * each reminder sent (channel and message), so later runs stay quiet. Pure.
 */
import { z } from 'zod';
import { hiddenBlock } from '../github/hidden-state.js';
import type { PullRequest } from '../github/schema.js';
import {
  context as contextBlock,
  escapeMrkdwn,
  fallbackText,
  header,
  link,
  section,
} from '../slack/block-kit.js';
import type { SlackMessageRef } from '../slack/message-memory.js';
import type { SlackMessage } from '../slack/slack-messages.js';

/** The comment kind that remembers the stale reminder. */
export const REMINDER_COMMENT_KEY = 'stale-reminder';

/** One reminder sent, in the reminder comment. */
const REMINDER = hiddenBlock(
  'reminder',
  z.object({ channel: z.string().min(1), id: z.string().min(1), ts: z.string().min(1) }),
);

/** The reminders recorded in the bot's reminder comment. */
export function reminderRefs(comment: { body: string } | undefined): SlackMessageRef[] {
  return REMINDER.decodeAll(comment?.body ?? '').map((ref) => ({
    event: 'ready_to_merge' as const,
    channel: ref.channel,
    id: ref.id,
    ts: ref.ts,
  }));
}

/** The reminder comment remembering `refs`. */
export function reminderComment(refs: readonly SlackMessageRef[]): string {
  const markers = refs.map((r) => REMINDER.encode({ channel: r.channel, id: r.id, ts: r.ts }));
  const channels = refs.map((r) => r.channel).join(', ');
  return `Hephestus reminded ${channels} that this update is still open.\n\n${markers.join('\n')}`;
}

/** The reminder: which PR, how long it has been open, and what it waits for. */
export function reminderMessage(
  repository: string,
  pr: Pick<PullRequest, 'number' | 'url' | 'title'>,
  entry: { ageDays: number; blockers: readonly string[] },
): SlackMessage {
  const days = Math.floor(entry.ageDays);
  const waiting = entry.blockers.length ? entry.blockers.join('; ') : 'a merge';
  const text = `Still open after ${days} days: ${repository}#${pr.number}`;
  return {
    text: fallbackText(text),
    blocks: [
      header(`Windows image update still open after ${days} days`),
      section(`${link(pr.url, `#${pr.number} ${pr.title}`)}\nWaiting for: ${escapeMrkdwn(waiting)}.`, {
        text: 'View pull request',
        url: pr.url,
      }),
      contextBlock(`${escapeMrkdwn(repository)} · one reminder per pull request`),
    ],
  };
}
