/**
 * announce (push to a consumer's default branch that merged its `<prefix>*` PR): moves the images into the
 * next channel when the consumer's configuration has one after the first (`channels`), and posts the rollout
 * notice to the configured channels; the message is remembered in the merged PR, so a re-run edits it.
 */

import { ownImages } from '../aws/own-images.js';
import type { ChannelMove } from '../aws/promote.js';
import { promote as promoteImages } from '../aws/promote.js';
import { ExitCode, InputError } from '../errors.js';
import { rolledOutMessage } from '../slack/slack-messages.js';
import { imagesOfBody } from './bump-consumer.js';
import { checkout } from './checkout.js';
import type { FlowContext } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';
import { ANY_REGION, type ImageAmiMap } from './image-set.js';
import { notify, PullRequestBodyMemory, pullRequestInfo, slackFailed } from './notices.js';

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
  const co = await checkout(context, { repository, branch: context.branch() });
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
  const pr = await prs.mergedInto(co.config.git.default_branch, sha);
  const images = pr?.headRef.startsWith(co.config.git.branch_prefix) ? imagesOfBody(pr.body) : undefined;
  if (!pr || !images) {
    report.summary.push(
      `${sha.slice(0, 12)} did not merge an image update pull request: nothing to announce`,
    );
    return report;
  }
  report.pullRequest = { number: pr.number, url: pr.url };
  report.images = images;

  // The first channel is promote's; the next one is this rollout's, fixed so that a re-run moves nothing.
  const next = co.config.channels[1];
  if (next !== undefined) {
    report.channel = next;
    for (const [image, amis] of Object.entries(images)) {
      for (const [region, imageId] of Object.entries(amis)) {
        if (region === ANY_REGION) continue;
        report.moves.push(await moveTo(context, co.config.channels, image, region, imageId, next));
      }
    }
  }
  const message = rolledOutMessage({
    pr: pullRequestInfo(repository.fullName, pr),
    images: Object.entries(images).map(([image, amis]) => ({ image, amis })),
    channel: report.channel,
    consumers: [{ repository: repository.fullName, url: pr.url }],
  });
  report.slack = await notify(context, co.config, 'rollout', message, {
    memory: new PullRequestBodyMemory(prs, pr.number, pr.body),
    threadUnder: null,
  });
  report.outcome = 'announced';
  report.summary.push(
    ...report.moves.map(
      (m) => `${m.imageId} (${m.region}): ${m.outcome === 'moved' ? 'moved to' : 'already in'} ${m.channel}`,
    ),
    `rollout notice: ${report.slack.map((s) => `${s.channel} ${s.status}`).join(', ') || 'not sent'}`,
  );
  if (slackFailed(co.config, report.slack)) report.exitCode = ExitCode.failure;
  return report;
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
