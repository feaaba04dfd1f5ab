/**
 * Slack notices of the flows, remembered in the pull request they are about: the message markers live in the
 * PR body, just before Hephestus's state block (which must stay last), so a re-run updates each message in
 * place instead of posting it again, and a later update of the PR body carries the markers along.
 */
import type { HephestusConfig } from '../config/config-schema.js';
import type { FlowContext } from '../flows/flow-context.js';
import { readManagedState, withManagedState, withoutManagedState } from '../github/pull-request-marker.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { PullRequest } from '../github/schema.js';
import { MarkerMessageMemory, type MessageMemory, type SlackMessageRef } from '../slack/message-memory.js';
import { decodeSlackMarkers, encodeSlackMarker, withSlackMarker } from '../slack/slack-marker.js';
import type { PullRequestInfo, SlackEvent, SlackMessage } from '../slack/slack-messages.js';
import {
  type ChannelOutcome,
  channelsFor,
  describeOutcomes,
  type NotifyOptions,
} from '../slack/slack-notifier.js';

/** Message memory kept in a pull request's body. */
export class PullRequestBodyMemory implements MessageMemory {
  private body: string;

  constructor(
    private readonly prs: PullRequests,
    private readonly number: number,
    body: string,
  ) {
    this.body = body;
  }

  async get(event: SlackEvent, channel: string): Promise<SlackMessageRef | undefined> {
    return decodeSlackMarkers(this.body).find((ref) => ref.event === event && ref.channel === channel);
  }

  async set(ref: SlackMessageRef): Promise<void> {
    const state = readManagedState(this.body);
    const text = withSlackMarker(withoutManagedState(this.body), ref);
    const body = state ? withManagedState(text, state) : text;
    if (body === this.body) return;
    this.body = (await this.prs.update(this.number, { body })).body;
  }
}

/** The comment kind that remembers Slack messages about a pull request the bot did not open. */
export const SLACK_COMMENT_KEY = 'slack-messages';

/**
 * The message memory of `pr`: its body when the bot wrote it, else a comment of the bot's. Markers in a body
 * someone else wrote are never read: they could point the bot at any message it can edit.
 */
export async function pullRequestMemory(prs: PullRequests, pr: PullRequest): Promise<MessageMemory> {
  if (await prs.isBot(pr.author)) return new PullRequestBodyMemory(prs, pr.number, pr.body);
  return new MarkerMessageMemory(
    async () => (await prs.ownComment(pr.number, SLACK_COMMENT_KEY))?.body ?? '',
    async (text) => {
      const markers = decodeSlackMarkers(text).map(encodeSlackMarker).join('\n');
      await prs.upsertComment(
        pr.number,
        SLACK_COMMENT_KEY,
        `Hephestus posted about this pull request on Slack.\n\n${markers}`,
      );
    },
  );
}

/** `text` followed by the Slack markers found in `previousBody`, laid out as the memory writes them. */
export function withMarkersOf(text: string, previousBody: string | undefined): string {
  const markers = decodeSlackMarkers(previousBody ?? '').map(encodeSlackMarker);
  return markers.length === 0 ? text : `${text.replace(/\n*$/, '')}\n\n${markers.join('\n\n')}`;
}

/** What Slack messages need to know about a pull request. */
export function pullRequestInfo(repository: string, pr: PullRequest): PullRequestInfo {
  return { repository, number: pr.number, url: pr.url, title: pr.title };
}

/**
 * Posts or updates the notice of `event` in its configured channels. Nothing configured, no token, or a dry
 * run: nothing is sent. Slack trouble never throws; see {@link slackFailed}.
 */
/** True when `event` would be posted: channels are configured for it and a Slack token is there (or a dry run). */
export function willNotify(context: FlowContext, config: HephestusConfig, event: SlackEvent): boolean {
  return channelsFor(config.slack, event).length > 0 && (context.dryRun || context.slack() !== undefined);
}

export async function notify(
  context: FlowContext,
  config: HephestusConfig,
  event: SlackEvent,
  message: SlackMessage,
  options: NotifyOptions,
): Promise<ChannelOutcome[]> {
  const channels = channelsFor(config.slack, event);
  if (channels.length === 0) return [];
  if (context.dryRun) {
    context.wouldDo(`post the ${event} notice to ${channels.join(', ')}`);
    return [];
  }
  const slack = context.slack();
  if (!slack) return [];
  const outcomes = await slack.notify(event, channels, message, options);
  for (const line of describeOutcomes(outcomes)) context.logger.info(`slack ${event}: ${line}`);
  return outcomes;
}

/** True when Slack failed and the configuration says that fails the run (`slack.strict`). */
export function slackFailed(config: HephestusConfig, outcomes: readonly ChannelOutcome[]): boolean {
  return config.slack?.strict === true && outcomes.some((o) => o.status === 'failed');
}

/**
 * Edits the update's top message (the `update_opened` one) to `message` in each channel it was posted to, and
 * posts nothing where it was not: the status belongs where the update was announced. Content the marker's digest
 * says was sent last sends nothing. Slack trouble is logged, never thrown: the status is a courtesy.
 */
export async function showUpdateStatus(
  context: FlowContext,
  config: HephestusConfig,
  memory: MessageMemory,
  message: SlackMessage,
): Promise<ChannelOutcome[]> {
  const slack = context.slack();
  if (context.dryRun || !slack) return [];
  const channels: string[] = [];
  for (const channel of channelsFor(config.slack, 'update_opened')) {
    if (await memory.get('update_opened', channel)) channels.push(channel);
  }
  if (channels.length === 0) return [];
  const outcomes = await slack.notify('update_opened', channels, message, { memory, threadUnder: null });
  for (const line of describeOutcomes(outcomes)) context.logger.info(`slack status: ${line}`);
  return outcomes;
}
