/**
 * promote (push to the default branch that merged a `<prefix>*` PR): finds the AMIs validated for the PR's
 * head commit by their tags (never rebuilding on the default branch), moves them into the first channel, and
 * starts each consumer's update: a pipeline triggered with the images as a parameter, or the consumer's
 * pull request opened directly. Triggers are remembered in a comment on the merged PR, so a re-run does not
 * start the consumer's pipeline twice (unless `--force`).
 */

import { type ImageTags, tagFilters } from '../aws/image-tags.js';
import { newestFirst, ownImages } from '../aws/own-images.js';
import type { ChannelMove } from '../aws/promote.js';
import { promote as promoteImages } from '../aws/promote.js';
import { checkPipelineParameters } from '../circleci/pipeline-parameters.js';
import type { HephestusConfig, ImageConfig } from '../config/config-schema.js';
import { ExitCode, FailureError, InputError } from '../errors.js';
import { commentMarker } from '../github/pull-request-marker.js';
import type { PullRequests } from '../github/pull-requests.js';
import { type BumpConsumerReport, bumpRepository } from './bump-consumer.js';
import { type Checkout, checkout, readTarget } from './checkout.js';
import { type FlowContext, parseRepository } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';
import type { ImageAmiMap, RegionalAmis } from './image-set.js';
import { imageInputHash } from './input-hash.js';

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
    foundBy: 'git-sha' | 'input-hash';
    moves: ChannelMove[];
  }>;
  /** The pipeline parameters given to consumers. */
  parameters?: { images: string };
  consumers: ConsumerOutcome[];
}

const COMMENT_KEY = 'promote';
const TRIGGERED = /<!-- hephestus:triggered (\{.*?\}) -->/;

/** Runs promote; see the module comment. */
export async function promote(context: FlowContext): Promise<PromoteReport> {
  const repository = context.repository();
  const sha = context.sha();
  if (!sha) throw new InputError('no commit: pass --sha (CircleCI sets CIRCLE_SHA1)', { setting: '--sha' });
  const co = await checkout(context, { repository, branch: context.branch() });
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
  const pr = await prs.mergedInto(co.config.git.default_branch, sha);
  if (!pr?.headRef.startsWith(co.config.git.branch_prefix)) {
    report.summary.push(`${sha.slice(0, 12)} did not merge an update pull request: nothing to promote`);
    return report;
  }
  report.pullRequest = { number: pr.number, url: pr.url, headSha: pr.headSha, branch: pr.headRef };
  const channel = co.config.channels[0] as string;
  report.channel = channel;

  for (const image of co.config.images) {
    const found = await findImageAmis(context, co, image, pr.headSha);
    const moves = await promoteToFirst(context, co.config, image, found.amis, channel);
    report.images.push({ image: image.name, ...found, moves });
    report.summary.push(
      `${image.name}: ${Object.entries(found.amis)
        .map(([region, ami]) => `${region} ${ami}`)
        .join(
          ', ',
        )} ${moves.some((m) => m.outcome === 'moved') ? `promoted to ${channel}` : `already in a channel`}`,
    );
  }
  report.outcome = 'promoted';
  const images: ImageAmiMap = Object.fromEntries(report.images.map((i) => [i.image, i.amis]));
  const parameters = { images: JSON.stringify(images) };
  checkPipelineParameters(parameters, 'consumers[].parameters');
  report.parameters = parameters;
  await startConsumers(context, co, prs, pr.number, report, images);
  if (report.consumers.some((c) => c.outcome === 'triggered' || c.outcome === 'already-triggered')) {
    report.outcome = 'triggered';
  }
  return report;
}

/** The validated AMIs of `image` built from `headSha`; else, for an image reused unchanged, by input hash. */
async function findImageAmis(
  context: FlowContext,
  co: Checkout,
  image: ImageConfig,
  headSha: string,
): Promise<{ amis: RegionalAmis; foundBy: 'git-sha' | 'input-hash' }> {
  const bySha = await validatedIn(context, image, {
    image: image.name,
    gitSha: headSha,
    status: 'validated',
  });
  if (bySha) return { amis: bySha, foundBy: 'git-sha' };
  const pin = image.base_ami
    ? await readTarget(co.dir, image.base_ami.pin, `images.${image.name}.base_ami.pin`)
    : undefined;
  const inputHash = await imageInputHash(co.dir, image, pin);
  const byHash = await validatedIn(context, image, { image: image.name, inputHash, status: 'validated' });
  if (byHash) return { amis: byHash, foundBy: 'input-hash' };
  throw new FailureError(
    `no validated AMI of ${image.name} built from ${headSha.slice(0, 12)} (or with inputs ${inputHash.slice(0, 19)}) ` +
      `in every region of ${image.regions.join(', ')}; promote never rebuilds on the default branch: ` +
      'run build-validate on the update branch first',
  );
}

async function validatedIn(
  context: FlowContext,
  image: ImageConfig,
  tags: ImageTags,
): Promise<RegionalAmis | undefined> {
  const amis: RegionalAmis = {};
  for (const region of image.regions) {
    const found = (await ownImages(context.ec2For(region), tagFilters(tags)))
      .filter((i) => i.state === 'available')
      .sort(newestFirst);
    if (!found[0]) return undefined;
    amis[region] = found[0].imageId;
  }
  return amis;
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
  co: Checkout,
  prs: PullRequests,
  prNumber: number,
  report: PromoteReport,
  images: ImageAmiMap,
): Promise<void> {
  const triggers = co.config.consumers.filter((c) => c.mode === 'trigger');
  const comments = triggers.length ? await prs.listComments(prNumber) : [];
  const existing = comments.find((c) => c.body.includes(commentMarker(COMMENT_KEY)));
  const remembered = rememberedTriggers(existing?.body ?? '');
  for (const consumer of co.config.consumers) {
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

function rememberedTriggers(body: string): Remembered {
  const match = TRIGGERED.exec(body);
  if (!match?.[1]) return {};
  try {
    return JSON.parse(match[1]) as Remembered;
  } catch {
    return {};
  }
}

function promotedComment(report: PromoteReport, remembered: Remembered): string {
  const lines = [
    `### Hephestus: promoted to ${report.channel}`,
    '',
    '| image | region | AMI |',
    '| --- | --- | --- |',
  ];
  for (const image of report.images) {
    for (const [region, ami] of Object.entries(image.amis))
      lines.push(`| ${image.image} | ${region} | \`${ami}\` |`);
  }
  lines.push(
    '',
    'Consumers:',
    ...report.consumers.map(
      (c) => `- ${c.repository}: ${c.mode === 'trigger' ? `pipeline of ${c.projectSlug}` : 'pull request'}`,
    ),
  );
  const marker = JSON.stringify(remembered)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/--/g, '-\\u002d');
  lines.push('', `<!-- hephestus:triggered ${marker} -->`);
  return lines.join('\n');
}
