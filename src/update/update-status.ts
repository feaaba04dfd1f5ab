/**
 * What the monitor reads of an open update pull request: the head commit's checks, the reviews, whether GitHub
 * can merge it, and whether its head validated, by the bot's validation record for it (cross-checked on EC2: tags
 * alone prove nothing, since a branch's Packer template can set them). Also what keeps it from being merged, and
 * the merge itself when configured.
 */
import { ownImage } from '../aws/own-images.js';
import type { HephestusConfig, MonitorConfig } from '../config/config-schema.js';
import type { FlowContext } from '../flows/flow-context.js';
import {
  type CheckSummary,
  type MergeOutcome,
  type PullRequestStatus,
  type ReviewSummary,
  summarizeChecks,
  summarizeReviews,
} from '../github/pull-request-status.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { Comment, PullRequest } from '../github/schema.js';
import { buildRecordOf, type ValidationRecord } from '../lock/build-record.js';
import type { ChannelOutcome } from '../slack/slack-notifier.js';

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

const DAY_MS = 24 * 60 * 60 * 1000;

/** One update PR's state: checks, reviews, mergeability, validation and what blocks a merge. */
export async function inspectUpdate(
  context: FlowContext,
  config: HephestusConfig,
  settings: MonitorConfig,
  status: PullRequestStatus,
  prs: PullRequests,
  pr: PullRequest,
): Promise<{ entry: PullRequestMonitorReport; comments: Comment[]; ageDays: number }> {
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
  return { entry, comments, ageDays };
}

/** Merges the PR when nothing blocks it and `monitor.auto_merge` says so; records what came of it. */
export async function mergeWhenReady(
  context: FlowContext,
  config: HephestusConfig,
  settings: MonitorConfig,
  status: PullRequestStatus,
  entry: PullRequestMonitorReport,
): Promise<void> {
  if (entry.blockers.length === 0) {
    const outcome = await mergeWhenConfigured(context, config, settings, status, entry);
    entry.merge = outcome.merge;
    entry.mergeMessage = outcome.message;
  } else if (!settings.auto_merge) {
    entry.merge = 'disabled';
  }
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

/** One line of the monitor's summary for `entry`. */
export function describeUpdate(entry: PullRequestMonitorReport): string {
  const state = [
    `checks ${entry.checks.state}`,
    `reviews ${entry.reviews.decision}`,
    `validation ${entry.validation.state}`,
    `mergeable ${entry.mergeable ?? 'unknown'}`,
  ].join(', ');
  return `#${entry.number} ${entry.branch}: ${state}; merge ${entry.merge}; reminder ${entry.reminder}`;
}
