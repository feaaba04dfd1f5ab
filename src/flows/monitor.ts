/**
 * monitor (scheduled): reports every open `<prefix>*` pull request's state (the head commit's checks, the
 * reviews, whether GitHub can merge it, whether its head validated), merges the ones that are green where
 * `monitor.auto_merge` says so, and reminds Slack once of an update PR left open longer than
 * `monitor.stale_after_days`. The reminder is remembered in a marked PR comment, so later runs stay quiet.
 *
 * "Validated" is read from the validation record in build-validate's PR comment, and only from the comment the
 * bot wrote: it must be for the head commit, say `validated` and name AMIs, and each AMI must be ours and
 * tagged validated (a cross-check: tags alone prove nothing, since a branch's Packer template can set them).
 * A comment by anyone else carrying the same marker is ignored, as is hidden state in a PR body the bot did
 * not write.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ownImage } from '../aws/own-images.js';
import type { HephestusConfig, MonitorConfig } from '../config/config-schema.js';
import { DEFAULT_CONFIG_FILE, parseConfig } from '../config/load-config.js';
import { ExitCode } from '../errors.js';
import { GitRepository } from '../git/git-repository.js';
import { hiddenBlock } from '../github/hidden-state.js';
import {
  type CheckSummary,
  type MergeOutcome,
  PullRequestStatus,
  type ReviewSummary,
  summarizeChecks,
  summarizeReviews,
} from '../github/pull-request-status.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { Comment, PullRequest } from '../github/schema.js';
import { buildRecordOf, type ValidationRecord } from '../lock/build-record.js';
import { LOCK_IMAGE_SET } from '../lock/lock-store.js';
import {
  context as contextBlock,
  escapeMrkdwn,
  fallbackText,
  header,
  link,
  section,
} from '../slack/block-kit.js';
import type { MessageMemory, SlackMessageRef } from '../slack/message-memory.js';
import { decodeSlackMarkers } from '../slack/slack-marker.js';
import type { SlackEvent, SlackMessage } from '../slack/slack-messages.js';
import { type ChannelOutcome, describeOutcomes } from '../slack/slack-notifier.js';
import { slackFailed } from '../update/notices.js';
import type { FlowContext, RepositoryName } from './flow-context.js';
import type { FlowReportBase } from './flow-report.js';

export type ValidationState = 'passed' | 'failed' | 'pending';

export interface PullRequestMonitorReport {
  number: number;
  url: string;
  branch: string;
  headSha: string;
  createdAt: string;
  ageDays: number;
  draft: boolean;
  /** null while GitHub is still computing it. */
  mergeable: boolean | null;
  mergeableState: string;
  checks: CheckSummary;
  reviews: ReviewSummary;
  validation: {
    state: ValidationState;
    /** What the PR comment says about the head commit, if it reports on it. */
    comment?: 'validated' | 'failed';
    amis: Array<{ region: string; imageId: string; image?: string; status?: string }>;
  };
  /** Why the PR may not be merged yet; empty when it is ready. */
  blockers: string[];
  merge: 'merged' | 'would-merge' | 'refused' | 'not-ready' | 'disabled';
  mergeMessage?: string;
  reminder: 'sent' | 'would-send' | 'already-sent' | 'not-stale' | 'no-channels' | 'failed';
  slack: ChannelOutcome[];
}

export interface MonitorReport extends FlowReportBase {
  flow: 'monitor';
  outcome: 'none' | 'reported' | 'merged';
  pullRequests: PullRequestMonitorReport[];
}

/** The comment kind that remembers the stale reminder. */
export const REMINDER_COMMENT_KEY = 'stale-reminder';
const DAY_MS = 24 * 60 * 60 * 1000;

