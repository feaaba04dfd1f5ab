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
 *
 * In the images repository, monitor also keeps the dashboard issue (see dashboard/keep-dashboard.ts): the
 * fleet per image, channel and region, and check boxes it acts on once (rebuild, promote, revoke).
 */

import type { HephestusConfig } from '../config/config-schema.js';
import { type DashboardReport, describeDashboard, keepDashboard } from '../dashboard/keep-dashboard.js';
import { ExitCode } from '../errors.js';
import { PullRequestStatus } from '../github/pull-request-status.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { PullRequest } from '../github/schema.js';
import { LOCK_IMAGE_SET } from '../lock/lock-store.js';
import { checkOut } from '../update/checkout.js';
import { slackFailed } from '../update/notices.js';
import { remind } from '../update/stale-reminder.js';
import {
  describeUpdate,
  inspectUpdate,
  mergeWhenReady,
  type PullRequestMonitorReport,
} from '../update/update-status.js';
import { type FlowContext, startReport } from './flow-context.js';
import type { FlowReportBase } from './flow-report.js';

export type { PullRequestMonitorReport, ValidationState } from '../update/update-status.js';

export interface MonitorReport extends FlowReportBase {
  flow: 'monitor';
  outcome: 'none' | 'reported' | 'merged';
  pullRequests: PullRequestMonitorReport[];
  /** The dashboard issue, where monitor keeps one (an images repository with `monitor.dashboard.enabled`). */
  dashboard?: DashboardReport;
}

/** Runs monitor; see the module comment. */
export async function monitor(context: FlowContext): Promise<MonitorReport> {
  const repository = context.repository();
  const checkout = await checkOut(context, { repository, branch: context.branch() });
  const { config } = checkout;
  const report = startReport<MonitorReport>(context, repository, {
    flow: 'monitor',
    outcome: 'none',
    pullRequests: [],
  });
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
    const entry = await watchUpdate(context, config, status, prs, pr);
    report.pullRequests.push(entry);
    report.slack.push(...entry.slack);
    report.summary.push(describeUpdate(entry));
  }
  if (open.length === 0) report.summary.push(`no open ${config.git.branch_prefix}* pull requests`);
  report.dashboard = await keepDashboard(context, checkout, report.pullRequests);
  if (report.dashboard) report.summary.push(...describeDashboard(report.dashboard));
  report.outcome = report.pullRequests.some((p) => p.merge === 'merged')
    ? 'merged'
    : open.length
      ? 'reported'
      : 'none';
  if (slackFailed(config, report.slack) || report.dashboard?.boxes.some((b) => b.outcome === 'failed'))
    report.exitCode = ExitCode.failure;
  return report;
}

/** One update PR: read its state, merge it when ready and configured, remind when stale. */
async function watchUpdate(
  context: FlowContext,
  config: HephestusConfig,
  status: PullRequestStatus,
  prs: PullRequests,
  pr: PullRequest,
): Promise<PullRequestMonitorReport> {
  const settings = config.monitor;
  const { entry, comments, ageDays } = await inspectUpdate(context, config, settings, status, prs, pr);
  await mergeWhenReady(context, config, settings, status, entry);
  if (entry.merge !== 'merged' && ageDays > settings.stale_after_days)
    await remind(context, config, settings, prs, pr, entry, comments);
  return entry;
}
