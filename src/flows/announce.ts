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
import { promote as promoteImages } from '../aws/channels.js';
import { ownImages } from '../aws/own-images.js';
import { whyNotValidated } from '../aws/validated-image.js';
import { ExitCode, FailureError, InputError } from '../errors.js';
import { ANY_REGION, type ImageAmiMap } from '../images/image-set.js';
import { rolledOutMessage } from '../slack/slack-messages.js';
import { checkOut } from '../update/checkout.js';
import { notify, pullRequestInfo, pullRequestMemory, slackFailed } from '../update/notices.js';
import { imagesOfBody } from './bump-consumer.js';
import type { FlowContext } from './flow-context.js';
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
  const report: AnnounceReport = {
    flow: 'announce',
    outcome: 'skipped',
    repository: repository.fullName,
    dryRun: context.dryRun,
    exitCode: ExitCode.ok,
    sha,
    images: {},
    moves: [],
    summary: [],
    slack: [],
  };
  const prs = context.pullRequests(repository);
  const pr = await prs.mergedInto(checkout.config.git.default_branch, sha);
  const ours = pr
    ? pr.headRef.startsWith(checkout.config.git.branch_prefix) &&
      prs.isOwnBranch(pr, pr.headRef) &&
      (await prs.isBot(pr.author))
    : false;
  const images = pr && ours ? imagesOfBody(pr.body) : undefined;
  if (!pr || !images) {
    report.summary.push(
      pr && !ours
        ? `#${pr.number} is not Hephestus's update pull request (author ${pr.author ?? 'unknown'}, from ${pr.headRepo ?? 'a deleted repository'}): nothing to announce`
        : `${sha.slice(0, 12)} did not merge an image update pull request: nothing to announce`,
    );
    return report;
  }
  await refuseUnvalidated(context, checkout.config.channels, images);
  report.pullRequest = { number: pr.number, url: pr.url };
  report.images = images;

  // The first channel is promote's; the next one is this rollout's, fixed so that a re-run moves nothing.
  const next = checkout.config.channels[1];
  if (next !== undefined) {
    report.channel = next;
    for (const [image, amis] of Object.entries(images)) {
      for (const [region, imageId] of Object.entries(amis)) {
        if (region === ANY_REGION) continue;
        report.moves.push(await moveTo(context, checkout.config.channels, image, region, imageId, next));
      }
    }
  }
  const message = rolledOutMessage({
    pr: pullRequestInfo(repository.fullName, pr),
    images: Object.entries(images).map(([image, amis]) => ({ image, amis })),
    channel: report.channel,
    consumers: [{ repository: repository.fullName, url: pr.url }],
  });
  report.slack = await notify(context, checkout.config, 'rollout', message, {
    memory: await pullRequestMemory(prs, pr),
    threadUnder: null,
  });
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

/** Fails (exit 1, naming them) when an AMI is not a validated image of ours that reached the first channel. */
async function refuseUnvalidated(
  context: FlowContext,
  channels: string[],
  images: ImageAmiMap,
): Promise<void> {
  const problems: string[] = [];
  for (const [image, amis] of Object.entries(images)) {
    for (const [region, imageId] of Object.entries(amis)) {
      if (region === ANY_REGION) continue;
      const why = await whyNotValidated(context.ec2For(region), imageId, {
        owners: [],
        channels,
        channel: channels[0] as string,
        image,
      });
      if (why) problems.push(`${imageId} (${image}, ${region}) ${why}`);
    }
  }
  if (problems.length) throw new FailureError(`refusing to announce: ${problems.join('; ')}`);
}

/** Moves one AMI to `channel` unless it is already there or further along. */
async function moveTo(
  context: FlowContext,
  channels: string[],
  image: string,
  region: string,
  imageId: string,
  channel: string,
): Promise<ChannelMove> {
  const [record] = await ownImages(context.ec2For(region), [{ Name: 'image-id', Values: [imageId] }]);
  const current = record?.tags.channel;
  if (current !== undefined && channels.indexOf(current) >= channels.indexOf(channel)) {
    return { region, channel: current, imageId, outcome: 'unchanged' };
  }
  if (context.dryRun) {
    context.wouldDo(`promote ${image} ${imageId} (${region}) to ${channel}`);
    return { region, channel, imageId, outcome: 'unchanged' };
  }
  const [move] = await promoteImages(context.ec2For, {
    image,
    images: [{ region, imageId }],
    channels,
    to: channel,
  });
  return move as ChannelMove;
}