/** Runs monitor; see the module comment. */
export async function monitor(context: FlowContext): Promise<MonitorReport> {
  const repository = context.repository();
  const { config, monitor: settings } = await readConfiguration(context, repository);
  const report: MonitorReport = {
    flow: 'monitor',
    outcome: 'none',
    repository: repository.fullName,
    dryRun: context.dryRun,
    exitCode: ExitCode.ok,
    pullRequests: [],
    summary: [],
    slack: [],
  };
  const prs = context.pullRequests(repository);
  const status = new PullRequestStatus(context.github(), repository);
  const ours = (await prs.listOpen(config.git.default_branch)).filter(
    (pr) => pr.headRef.startsWith(config.git.branch_prefix) && prs.isOwnBranch(pr, pr.headRef),
  );
  // The lock file's own pull request records AMIs promote already took; build-validate never validates it (the
  // check_lock job checks what it names), so it is named here, not reported as an update awaiting validation.
  const lock = `${config.git.branch_prefix}${LOCK_IMAGE_SET}`;
  for (const pr of ours.filter((p) => p.headRef === lock))
    report.summary.push(`#${pr.number} updates the lock file (checked by check_lock, not monitored)`);
  const open = ours.filter((pr) => pr.headRef !== lock);
  for (const pr of open) {
    const entry = await inspect(context, config, settings, status, prs, pr);
    report.pullRequests.push(entry);
    report.slack.push(...entry.slack);
    report.summary.push(describe(entry));
  }
  if (open.length === 0) report.summary.push(`no open ${config.git.branch_prefix}* pull requests`);
  report.outcome = report.pullRequests.some((p) => p.merge === 'merged')
    ? 'merged'
    : open.length
      ? 'reported'
      : 'none';
  if (slackFailed(config, report.slack)) report.exitCode = ExitCode.failure;
  return report;
}

/** The configuration of the default branch, monitor section included (a shallow clone: one file is read). */
async function readConfiguration(
  context: FlowContext,
  repository: RepositoryName,
): Promise<{ config: HephestusConfig; monitor: MonitorConfig }> {
  const dir = join(await context.workDir('monitor'), 'repo');
  const branch = context.branch() ?? 'main';
  context.logger.info(`cloning ${repository.fullName} (${branch})`);
  await GitRepository.clone({
    url: `${context.endpoints.githubServer}/${repository.fullName}.git`,
    token: context.githubToken(),
    dir,
    branch,
    author: { name: 'hephestus', email: 'hephestus@localhost' },
    history: 'tip',
    redactor: context.logger.redactor,
  });
  const file = context.options.config ?? DEFAULT_CONFIG_FILE;
  const config = parseConfig(await readFile(join(dir, file), 'utf8'), file);
  return { config, monitor: config.monitor };
}

/** One pull request: read its state, merge it when ready and configured, remind when stale. */
async function inspect(
  context: FlowContext,
  config: HephestusConfig,
  settings: MonitorConfig,
  status: PullRequestStatus,
  prs: PullRequests,
  pr: PullRequest,
): Promise<PullRequestMonitorReport> {
  const detail = await status.detail(pr.number);
  const [statuses, runs, reviews, comments] = await Promise.all([
    status.statuses(detail.headSha),
    status.checkRuns(detail.headSha),
    status.reviews(pr.number),
    prs.listComments(pr.number),
  ]);
  const ageDays = (Date.now() - Date.parse(detail.createdAt)) / DAY_MS;
  const entry: PullRequestMonitorReport = {
    number: pr.number,
    url: pr.url,
    branch: pr.headRef,
    headSha: detail.headSha,
    createdAt: detail.createdAt,
    ageDays: Math.floor(ageDays * 10) / 10,
    draft: detail.draft,
    mergeable: detail.mergeable,
    mergeableState: detail.mergeableState,
    checks: summarizeChecks(statuses, runs),
    reviews: summarizeReviews(reviews),
    validation: await validationOf(
      context,
      config,
      detail.headSha,
      await buildRecordOf(prs, pr.number, comments),
    ),
    blockers: [],
    merge: 'not-ready',
    reminder: 'not-stale',
    slack: [],
  };
  entry.blockers = blockersOf(entry, settings);
  if (entry.blockers.length === 0) {
    const outcome = await mergeWhenConfigured(context, config, settings, status, entry);
    entry.merge = outcome.merge;
    entry.mergeMessage = outcome.message;
  } else if (!settings.auto_merge) {
    entry.merge = 'disabled';
  }
  if (entry.merge !== 'merged' && ageDays > settings.stale_after_days) {
    await remind(context, config, settings, prs, pr, entry, comments);
  }
  return entry;
}

