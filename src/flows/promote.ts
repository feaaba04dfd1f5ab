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

import { z } from 'zod';
import type { ChannelMove } from '../aws/channels.js';
import { promote as promoteImages } from '../aws/channels.js';
import { ownImage, ownImages } from '../aws/own-images.js';
import { checkPipelineParameters } from '../circleci/pipeline-parameters.js';
import type { HephestusConfig, ImageConfig } from '../config/config-schema.js';
import { ExitCode, FailureError, InputError } from '../errors.js';
import { hiddenBlock } from '../github/hidden-state.js';
import { codeSpan, escapeMarkdown } from '../github/markdown.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { ImageAmiMap, RegionalAmis } from '../images/image-set.js';
import { imageInputHash } from '../images/input-hash.js';
import { type BuildRecord, buildRecordOf, RECORD_TAG, type RecordedImage } from '../lock/build-record.js';
import {
  emptyLock,
  type LockArtifact,
  type LockEntry,
  type LockFile,
  sameBuild,
  withEntries,
} from '../lock/lock-file.js';
import { type LockWrite, lockBranch, readLock, writeLock } from '../lock/lock-store.js';
import { packerVersion } from '../packer/packer-version.js';
import { type Checkout, checkOut, readTarget } from '../update/checkout.js';
import { type BumpConsumerReport, bumpRepository } from './bump-consumer.js';
import { type FlowContext, parseRepository } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';

export interface ConsumerOutcome {
  repository: string;
  mode: 'trigger' | 'pull-request';
  outcome: 'triggered' | 'already-triggered' | 'would-trigger' | BumpConsumerReport['outcome'];
  projectSlug?: string;
  pipeline?: { id: string; number?: number };
  pullRequest?: PullRequestRef;
}

export interface PromoteReport extends FlowReportBase {
  flow: 'promote';
  outcome: 'promoted' | 'triggered' | 'skipped';
  sha: string;
  pullRequest?: PullRequestRef & { headSha: string; branch: string };
  channel?: string;
  images: Array<{
    image: string;
    amis: RegionalAmis;
    /** Artifacts that are not AMIs. */
    artifacts?: LockArtifact[];
    foundBy: Found['foundBy'];
    moves: ChannelMove[];
    /** Why AMI-only steps were skipped. */
    note?: string;
  }>;
  lock?: LockWrite;
  /** The pipeline parameters given to consumers. */
  parameters?: { images: string };
  consumers: ConsumerOutcome[];
}

const COMMENT_KEY = 'promote';
/** The pipelines promote triggered, per `projectSlug@branch`, kept in its comment on the merged PR. */
const TRIGGERED = hiddenBlock(
  'triggered',
  z.record(z.string(), z.strictObject({ id: z.string(), images: z.string() })),
);

