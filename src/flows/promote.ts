/**
 * promote (push to the default branch that merged a PR: an update PR or a person's change): takes the AMIs
 * from the validation record the bot's build-validate comment holds for the PR's head commit, cross-checked
 * against their tags (never rebuilding on the default branch, and never trusting a tag alone), moves them into
 * the first channel, records every image in the lock file (through Hephestus's own PR, or directly), and,
 * when an image differs from what the lock named, starts each consumer's update: a pipeline triggered with the
 * images as a parameter, or the consumer's pull request opened directly. Triggers are remembered in a comment
 * on the merged PR, so a re-run does not start the consumer's pipeline twice (unless `--force`). Artifacts of
 * other builders go into the lock file as they are; channels and consumers are for AMIs only.
 */

import type { ChannelMove } from '../aws/channels.js';
import { checkPipelineParameters } from '../circleci/pipeline-parameters.js';
import type { ImageConfig } from '../config/config-schema.js';
import { InputError } from '../errors.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { PullRequest } from '../github/schema.js';
import { moveToFirstChannel } from '../images/channel-moves.js';
import type { ImageAmiMap, RegionalAmis } from '../images/image-set.js';
import { findMergedBuild, type MergedBuild } from '../images/merged-build.js';
import { buildRecordOf } from '../lock/build-record.js';
import {
  emptyLock,
  type LockArtifact,
  type LockEntry,
  type LockFile,
  sameBuild,
  withEntries,
} from '../lock/lock-file.js';
import { type LockWrite, lockBranch, readLock, writeLock } from '../lock/lock-store.js';
import { type Checkout, checkOut } from '../update/checkout.js';
import { updateStatusOf } from '../update/slack-status.js';
import { type ConsumerOutcome, startConsumers } from '../update/start-consumers.js';
import { bumpRepository } from './bump-consumer.js';
import { type FlowContext, startReport } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';

export type { ConsumerOutcome } from '../update/start-consumers.js';

export interface PromoteReport extends FlowReportBase {
  flow: 'promote';
  outcome: 'promoted' | 'triggered' | 'skipped';
  sha: string;
  pullRequest?: PullRequestRef & { headSha: string; branch: string };
  channel?: string;
  images: PromotedImage[];
  lock?: LockWrite;
  /** The pipeline parameters given to consumers. */
  parameters?: { images: string };
  consumers: ConsumerOutcome[];
}

export interface PromotedImage {
  image: string;
  amis: RegionalAmis;
  /** Artifacts that are not AMIs. */
  artifacts?: LockArtifact[];
  foundBy: MergedBuild['foundBy'];
  moves: ChannelMove[];
  /** Why AMI-only steps were skipped. */
  note?: string;
}

const NOT_AN_AMI = 'not an AMI: channels and consumers skipped';

/** Runs promote; see the module comment. */
export async function promote(context: FlowContext): Promise<PromoteReport> {
  const repository = context.repository();
  const sha = context.sha();
  if (!sha) throw new InputError('no commit: pass --sha (CircleCI sets CIRCLE_SHA1)', { setting: '--sha' });
  const checkout = await checkOut(context, { repository, branch: context.branch(), commits: true });
  const report = startReport<PromoteReport>(context, repository, {
    flow: 'promote',
    outcome: 'skipped',
    sha,
    images: [],
    consumers: [],
  });
  const prs = context.pullRequests(repository);
  const pr = await prs.mergedInto(checkout.config.git.default_branch, sha);
  if (!pr || pr.headRef === lockBranch(checkout)) {
    report.summary.push(
      `${sha.slice(0, 12)} ${pr ? 'merged the lock file pull request' : 'did not merge a pull request'}: nothing to promote`,
    );
    return report;
  }
  report.pullRequest = { number: pr.number, url: pr.url, headSha: pr.headSha, branch: pr.headRef };
  report.channel = checkout.config.channels[0] as string;
  const lock = (await readLock(checkout)) ?? emptyLock();
  const entries = await promoteImages(context, checkout, prs, pr, lock, report);
  report.outcome = 'promoted';
  // Before anything else writes to the PR: the status keeps its marker in the body it read.
  const status = await updateStatusOf(context, checkout.config, prs, async () => pr);
  await status.show(
    'merged',
    report.images.map(({ image, amis }) => ({ image, amis })),
    `Promoted to ${report.channel}.`,
  );
  const changed = await recordInLock(context, checkout, lock, entries, pr.number, report);
  const images = changedAmis(report, changed);
  if (!images) {
    report.summary.push(`no AMI differs from ${checkout.config.lock_file}: consumers are not started`);
    return report;
  }
  await startUpdates(context, checkout, prs, pr.number, report, images);
  return report;
}