/** What keeps `entry` from being merged by the monitor. */
export function blockersOf(
  entry: Pick<
    PullRequestMonitorReport,
    'validation' | 'checks' | 'reviews' | 'mergeable' | 'mergeableState' | 'draft'
  >,
  settings: Pick<MonitorConfig, 'require_approval'>,
): string[] {
  const blockers: string[] = [];
  if (entry.validation.state !== 'passed') blockers.push(`validation ${entry.validation.state}`);
  if (entry.checks.state === 'failure' || entry.checks.state === 'pending')
    blockers.push(`checks ${entry.checks.state}`);
  if (entry.reviews.decision === 'changes_requested')
    blockers.push(`changes requested by ${entry.reviews.changesRequestedBy.join(', ')}`);
  else if (settings.require_approval && entry.reviews.decision !== 'approved') blockers.push('not approved');
  if (entry.draft) blockers.push('draft');
  if (entry.mergeable !== true)
    blockers.push(
      entry.mergeable === null ? 'mergeability unknown' : `not mergeable (${entry.mergeableState})`,
    );
  return blockers;
}

async function mergeWhenConfigured(
  context: FlowContext,
  config: HephestusConfig,
  settings: MonitorConfig,
  status: PullRequestStatus,
  entry: PullRequestMonitorReport,
): Promise<{ merge: PullRequestMonitorReport['merge']; message?: string }> {
  if (!settings.auto_merge) return { merge: 'disabled' };
  if (context.dryRun) {
    context.wouldDo(
      `merge #${entry.number} (${config.github.merge_method}) at ${entry.headSha.slice(0, 12)}`,
    );
    return { merge: 'would-merge' };
  }
  const outcome: MergeOutcome = await status.merge(entry.number, entry.headSha, config.github.merge_method);
  if (outcome.merged) {
    context.logger.info(`merged #${entry.number} as ${outcome.sha.slice(0, 12)}`);
    return { merge: 'merged' };
  }
  context.logger.warn(`GitHub refused to merge #${entry.number}: ${outcome.message} (${outcome.status})`);
  return { merge: 'refused', message: `${outcome.message} (${outcome.status})` };
}

/**
 * Whether the head commit validated, by the bot's validation record for it: `passed` only when it says
 * validated, covers every configured image with AMIs (or another builder's artifacts), and every AMI is
 * ours, available and tagged validated; `failed` when it says failed or an AMI is tagged failed.
 */
async function validationOf(
  context: FlowContext,
  config: HephestusConfig,
  headSha: string,
  record: { validation?: ValidationRecord },
): Promise<PullRequestMonitorReport['validation']> {
  const validation = record.validation?.sha === headSha ? record.validation : undefined;
  const amis: PullRequestMonitorReport['validation']['amis'] = [];
  if (!validation) return { state: 'pending', amis };
  for (const [image, recorded] of Object.entries(validation.images)) {
    for (const [region, imageId] of Object.entries(recorded.amis)) {
      const found = await ownImage(context.ec2For(region), imageId);
      amis.push({
        region,
        imageId,
        image,
        status: found?.state === 'available' ? found.tags.status : undefined,
      });
    }
  }
  const comment = validation.outcome;
  const covered = config.images.every((image) => {
    const recorded = validation.images[image.name];
    return (
      recorded !== undefined &&
      (Object.keys(recorded.amis).length > 0
        ? image.regions.every((r) => recorded.amis[r])
        : recorded.status === 'built')
    );
  });
  const state: ValidationState =
    comment === 'failed' || amis.some((a) => a.status === 'failed')
      ? 'failed'
      : comment === 'validated' && covered && amis.every((a) => a.status === 'validated')
        ? 'passed'
        : 'pending';
  return { state, comment, amis };
}

/**
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
    const markers = refs.map((r) => REMINDER.encode({ channel: r.channel, id: r.id, ts: r.ts }));
    const channels = refs.map((r) => r.channel).join(', ');
    await this.prs.upsertComment(
      this.number,
      REMINDER_COMMENT_KEY,
      `Hephestus reminded ${channels} that this update is still open.\n\n${markers.join('\n')}`,
    );
  }
}

/** The reminder: which PR, how long it has been open, and what it waits for. */
export function reminderMessage(
  repository: string,
  pr: Pick<PullRequest, 'number' | 'url' | 'title'>,
  entry: Pick<PullRequestMonitorReport, 'ageDays' | 'blockers'>,
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

function describe(entry: PullRequestMonitorReport): string {
  const state = [
    `checks ${entry.checks.state}`,
    `reviews ${entry.reviews.decision}`,
    `validation ${entry.validation.state}`,
    `mergeable ${entry.mergeable ?? 'unknown'}`,
  ].join(', ');
  return `#${entry.number} ${entry.branch}: ${state}; merge ${entry.merge}; reminder ${entry.reminder}`;
}