/** Runs promote; see the module comment. */
export async function promote(context: FlowContext): Promise<PromoteReport> {
  const repository = context.repository();
  const sha = context.sha();
  if (!sha) throw new InputError('no commit: pass --sha (CircleCI sets CIRCLE_SHA1)', { setting: '--sha' });
  const checkout = await checkOut(context, { repository, branch: context.branch(), commits: true });
  const report: PromoteReport = {
    flow: 'promote',
    outcome: 'skipped',
    repository: repository.fullName,
    dryRun: context.dryRun,
    exitCode: ExitCode.ok,
    sha,
    images: [],
    consumers: [],
    summary: [],
    slack: [],
  };
  const prs = context.pullRequests(repository);
  const pr = await prs.mergedInto(checkout.config.git.default_branch, sha);
  if (!pr || pr.headRef === lockBranch(checkout)) {
    report.summary.push(
      `${sha.slice(0, 12)} ${pr ? 'merged the lock file pull request' : 'did not merge a pull request'}: nothing to promote`,
    );
    return report;
  }
  report.pullRequest = { number: pr.number, url: pr.url, headSha: pr.headSha, branch: pr.headRef };
  const channel = checkout.config.channels[0] as string;
  report.channel = channel;

  const lock = (await readLock(checkout)) ?? emptyLock();
  const records = await buildRecordOf(prs, pr.number);
  if (records.validation && records.validation.sha !== pr.headSha)
    context.logger.warn(
      `the validation record on #${pr.number} is for ${records.validation.sha.slice(0, 12)}, not the merged head ${pr.headSha.slice(0, 12)}: not used`,
    );
  const entries: Record<string, LockEntry> = {};
  for (const image of checkout.config.images) {
    const found = await findBuilt(context, checkout, image, pr.headSha, lock, records);
    entries[image.name] = sameBuild(lock.images[image.name], found.entry)
      ? (lock.images[image.name] as LockEntry)
      : found.entry;
    if (found.artifacts) {
      report.images.push({
        image: image.name,
        amis: {},
        artifacts: found.artifacts,
        foundBy: found.foundBy,
        moves: [],
        note: NOT_AN_AMI,
      });
      report.summary.push(
        `${image.name}: ${found.artifacts.map((a) => `${a.builder_id} ${a.id}`).join(', ')} (${NOT_AN_AMI})`,
      );
      continue;
    }
    // An image the lock already names, unchanged: nothing of this merge to promote.
    const moves =
      found.foundBy === 'lock' ? [] : await promoteToFirst(context, checkout.config, image, found.amis, channel);
    report.images.push({ image: image.name, amis: found.amis, foundBy: found.foundBy, moves });
    report.summary.push(
      `${image.name}: ${Object.entries(found.amis)
        .map(([region, ami]) => `${region} ${ami}`)
        .join(', ')} ${
        found.foundBy === 'lock'
          ? `unchanged since ${checkout.config.lock_file}`
          : moves.some((m) => m.outcome === 'moved')
            ? `promoted to ${channel}`
            : 'already in a channel'
      }`,
    );
  }
  report.outcome = 'promoted';
  const changed = Object.keys(entries).filter((name) => !sameBuild(lock.images[name], entries[name]));
  report.lock = await writeLock(
    context,
    checkout,
    withEntries(lock, entries),
    lockMessage(checkout.config.lock_file, changed, pr.number),
  );
  report.summary.push(...report.lock.summary);
  const amiImages = report.images.filter((i) => !i.artifacts);
  if (!amiImages.some((i) => changed.includes(i.image))) {
    report.summary.push(`no AMI differs from ${checkout.config.lock_file}: consumers are not started`);
    return report;
  }
  const images: ImageAmiMap = Object.fromEntries(amiImages.map((i) => [i.image, i.amis]));
  const parameters = { images: JSON.stringify(images) };
  checkPipelineParameters(parameters, 'consumers[].parameters');
  report.parameters = parameters;
  await startConsumers(context, checkout, prs, pr.number, report, images);
  if (report.consumers.some((c) => c.outcome === 'triggered' || c.outcome === 'already-triggered')) {
    report.outcome = 'triggered';
  }
  return report;
}

const NOT_AN_AMI = 'not an AMI: channels and consumers skipped';

/** What promote found of one image: its AMIs or other artifacts, and its lock entry. */
type Found = {
  entry: LockEntry;
  foundBy: 'record' | 'pull-request' | 'lock';
} & ({ amis: RegionalAmis; artifacts?: undefined } | { amis?: undefined; artifacts: LockArtifact[] });

/**
 * What the merged PR validated of `image`: the AMIs the bot's validation record names for `headSha`, each
 * checked on EC2; else, for an image of another builder, its recorded artifacts; else, for an image whose inputs
 * are those the lock file already records, the lock's entry (nothing to promote). Anything else is refused.
 */
