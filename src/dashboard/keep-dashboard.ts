/**
 * The dashboard issue monitor keeps in the images repository, like Renovate's Dependency Dashboard: found by
 * its hidden state block in an issue the bot opened (an issue anyone else opened with the same block is not
 * it), created once, and edited in place only when its text changes. Ticked boxes are acted on first: unticked
 * before the action runs (so a crash never repeats it), then answered with a comment. Who may tick is GitHub's
 * rule: only people with write access can edit the bot's issue (docs/security.md).
 */

import type { FlowContext } from '../flows/flow-context.js';
import { botLogin } from '../github/bot-identity.js';
import { Issues } from '../github/issues.js';
import { normalizeBody } from '../github/pull-request-marker.js';
import type { Issue } from '../github/schema.js';
import { readLock } from '../lock/lock-store.js';
import type { Checkout } from '../update/checkout.js';
import type { PullRequestMonitorReport } from '../update/update-status.js';
import { type ActionOutcome, runAction } from './dashboard-actions.js';
import { boxId, DASHBOARD_STATE, tickedActions, untick } from './dashboard-boxes.js';
import { actionComment } from './dashboard-comment.js';
import { type DashboardPullRequest, dashboardText } from './dashboard-text.js';
import { offeredActions, readFleet } from './fleet-state.js';

export interface DashboardReport {
  number?: number;
  url?: string;
  title: string;
  write: 'created' | 'updated' | 'unchanged' | 'would-create' | 'would-update' | 'changed-meanwhile';
  boxes: ActionOutcome[];
  /** Ticked ids that did not count (not written by monitor, or no longer offered). */
  ignored: string[];
}

/** Acts on the ticked boxes, then brings the dashboard up to date; undefined where there is none to keep. */
export async function keepDashboard(
  context: FlowContext,
  checkout: Checkout,
  pullRequests: readonly PullRequestMonitorReport[],
): Promise<DashboardReport | undefined> {
  const { config, repository } = checkout;
  const settings = config.monitor.dashboard;
  if (!settings.enabled || config.images.length === 0) return undefined;
  const lock = await readLock(checkout);
  const issues = new Issues(context.github(), { owner: repository.owner, repo: repository.repo });
  const existing = await findDashboard(issues, await botLogin(context.github()));
  let fleet = await readFleet(context, config, lock);
  const report: DashboardReport = { title: settings.title, write: 'unchanged', boxes: [], ignored: [] };
  let body = existing?.body;
  if (existing) {
    const ticked = tickedActions(existing.body, offeredActions(config.channels, fleet));
    report.ignored = ticked.ignored;
    if (ticked.ignored.length)
      context.logger.warn(
        `dashboard: ignored ticked boxes monitor did not offer: ${ticked.ignored.join(', ')}`,
      );
    if (ticked.actions.length && !context.dryRun) {
      body = untick(existing.body, ticked.actions.map(boxId));
      await issues.update(existing.number, { body });
    }
    for (const action of ticked.actions) report.boxes.push(await runAction(context, action, fleet, config));
    if (report.boxes.length && !context.dryRun) {
      await context
        .pullRequests(repository)
        .comment(existing.number, actionComment(report.boxes, context.env.CIRCLE_BUILD_URL));
      fleet = await readFleet(context, config, lock);
    }
  }
  const text = dashboardText({
    now: Date.now(),
    maxAgeDays: settings.max_age_days,
    images: fleet,
    pullRequests: pullRequests.map(pullRequestLine),
    actions: offeredActions(config.channels, fleet),
  });
  await writeDashboard(context, issues, existing && { ...existing, body: body ?? '' }, text, report);
  return report;
}

/** Creates the issue, or edits it when its text, title or state differ; nothing under `--dry-run`. */
async function writeDashboard(
  context: FlowContext,
  issues: Issues,
  existing: Issue | undefined,
  text: string,
  report: DashboardReport,
): Promise<void> {
  if (!existing) {
    if (context.dryRun) {
      context.wouldDo(`open the dashboard issue "${report.title}"`);
      report.write = 'would-create';
      return;
    }
    const created = await issues.create({ title: report.title, body: text });
    Object.assign(report, { number: created.number, url: created.url, write: 'created' });
    return;
  }
  Object.assign(report, { number: existing.number, url: existing.url });
  const same =
    normalizeBody(existing.body) === text && existing.title === report.title && existing.state === 'open';
  if (same) return;
  if (context.dryRun) {
    context.wouldDo(`edit the dashboard issue #${existing.number}`);
    report.write = 'would-update';
    return;
  }
  // A box ticked since this run read the issue would be lost by the rewrite: the next run takes it.
  const now = await issues.get(existing.number);
  if (normalizeBody(now.body) !== normalizeBody(existing.body)) {
    report.write = 'changed-meanwhile';
    return;
  }
  await issues.update(existing.number, { title: report.title, body: text, state: 'open' });
  report.write = 'updated';
}

/** The bot's dashboard issue: opened by the bot and carrying the state block; an open one before a closed one. */
async function findDashboard(issues: Issues, bot: string): Promise<Issue | undefined> {
  const ours = (await issues.listBy(bot)).filter(
    (issue) =>
      issue.author?.toLowerCase() === bot.toLowerCase() && DASHBOARD_STATE.decode(issue.body) !== undefined,
  );
  return ours.find((issue) => issue.state === 'open') ?? ours[0];
}

function pullRequestLine(entry: PullRequestMonitorReport): DashboardPullRequest {
  return {
    number: entry.number,
    url: entry.url,
    branch: entry.branch,
    state: `checks ${entry.checks.state}, reviews ${entry.reviews.decision}, validation ${entry.validation.state}, mergeable ${entry.mergeable ?? 'unknown'}; merge ${entry.merge}`,
  };
}

/** The report's summary lines for the dashboard: the issue, and each ticked box's outcome. */
export function describeDashboard(report: DashboardReport): string[] {
  const issue = report.number === undefined ? 'the dashboard issue' : `dashboard #${report.number}`;
  return [
    `${issue}: ${report.write}`,
    ...report.boxes.map((b) => `dashboard box ${boxId(b.action)}: ${b.outcome}: ${b.message}`),
  ];
}
