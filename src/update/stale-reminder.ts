/**
 * The monitor's reminder of an update PR left open longer than `monitor.stale_after_days`: once per channel,
 * remembered in a marked PR comment (a comment, because open-update rewrites the body).
 */
import type { HephestusConfig, MonitorConfig } from '../config/config-schema.js';
import type { FlowContext } from '../flows/flow-context.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { Comment, PullRequest } from '../github/schema.js';
import type { MessageMemory, SlackMessageRef } from '../slack/message-memory.js';
import { decodeSlackMarkers } from '../slack/slack-marker.js';
import type { SlackEvent } from '../slack/slack-messages.js';
import { describeOutcomes } from '../slack/slack-notifier.js';
import {
  REMINDER_COMMENT_KEY,
  reminderComment,
  reminderMessage,
  reminderRefs,
} from './stale-reminder-text.js';
import type { PullRequestMonitorReport } from './update-status.js';

export /**
 * Posts the stale reminder to each channel that has not had it, in the thread of the PR's `update_opened`
 * message when there is one; the channels reminded are recorded in a marked PR comment.
 */
async function remind(
  context: FlowContext,
  config: HephestusConfig,
  settings: MonitorConfig,
  prs: PullRequests,
  pr: PullRequest,
  entry: PullRequestMonitorReport,
  comments: readonly Comment[],
): Promise<void> {
  const channels = settings.reminder_channels ?? config.slack?.channels.ready_to_merge ?? [];
  const reminded = reminderRefs(await prs.ownComment(pr.number, REMINDER_COMMENT_KEY, comments)).map(
    (ref) => ref.channel,
  );
  const due = channels.filter((channel) => !reminded.includes(channel));
  if (channels.length === 0) {
    entry.reminder = 'no-channels';
    return;
  }
  if (due.length === 0) {
    entry.reminder = 'already-sent';
    return;
  }
  if (context.dryRun) {
    context.wouldDo(`remind ${due.join(', ')} of #${pr.number}, open ${Math.floor(entry.ageDays)} days`);
    entry.reminder = 'would-send';
    return;
  }
  const slack = context.slack();
  if (!slack) {
    entry.reminder = 'failed';
    return;
  }
  // The PR body's Slack markers count only when the bot wrote the body.
  const memory = new ReminderMemory(prs, pr.number, (await prs.isBot(pr.author)) ? pr.body : '');
  // The reminder rides on the ready_to_merge event's name only to reach the notifier; its memory is its own.
  entry.slack = await slack.notify('ready_to_merge', due, reminderMessage(prs.fullName, pr, entry), {
    memory,
    threadUnder: 'update_opened',
    broadcast: true,
  });
  for (const line of describeOutcomes(entry.slack)) context.logger.info(`slack reminder: ${line}`);
  entry.reminder = entry.slack.some((o) => o.status === 'failed') ? 'failed' : 'sent';
}

/**
 * Memory for the reminder: threads under the `update_opened` message remembered in the PR body, and stores
 * each reminder it posts in the reminder comment (a comment, because open-update rewrites the body).
 */
class ReminderMemory implements MessageMemory {
  constructor(
    private readonly prs: PullRequests,
    private readonly number: number,
    private readonly body: string,
  ) {}

  async get(event: SlackEvent, channel: string): Promise<SlackMessageRef | undefined> {
    if (event !== 'update_opened') return undefined;
    return decodeSlackMarkers(this.body).find((ref) => ref.event === event && ref.channel === channel);
  }

  async set(ref: SlackMessageRef): Promise<void> {
    const refs = [...reminderRefs(await this.prs.ownComment(this.number, REMINDER_COMMENT_KEY)), ref];
    await this.prs.upsertComment(this.number, REMINDER_COMMENT_KEY, reminderComment(refs));
  }
}