async function findBuilt(
  context: FlowContext,
  checkout: Checkout,
  image: ImageConfig,
  headSha: string,
  lock: LockFile,
  records: BuildRecord,
): Promise<Found> {
  const validation = records.validation?.sha === headSha ? records.validation : undefined;
  const recorded = validation?.outcome === 'validated' ? validation.images[image.name] : undefined;
  if (recorded && Object.keys(recorded.amis).length > 0) {
    const amis = await checkedAmis(context, image, headSha, recorded);
    return { amis, foundBy: 'record', entry: await amiEntry(context, image, amis) };
  }
  const pin = image.base_ami
    ? await readTarget(checkout.dir, image.base_ami.pin, `images.${image.name}.base_ami.pin`)
    : undefined;
  const inputHash = await imageInputHash(checkout.dir, image, pin);
  for (const [foundBy, entry] of [
    ['pull-request', recorded ? records.artifacts[image.name] : undefined],
    ['lock', lock.images[image.name]],
  ] as const) {
    if (entry?.input_hash === inputHash && entry.artifacts?.length && Object.keys(entry.amis).length === 0)
      return { artifacts: entry.artifacts, foundBy, entry };
  }
  const locked = lock.images[image.name];
  if (locked?.input_hash === inputHash && Object.keys(locked.amis).length > 0)
    return { amis: locked.amis, foundBy: 'lock', entry: locked };
  throw new FailureError(
    `no validated AMI of ${image.name} built from ${headSha.slice(0, 12)}: ${
      validation
        ? validation.outcome === 'validated'
          ? 'the validation record does not name it'
          : 'the validation record says it failed'
        : 'no validation record by the bot for this commit'
    }, and its inputs (${inputHash.slice(0, 19)}) are not those ${checkout.config.lock_file} records; ` +
      'promote takes AMIs only from build-validate and never rebuilds on the default branch: run build-validate on the pull request first',
  );
}

/**
 * The recorded AMIs of `image`, each checked on EC2 against the record: one in every configured region, ours,
 * available, tagged validated for this image and input hash (and, when built for this commit, with its sha).
 */
async function checkedAmis(
  context: FlowContext,
  image: ImageConfig,
  headSha: string,
  recorded: RecordedImage,
): Promise<RegionalAmis> {
  const amis: RegionalAmis = {};
  for (const region of image.regions) {
    const imageId = recorded.amis[region];
    if (!imageId) throw new FailureError(`the validation record names no AMI of ${image.name} in ${region}`);
    const record = await ownImage(context.ec2For(region), imageId);
    const tags = record?.tags;
    const problem = !record
      ? 'is not an AMI of this account'
      : record.state !== 'available'
        ? `is ${record.state}`
        : tags?.status !== 'validated'
          ? `is tagged ${tags?.status ?? 'with no status'}, not validated`
          : tags.image !== image.name
            ? `is tagged as image ${tags.image ?? '(none)'}`
            : tags.inputHash !== recorded.input_hash
              ? 'carries other inputs than the record'
              : recorded.action === 'built' && tags.gitSha !== headSha
                ? `was built from ${tags.gitSha?.slice(0, 12) ?? 'an unknown commit'}`
                : undefined;
    if (problem)
      throw new FailureError(
        `${imageId} (${image.name}, ${region}) from the validation record ${problem}: refusing to promote it`,
      );
    amis[region] = imageId;
  }
  return amis;
}

/** The lock entry of validated `amis`, from the tags of the one in the build region. */
async function amiEntry(context: FlowContext, image: ImageConfig, amis: RegionalAmis): Promise<LockEntry> {
  const region = image.regions[0] as string;
  const record = await ownImage(context.ec2For(region), amis[region] as string);
  const tags = record?.tags ?? {};
  const version = record?.tagMap[RECORD_TAG.packerVersion] ?? (await packerVersion(context.env));
  const url = record?.tagMap[RECORD_TAG.runUrl];
  return {
    amis,
    input_hash: tags.inputHash ?? 'unknown',
    source_commit: tags.gitSha ?? 'unknown',
    ...(version ? { packer_version: version } : {}),
    ...(tags.run ? { validation: { run: tags.run, ...(url ? { url } : {}) } } : {}),
  };
}

function lockMessage(file: string, changed: string[], pr: number): string {
  return `Record validated images in ${file}: ${changed.join(', ') || 'none'}\n\nValidated from #${pr}.\n`;
}