/** Finds and promotes every configured image of the merged PR; the lock entries they make. */
async function promoteImages(
  context: FlowContext,
  checkout: Checkout,
  prs: PullRequests,
  pr: PullRequest,
  lock: LockFile,
  report: PromoteReport,
): Promise<Record<string, LockEntry>> {
  const records = await buildRecordOf(prs, pr.number);
  if (records.validation && records.validation.sha !== pr.headSha)
    context.logger.warn(
      `the validation record on #${pr.number} is for ${records.validation.sha.slice(0, 12)}, not the merged head ${pr.headSha.slice(0, 12)}: not used`,
    );
  const entries: Record<string, LockEntry> = {};
  for (const image of checkout.config.images) {
    const found = await findMergedBuild(context, checkout, image, pr.headSha, lock, records);
    const locked = lock.images[image.name];
    entries[image.name] = sameBuild(locked, found.entry) ? (locked as LockEntry) : found.entry;
    const promoted = await promoteImage(context, checkout, image, found, report.channel as string);
    report.images.push(promoted.image);
    report.summary.push(promoted.summary);
  }
  return entries;
}

/** One image into the first channel (AMIs only), and its summary line. */
async function promoteImage(
  context: FlowContext,
  checkout: Checkout,
  image: ImageConfig,
  found: MergedBuild,
  channel: string,
): Promise<{ image: PromotedImage; summary: string }> {
  const { foundBy } = found;
  if (found.artifacts) {
    return {
      image: {
        image: image.name,
        amis: {},
        artifacts: found.artifacts,
        foundBy,
        moves: [],
        note: NOT_AN_AMI,
      },
      summary: `${image.name}: ${found.artifacts.map((a) => `${a.builder_id} ${a.id}`).join(', ')} (${NOT_AN_AMI})`,
    };
  }
  // An image the lock already names, unchanged: nothing of this merge to promote.
  const moves =
    foundBy === 'lock' ? [] : await moveToFirstChannel(context, checkout.config, image, found.amis, channel);
  const where =
    foundBy === 'lock'
      ? `unchanged since ${checkout.config.lock_file}`
      : moves.some((m) => m.outcome === 'moved')
        ? `promoted to ${channel}`
        : 'already in a channel';
  const amis = Object.entries(found.amis).map(([region, ami]) => `${region} ${ami}`);
  return {
    image: { image: image.name, amis: found.amis, foundBy, moves },
    summary: `${image.name}: ${amis.join(', ')} ${where}`,
  };
}

/** Writes the lock file as configured; the images whose entry changed. */
async function recordInLock(
  context: FlowContext,
  checkout: Checkout,
  lock: LockFile,
  entries: Record<string, LockEntry>,
  prNumber: number,
  report: PromoteReport,
): Promise<string[]> {
  const changed = Object.keys(entries).filter((name) => !sameBuild(lock.images[name], entries[name]));
  const file = checkout.config.lock_file;
  const message = `Record validated images in ${file}: ${changed.join(', ') || 'none'}\n\nValidated from #${prNumber}.\n`;
  report.lock = await writeLock(context, checkout, withEntries(lock, entries), message);
  report.summary.push(...report.lock.summary);
  return changed;
}

/** The AMIs of every AMI image when one of them changed, else undefined: consumers start only for a change. */
function changedAmis(report: PromoteReport, changed: readonly string[]): ImageAmiMap | undefined {
  const amiImages = report.images.filter((i) => !i.artifacts);
  if (!amiImages.some((i) => changed.includes(i.image))) return undefined;
  return Object.fromEntries(amiImages.map((i) => [i.image, i.amis]));
}

/** Starts each consumer's update with `images`, and records what came of it. */
async function startUpdates(
  context: FlowContext,
  checkout: Checkout,
  prs: PullRequests,
  prNumber: number,
  report: PromoteReport,
  images: ImageAmiMap,
): Promise<void> {
  const parameters = { images: JSON.stringify(images) };
  checkPipelineParameters(parameters, 'consumers[].parameters');
  report.parameters = parameters;
  const started = await startConsumers(
    context,
    checkout.config.consumers,
    {
      prs,
      prNumber,
      images,
      parameters,
      bump: (repository, amis) => bumpRepository(context, repository, amis),
    },
    { channel: report.channel, images: report.images },
  );
  report.consumers = started.consumers;
  report.summary.push(...started.summary);
  if (report.consumers.some((c) => c.outcome === 'triggered' || c.outcome === 'already-triggered')) {
    report.outcome = 'triggered';
  }
}
