/**
 * announce (push to a consumer's default branch that merged its `<prefix>*` PR): moves the images into the
 * next channel when the consumer's configuration has one after the first (`channels`), and posts the rollout
 * notice to the configured channels; the message is remembered in the merged PR, so a re-run edits it.
 *
 * Only Hephestus's own update PR counts: authored by the bot, from a branch of this repository (not a fork),
 * merged into the default branch. Anyone can open a PR from a `windows-update/*` branch with an images block in
 * its body; such a PR is not announced and moves nothing. Each AMI must also be a validated image that already
 * reached the first channel before it moves on.
 */

import type { ChannelMove } from '../aws/channels.js';
import { ExitCode, InputError } from '../errors.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { PullRequest } from '../github/schema.js';
import { moveToChannel, refuseUnvalidated } from '../images/channel-moves.js';
import type { ImageAmiMap } from '../images/image-set.js';
import { rolledOutMessage } from '../slack/slack-messages.js';
import { type Checkout, checkOut } from '../update/checkout.js';
import { imagesOfBody } from '../update/images-marker.js';
import { notify, pullRequestInfo, pullRequestMemory, slackFailed } from '../update/notices.js';
import { type FlowContext, startReport } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';

export interface AnnounceReport extends FlowReportBase {
  flow: 'announce';
  outcome: 'announced' | 'skipped';
  sha: string;
  pullRequest?: PullRequestRef;
  images: ImageAmiMap;
  /** The channel the images were moved to, when the configuration has a next one. */
  channel?: string;
  moves: ChannelMove[];
}

/** Runs announce; see the module comment. */
export async function announce(context: FlowContext): Promise<AnnounceReport> {
  const repository = context.repository();
  const sha = context.sha();
  if (!sha) throw new InputError('no commit: pass --sha (CircleCI sets CIRCLE_SHA1)', { setting: '--sha' });
  const checkout = await checkOut(context, { repository, branch: context.branch() });
  const report = startReport<AnnounceReport>(context, repository, {
    flow: 'announce',
    outcome: 'skipped',
    sha,
    images: {},
    moves: [],
  });
  const prs = context.pullRequests(repository);
  const merged = await mergedUpdate(prs, checkout, sha);
  if (!merged.images) {
    report.summary.push(merged.skip);
    return report;
  }
  const { pr, images } = merged;
  const { channels } = checkout.config;
  await refuseUnvalidated(context, channels, images);
  report.pullRequest = { number: pr.number, url: pr.url };
  report.images = images;
  // The first channel is promote's; the next one is this rollout's, fixed so that a re-run moves nothing.
  const next = channels[1];
  if (next !== undefined) {
    report.channel = next;
    report.moves = await moveToChannel(context, checkout.config, images, next);
  }
  await postRollout(context, checkout, prs, pr, report);
  report.outcome = 'announced';
  report.summary.push(
    ...report.moves.map(
      (m) => `${m.imageId} (${m.region}): ${m.outcome === 'moved' ? 'moved to' : 'already in'} ${m.channel}`,
    ),
    `rollout notice: ${report.slack.map((s) => `${s.channel} ${s.status}`).join(', ') || 'not sent'}`,
  );
  if (slackFailed(checkout.config, report.slack)) report.exitCode = ExitCode.failure;
  return report;
}

/**
 * The update PR `sha` merged and the images its body records, when it is Hephestus's own (authored by the bot,
 * from a `<prefix>*` branch of this repository); else why there is nothing to announce.
 */
async function mergedUpdate(
  prs: PullRequests,
  checkout: Checkout,
  sha: string,
): Promise<
  { pr: PullRequest; images: ImageAmiMap; skip?: undefined } | { images?: undefined; skip: string }
> {
  const pr = await prs.mergedInto(checkout.config.git.default_branch, sha);
  const ours = pr
    ? pr.headRef.startsWith(checkout.config.git.branch_prefix) &&
      prs.isOwnBranch(pr, pr.headRef) &&
      (await prs.isBot(pr.author))
    : false;
  const images = pr && ours ? imagesOfBody(pr.body) : undefined;
  if (pr && images) return { pr, images };
  return {
    skip:
      pr && !ours
        ? `#${pr.number} is not Hephestus's update pull request (author ${pr.author ?? 'unknown'}, from ${pr.headRepo ?? 'a deleted repository'}): nothing to announce`
        : `${sha.slice(0, 12)} did not merge an image update pull request: nothing to announce`,
  };
}

/** The rollout notice, remembered in the merged PR so a re-run edits it. */
async function postRollout(
  context: FlowContext,
  checkout: Checkout,
  prs: PullRequests,
  pr: PullRequest,
  report: AnnounceReport,
): Promise<void> {
  const message = rolledOutMessage({
    pr: pullRequestInfo(report.repository, pr),
    images: Object.entries(report.images).map(([image, amis]) => ({ image, amis })),
    channel: report.channel,
    consumers: [{ repository: report.repository, url: pr.url }],
  });
  report.slack = await notify(context, checkout.config, 'rollout', message, {
    memory: await pullRequestMemory(prs, pr),
    threadUnder: null,
  });
}