/** Moves the AMIs into the first channel; AMIs already in any channel (a re-run, a later rollout) stay. */
async function promoteToFirst(
  context: FlowContext,
  config: HephestusConfig,
  image: ImageConfig,
  amis: RegionalAmis,
  channel: string,
): Promise<ChannelMove[]> {
  const moves: ChannelMove[] = [];
  const pending: Array<{ region: string; imageId: string }> = [];
  for (const [region, imageId] of Object.entries(amis)) {
    const [record] = await ownImages(context.ec2For(region), [{ Name: 'image-id', Values: [imageId] }]);
    const current = record?.tags.channel;
    if (current !== undefined && config.channels.includes(current)) {
      moves.push({ region, channel: current, imageId, outcome: 'unchanged' });
    } else pending.push({ region, imageId });
  }
  if (pending.length === 0) return moves;
  if (context.dryRun) {
    context.wouldDo(`promote ${image.name} (${pending.map((p) => p.imageId).join(', ')}) to ${channel}`);
    return moves;
  }
  return [
    ...moves,
    ...(await promoteImages(context.ec2For, {
      image: image.name,
      images: pending,
      channels: config.channels,
      to: channel,
    })),
  ];
}

async function startConsumers(
  context: FlowContext,
  checkout: Checkout,
  prs: PullRequests,
  prNumber: number,
  report: PromoteReport,
  images: ImageAmiMap,
): Promise<void> {
  const triggers = checkout.config.consumers.filter((c) => c.mode === 'trigger');
  const existing = triggers.length ? await prs.ownComment(prNumber, COMMENT_KEY) : undefined;
  const remembered: Remembered = TRIGGERED.decode(existing?.body ?? '') ?? {};
  for (const consumer of checkout.config.consumers) {
    if (consumer.mode === 'pull-request') {
      const bumped = await bumpRepository(
        context,
        parseRepository(consumer.repository, 'consumers[].repository'),
        images,
      );
      report.consumers.push({
        repository: consumer.repository,
        mode: 'pull-request',
        outcome: bumped.outcome,
        pullRequest: bumped.pullRequest,
      });
      continue;
    }
    const projectSlug = consumer.project_slug ?? `gh/${consumer.repository}`;
    const key = `${projectSlug}@${consumer.branch}`;
    const parameters = report.parameters as { images: string };
    const before = remembered[key];
    if (before && before.images === parameters.images && !context.options.force) {
      report.consumers.push({
        repository: consumer.repository,
        mode: 'trigger',
        outcome: 'already-triggered',
        projectSlug,
        pipeline: { id: before.id },
      });
      continue;
    }
    if (context.dryRun) {
      context.wouldDo(
        `trigger a pipeline of ${projectSlug} on ${consumer.branch} with images=${parameters.images}`,
      );
      report.consumers.push({
        repository: consumer.repository,
        mode: 'trigger',
        outcome: 'would-trigger',
        projectSlug,
      });
      continue;
    }
    const pipeline = await context
      .circleci()
      .triggerPipeline({ projectSlug, branch: consumer.branch, parameters });
    context.logger.info(`triggered pipeline ${pipeline.number} of ${projectSlug} (${consumer.branch})`);
    remembered[key] = { id: pipeline.id, images: parameters.images };
    report.consumers.push({
      repository: consumer.repository,
      mode: 'trigger',
      outcome: 'triggered',
      projectSlug,
      pipeline: { id: pipeline.id, number: pipeline.number },
    });
  }
  if (!context.dryRun && triggers.length) {
    const comment = await prs.upsertComment(prNumber, COMMENT_KEY, promotedComment(report, remembered));
    report.summary.push(`comment ${comment.action} on #${prNumber}`);
  }
}

type Remembered = Record<string, { id: string; images: string }>;

function promotedComment(report: PromoteReport, remembered: Remembered): string {
  const lines = [
    `### Hephestus: promoted to ${escapeMarkdown(report.channel ?? '')}`,
    '',
    '| image | region | AMI |',
    '| --- | --- | --- |',
  ];
  for (const image of report.images) {
    for (const [region, ami] of Object.entries(image.amis))
      lines.push(`| ${escapeMarkdown(image.image)} | ${escapeMarkdown(region)} | ${codeSpan(ami)} |`);
  }
  lines.push(
    '',
    'Consumers:',
    ...report.consumers.map(
      (c) =>
        `- ${escapeMarkdown(c.repository)}: ${c.mode === 'trigger' ? `pipeline of ${escapeMarkdown(c.projectSlug ?? '')}` : 'pull request'}`,
    ),
  );
  lines.push('', TRIGGERED.encode(remembered));
  return lines.join('\n');
}
