/**
 * build-validate (push to any branch but the default one: an update branch or a person's pull request):
 * builds the images whose inputs changed with Packer, tags every AMI and snapshot `built` with the run,
 * commit, branch, image, input hash and Packer version, validates each image once in its build region, tags
 * it `validated` or `failed`, comments on the branch's PR (one comment, edited in place) and posts
 * `ready_to_merge` or `failed` to Slack. An image whose inputs are those the default branch's lock file
 * records is reused, not rebuilt, so a PR touching one image's inputs builds only that image; a tag alone
 * never makes an AMI reusable (anyone whose branch runs Packer can set tags). The comment carries the
 * validation record promote takes the AMIs from. Every AMI Packer made in the run is tagged by the run: as
 * built (then validated or failed) when it belongs to a configured image, else as failed (refused).
 * Artifacts of other builders (docker, file, vSphere) are reported as they are: AMI tagging and validation
 * are skipped for them, with a note.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { builtTags, TAG, type Tag, toTags } from '../aws/image-tags.js';
import { ownImage } from '../aws/own-images.js';
import { packerCredentials } from '../aws/packer-credentials.js';
import { imageRecord } from '../aws/schema.js';
import { type RegionalImage, setImageStatus, tagImages, untagResources } from '../aws/tag-images.js';
import type { ValidationResult } from '../aws/validate-ami.js';
import {
  readSmokeTests,
  runValidation,
  type ValidationSuite,
  validationJunit,
} from '../aws/validation-run.js';
import { formatDuration, throttleProgress } from '../aws/waits.js';
import type { HephestusConfig, ImageConfig } from '../config/config-schema.js';
import { ExitCode, InputError } from '../errors.js';
import { localGit } from '../git/git-environment.js';
import type { CommitSummary } from '../git/git-repository.js';
import { codeSpan, escapeMarkdown } from '../github/markdown.js';
import type { PullRequest } from '../github/schema.js';
import { parseImageNames, type RegionalAmis } from '../images/image-set.js';
import { imageInputHash } from '../images/input-hash.js';
import {
  BUILD_COMMENT_KEY,
  buildRecordOf,
  encodeArtifactRecords,
  RECORD_TAG,
  VALIDATION_RECORD,
  type ValidationRecord,
} from '../lock/build-record.js';
import type { LockArtifact, LockEntry, LockFile } from '../lock/lock-file.js';
import { lockBranch, readDefaultLock } from '../lock/lock-store.js';
import { artifactName, type PackerResult } from '../packer/artifacts.js';
import { awsPolling, awsPollingEnv } from '../packer/aws-polling.js';
import { inspectBuilds } from '../packer/inspect-builds.js';
import { runPackerBuild } from '../packer/packer-build.js';
import { packerInit } from '../packer/packer-init.js';
import { packerVersion } from '../packer/packer-version.js';
import { renderProgress } from '../packer/progress-view.js';
import { requiredPluginsAt } from '../packer/template-facts.js';
import { readTemplateFiles } from '../packer/template-files.js';
import { failedMessage, readyToMergeMessage } from '../slack/slack-messages.js';
import { type Checkout, checkOut, readTarget, repoPath } from '../update/checkout.js';
import { notify, pullRequestInfo, pullRequestMemory, slackFailed } from '../update/notices.js';
import { rebuildOf } from '../update/rebuild.js';
import type { FlowContext } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';

export interface ImageBuildReport {
  image: string;
  inputHash: string;
  action: 'built' | 'reused' | 'would-build' | 'would-reuse';
  /** `built`: an artifact that is not an AMI, which nothing validates. */
  status: 'validated' | 'failed' | 'pending' | 'built';
  amis: RegionalAmis;
  /** Artifacts that are not AMIs (builder id and artifact id). */
  artifacts?: LockArtifact[];
  /** Why AMI-only steps were skipped. */
  note?: string;
  /** Why the image failed (build or validation). */
  failure?: string;
  validation?: {
    region: string;
    imageId: string;
    instanceId?: string;
    passed: boolean;
    failedStep?: string;
    terminated: boolean;
    tests: Array<{ name: string; outcome: string; exitCode?: number }>;
  };
}

export interface BuildValidateReport extends FlowReportBase {
  flow: 'build-validate';
  outcome: 'validated' | 'failed' | 'skipped' | 'dry-run';
  branch: string;
  sha: string;
  run: string;
  images: ImageBuildReport[];
  pullRequest?: PullRequestRef;
  junit?: string;
  packerVersion?: string;
  /** The CI job that ran the validation (CIRCLE_BUILD_URL). */
  runUrl?: string;
}

const VALIDATION_DEFAULTS = {
  instance_type: 't3.large',
  timeout_minutes: 45,
  ready_text: 'Windows is Ready to use',
};

/** Runs build-validate; see the module comment. */
export async function buildValidate(context: FlowContext): Promise<BuildValidateReport> {
  const repository = context.repository();
  const branch = context.branch();
  if (!branch)
    throw new InputError('no branch: pass --branch (CircleCI sets CIRCLE_BRANCH)', { setting: '--branch' });
  const checkout = await checkOut(context, { repository, branch });
  const report: BuildValidateReport = {
    flow: 'build-validate',
    outcome: 'validated',
    repository: repository.fullName,
    dryRun: context.dryRun,
    exitCode: ExitCode.ok,
    branch,
    sha: checkout.sha,
    run: runId(context, checkout.sha),
    runUrl: context.env.CIRCLE_BUILD_URL || undefined,
    images: [],
    summary: [],
    slack: [],
  };
  const skip = skipReason(checkout, branch);
  if (skip) {
    report.outcome = 'skipped';
    report.summary.push(skip);
    return report;
  }
  const images = selectBuildImages(checkout.config, context.options.images);
  const lock = await readDefaultLock(context, checkout);
  const earlier = await earlierRecord(context, checkout, branch);
  // A rebuild asked for by hand builds its images again, even with inputs a validated AMI was built from.
  const rebuild = rebuildOf(await headCommit(checkout.dir), checkout.author);
  if (rebuild.length) context.logger.info(`${checkout.sha.slice(0, 12)} asks to rebuild ${rebuild.join(', ')}`);
  const toBuild: Array<{ image: ImageConfig; entry: ImageBuildReport }> = [];
  for (const image of images) {
    const pin = image.base_ami
      ? await readTarget(checkout.dir, image.base_ami.pin, `images.${image.name}.base_ami.pin`)
      : undefined;
    const inputHash = await imageInputHash(checkout.dir, image, pin);
    const again = rebuild.includes(image.name);
    const reused = again
      ? undefined
      : await reusableAmis(
          context,
          image,
          [lock?.images[image.name], earlier?.images[image.name]],
          inputHash,
        );
    const generic = reused || again ? undefined : reusableArtifacts(lock, image, inputHash);
    const entry: ImageBuildReport = reused
      ? {
          image: image.name,
          inputHash,
          action: context.dryRun ? 'would-reuse' : 'reused',
          status: 'validated',
          amis: reused,
        }
      : generic
        ? {
            image: image.name,
            inputHash,
            action: context.dryRun ? 'would-reuse' : 'reused',
            status: 'built',
            amis: {},
            artifacts: generic,
            note: NOT_AN_AMI,
          }
        : {
            image: image.name,
            inputHash,
            action: context.dryRun ? 'would-build' : 'built',
            status: 'pending',
            amis: {},
          };
    report.images.push(entry);
    if (reused || generic)
      context.logger.info(
        `${image.name}: inputs unchanged (${inputHash.slice(0, 19)}), reusing ${describeBuilt(entry)}`,
      );
    else toBuild.push({ image, entry });
  }
  await refuseAmbiguousBuilds(
    context,
    checkout,
    toBuild.map((t) => t.image),
  );
  if (context.dryRun) {
    for (const { image } of toBuild) context.wouldDo(`build, tag and validate ${image.name}`);
    report.outcome = toBuild.length ? 'dry-run' : 'validated';
    report.summary.push(...report.images.map((i) => `${i.image}: ${i.action}`));
    return report;
  }

  if (toBuild.length) report.packerVersion = await packerVersion(packerEnv(context, checkout.config));
  await buildImages(context, checkout, report, toBuild);
  await Promise.all(
    toBuild
      .filter(({ entry }) => entry.status === 'pending')
      .map((item) => validateImage(context, checkout, report, item)),
  );
  if (context.options.junit) {
    await mkdir(dirname(context.options.junit), { recursive: true });
    await writeFile(context.options.junit, validationJunit(junitSuites(report.images)));
    report.junit = context.options.junit;
  }
  const failed = report.images.filter((i) => i.status === 'failed');
  report.outcome = failed.length ? 'failed' : 'validated';
  if (failed.length) report.exitCode = ExitCode.failure;
  report.summary.push(
    ...report.images.map(
      (i) =>
        `${i.image}: ${i.action}, ${i.status}${i.failure ? ` (${i.failure})` : ''}${i.note ? ` (${i.note})` : ''}`,
    ),
  );
  await reportOnPullRequest(context, checkout, report);
  return report;
}

const NOT_AN_AMI = 'not an AMI: tagging, validation and promotion skipped';

/** Why `branch` builds nothing, or undefined when it builds. */
function skipReason(checkout: Checkout, branch: string): string | undefined {
  if (branch === checkout.config.git.default_branch)
    return `${branch} is the default branch: its images are promoted from the pull requests, not built`;
  if (branch === lockBranch(checkout))
    return `${branch} only records validated images in the lock file: nothing to build`;
  return undefined;
}

/** The artifacts the lock records for a non-AMI image whose inputs are unchanged, if any. */
function reusableArtifacts(
  lock: LockFile | undefined,
  image: ImageConfig,
  inputHash: string,
): LockArtifact[] | undefined {
  const entry = lock?.images[image.name];
  return entry?.input_hash === inputHash && entry.artifacts?.length && Object.keys(entry.amis).length === 0
    ? entry.artifacts
    : undefined;
}

function describeBuilt(entry: ImageBuildReport): string {
  return [
    ...Object.values(entry.amis),
    ...(entry.artifacts ?? []).map((a) => `${a.builder_id} ${a.id}`),
  ].join(', ');
}

function selectBuildImages(config: HephestusConfig, images: string | undefined): ImageConfig[] {
  if (config.images.length === 0) throw new InputError('no images configured', { setting: 'images' });
  if (images === undefined) return config.images;
  return parseImageNames(images).map((name) => {
    const image = config.images.find((i) => i.name === name);
    if (!image)
      throw new InputError(`no image ${JSON.stringify(name)} in the configuration`, { setting: '--images' });
    return image;
  });
}

/** The checked-out commit's identities and subject, read from the clone. */
async function headCommit(dir: string): Promise<CommitSummary> {
  const out = await localGit(dir).raw([
    '-c',
    'log.showSignature=false',
    'log',
    '-1',
    '--format=%H%x00%s%x00%an%x00%ae%x00%cn%x00%ce',
    'HEAD',
  ]);
  const [sha = '', subject = '', authorName = '', authorEmail = '', committerName = '', committerEmail = ''] =
    out.trim().split('\0');
  return { sha, subject, authorName, authorEmail, committerName, committerEmail };
}

/**
 * The validation record the bot left on this branch's pull request (open, or merged with this commit): a re-run
 * (or a push that leaves an image's inputs alone) reuses what the bot itself validated there.
 */
async function earlierRecord(
  context: FlowContext,
  checkout: Checkout,
  branch: string,
): Promise<ValidationRecord | undefined> {
  const prs = context.pullRequests(checkout.repository);
  // The open PR of the branch; after its merge (a re-run of the job), the merged PR that holds this commit.
  const pr =
    (await prs.findOpen(branch)) ?? (await prs.forCommit(checkout.sha)).find((p) => prs.isOwnBranch(p, branch));
  return pr ? (await buildRecordOf(prs, pr.number)).validation : undefined;
}

/**
 * The AMIs a provenance record names for `image` with these inputs (same input hash): the default branch's lock
 * file, else the bot's own validation record on this pull request. In every region, each must still be ours,
 * available and tagged validated for this image and hash; else undefined (and the image is built).
 */
async function reusableAmis(
  context: FlowContext,
  image: ImageConfig,
  records: ReadonlyArray<{ input_hash: string; amis: RegionalAmis; status?: string } | undefined>,
  inputHash: string,
): Promise<RegionalAmis | undefined> {
  const entry = records.find(
    (r) => r?.input_hash === inputHash && (r.status === undefined || r.status === 'validated'),
  );
  if (!entry) return undefined;
  const amis: RegionalAmis = {};
  for (const region of image.regions) {
    const imageId = entry.amis[region];
    if (!imageId) return undefined;
    const record = await ownImage(context.ec2For(region), imageId);
    const tags = record?.tags;
    if (
      record?.state !== 'available' ||
      tags?.status !== 'validated' ||
      tags.image !== image.name ||
      tags.inputHash !== inputHash
    ) {
      context.logger.warn(
        `${image.name}: ${imageId} (${region}) from the lock file is not an available, validated AMI of these inputs: rebuilding`,
      );
      return undefined;
    }
    amis[region] = imageId;
  }
  return amis;
}

/**
 * Refuses (exit 2) an image without `build:` whose template defines more than one build: Packer would run them
 * all, and all but one would make AMIs no image owns.
 */
async function refuseAmbiguousBuilds(
  context: FlowContext,
  checkout: Checkout,
  images: readonly ImageConfig[],
): Promise<void> {
  for (const image of images.filter((i) => !i.build)) {
    const builds = await inspectBuilds({
      template: repoPath(checkout.dir, image.template, `images.${image.name}.template`),
      cwd: checkout.dir,
      env: packerEnv(context, checkout.config),
      passEnv: checkout.config.packer.pass_env,
    });
    if (builds.length > 1) {
      throw new InputError(
        `${image.template} defines ${builds.length} builds (${builds.join(', ')}); name the one of ${image.name} with build:`,
        { setting: `images.${image.name}.build` },
      );
    }
  }
}

/** One Packer run per template, variable files and regions; each image gets its AMIs or a failure. */
async function buildImages(
  context: FlowContext,
  checkout: Checkout,
  report: BuildValidateReport,
  toBuild: Array<{ image: ImageConfig; entry: ImageBuildReport }>,
): Promise<void> {
  const groups = new Map<string, typeof toBuild>();
  for (const item of toBuild) {
    const key = JSON.stringify([item.image.template, item.image.var_files, item.image.regions]);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  // Every template is initialized before the first build, so a Packer too old for one of them builds nothing.
  for (const group of groups.values())
    await initPlugins(context, checkout, report, (group[0] as (typeof toBuild)[number]).image);
  const artifacts = context.options.artifacts ?? (await context.workDir('artifacts'));
  await mkdir(artifacts, { recursive: true });
  const credentials = packerCredentials(context.env);
  if (credentials.kind === 'shared') context.logger.warn(credentials.warning);
  let n = 0;
  for (const group of groups.values()) {
    const first = (group[0] as (typeof toBuild)[number]).image;
    const names = group.map((g) => g.image.name).join('-');
    const suffix = `${++n}-${names}`;
    const only = group.every((g) => g.image.build) ? group.map((g) => g.image.build as string) : [];
    const template = repoPath(checkout.dir, first.template, `images.${first.name}.template`);
    context.logger.info(`packer build ${first.template} (${group.map((g) => g.image.name).join(', ')})`);
    const outcome = await runPackerBuild({
      template,
      varFiles: first.var_files.map((file) => repoPath(checkout.dir, file, `images.${first.name}.var_files`)),
      vars: await packerVars(context, checkout, first),
      only,
      logFile: join(artifacts, `packer-${suffix}.log`),
      outFile: join(artifacts, `packer-${suffix}.json`),
      cwd: checkout.dir,
      env: packerEnv(context, checkout.config),
      passEnv: checkout.config.packer.pass_env,
      redact: (text) => context.logger.redact(text),
      onProgress: (event) => {
        for (const line of renderProgress(event)) context.logger.write(`${line}\n`);
      },
    });
    for (const { image, entry } of group) {
      const generic = genericArtifactsOf(outcome.result, image, group.length === 1);
      if (generic) {
        entry.status = 'built';
        entry.artifacts = generic;
        entry.note = NOT_AN_AMI;
        context.logger.info(`${image.name}: built ${describeBuilt(entry)}; ${NOT_AN_AMI}`);
        continue;
      }
      const amis = amisOf(outcome.result, image, group.length === 1);
      if (!amis || !image.regions.every((region) => amis[region])) {
        entry.status = 'failed';
        entry.failure = `packer build failed: ${buildErrors(outcome.result, image) || 'no AMI in every region'}`;
        if (amis) entry.amis = amis;
        continue;
      }
      entry.amis = amis;
      const tagged = await claimImages(context, regional(amis), [
        ...builtTags({
          run: report.run,
          gitSha: checkout.sha,
          branch: report.branch,
          image: image.name,
          inputHash: entry.inputHash,
        }),
        ...recordTags(report),
      ]);
      context.logger.info(
        `${image.name}: built ${tagged.map((t) => `${t.region} ${t.imageIds.join(' ')}`).join(', ')}; tagged built`,
      );
    }
    for (const { entry } of group) {
      // AMIs of a run that failed part-way are marked, so nothing promotes them by accident.
      if (entry.status === 'failed' && Object.keys(entry.amis).length) {
        await setImageStatus(context.ec2For, regional(entry.amis), 'failed');
      }
    }
    await refuseUnclaimed(context, report, checkout.sha, outcome.result, group);
  }
}

/** `packer init` when the image's template declares `required_plugins` (exit 2 when this Packer is too old). */
async function initPlugins(
  context: FlowContext,
  checkout: Checkout,
  report: BuildValidateReport,
  image: ImageConfig,
): Promise<void> {
  const setting = `images.${image.name}.template`;
  const template = repoPath(checkout.dir, image.template, setting);
  const requiredPlugins = requiredPluginsAt(await readTemplateFiles(template, checkout.dir));
  if (requiredPlugins) context.logger.info(`packer init ${image.template} (it declares required_plugins)`);
  const init = await packerInit({
    requiredPlugins,
    version: report.packerVersion,
    template,
    setting,
    cwd: checkout.dir,
    env: packerEnv(context, checkout.config),
    passEnv: checkout.config.packer.pass_env,
    redact: (text) => context.logger.redact(text),
  });
  if (init === 'initialized') context.logger.info(`packer init ${image.template}: plugins installed`);
}

/** `hephestus:*` tags a template may have set that only promotion and rollout may set. */
const FOREIGN_KEYS = [TAG.channel, TAG.previousChannel, TAG.replaces, TAG.rolledBackFrom];

/**
 * Tags `images` (and their snapshots) as this run's, then removes what the template may have put on them (a
 * channel, say): an AMI's `hephestus:*` tags are the run's word, never the branch's. In that order, because the
 * tagging role may remove `hephestus:*` tags only from images that carry its mark; and only where a planted tag
 * is there, since with the IAM split Packer cannot plant one and the call would be wasted.
 */
async function claimImages(context: FlowContext, images: RegionalImage[], tags: Tag[]) {
  const tagged = await tagImages(context.ec2For, images, tags);
  await Promise.all(
    [...new Set(images.map((i) => i.region))].map(async (region) => {
      const ec2 = context.ec2For(region);
      const ids = images.filter((i) => i.region === region).map((i) => i.imageId);
      const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: ids }));
      const planted = Images.map(imageRecord).filter((image) =>
        FOREIGN_KEYS.some((key) => Object.hasOwn(image.tags, key)),
      );
      await untagResources(
        ec2,
        planted.flatMap((image) => [image.imageId, ...image.snapshotIds]),
        FOREIGN_KEYS,
      );
    }),
  );
  return tagged;
}

/** Every AMI Packer made in this run that no image of the group took: tagged by this run as `failed` (refused). */
async function refuseUnclaimed(
  context: FlowContext,
  report: BuildValidateReport,
  gitSha: string,
  result: PackerResult,
  group: ReadonlyArray<{ image: ImageConfig; entry: ImageBuildReport }>,
): Promise<void> {
  const claimed = new Set(group.flatMap(({ entry }) => Object.values(entry.amis)));
  const stray = result.builds
    .flatMap((b) => b.artifacts.flatMap((a) => a.images ?? []))
    .filter((i) => !claimed.has(i.ami))
    .map((i) => ({ region: i.region, imageId: i.ami }));
  if (stray.length === 0) return;
  await claimImages(
    context,
    stray,
    toTags({ run: report.run, gitSha, branch: report.branch, image: '(none)', status: 'failed' }),
  );
  context.logger.warn(
    `refused ${stray.map((s) => `${s.region} ${s.imageId}`).join(', ')}: made by the template but owned by no configured image; tagged failed`,
  );
}

/** `-var` values the template declares: the EC2 endpoint (when overridden), regions and commit. */
async function packerVars(
  context: FlowContext,
  checkout: Checkout,
  image: ImageConfig,
): Promise<Record<string, string>> {
  const declared = await declaredVariables(repoPath(checkout.dir, image.template, `images.${image.name}.template`));
  const vars: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined && declared.has(name)) vars[name] = value;
  };
  set('aws_endpoint_ec2', context.endpoints.ec2);
  set('aws_region', image.regions[0]);
  set('ami_regions', JSON.stringify(image.regions.slice(1)));
  set('git_sha', checkout.sha);
  return vars;
}

/** Variable names declared in an HCL2 template file or directory; Packer refuses `-var` for undeclared ones. */
async function declaredVariables(template: string): Promise<Set<string>> {
  const { readdir, stat } = await import('node:fs/promises');
  const files = (await stat(template)).isDirectory()
    ? (await readdir(template)).filter((f) => f.endsWith('.pkr.hcl')).map((f) => join(template, f))
    : [template];
  const names = new Set<string>();
  for (const file of files) {
    for (const match of (await readFile(file, 'utf8')).matchAll(/^\s*variable\s+"([^"]+)"/gm))
      names.add(match[1] as string);
  }
  return names;
}

/** Packer's environment: the job's, with the Packer role's credentials in place of the job's own, and AMI and copy waits sized for Windows on every endpoint. */
function packerEnv(context: FlowContext, config: HephestusConfig): NodeJS.ProcessEnv {
  return {
    ...context.env,
    ...packerCredentials(context.env).env,
    ...awsPollingEnv(awsPolling(config.packer, context.env)),
  };
}

/** The lock-file facts an AMI carries beside the image-tags model: Packer version and run URL. */
function recordTags(report: BuildValidateReport): Tag[] {
  const tags: Tag[] = [];
  if (report.packerVersion) tags.push({ Key: RECORD_TAG.packerVersion, Value: report.packerVersion });
  if (report.runUrl) tags.push({ Key: RECORD_TAG.runUrl, Value: report.runUrl.slice(0, 256) });
  return tags;
}

function buildOf(result: PackerResult, image: ImageConfig, only: boolean) {
  return (
    result.builds.find((b) => b.name === image.build) ?? (only && !image.build ? result.builds[0] : undefined)
  );
}

/** The artifacts of the image's build when none of them is an AMI (another builder's output), else undefined. */
export function genericArtifactsOf(
  result: PackerResult,
  image: ImageConfig,
  only: boolean,
): LockArtifact[] | undefined {
  const artifacts = buildOf(result, image, only)?.artifacts ?? [];
  if (artifacts.length === 0 || artifacts.some((a) => a.images)) return undefined;
  if (result.errors.some((e) => e.build === '' || e.build === image.build)) return undefined;
  return artifacts.map((a) => ({ builder_id: a.builderId, id: artifactName(a) }));
}

function amisOf(result: PackerResult, image: ImageConfig, only: boolean): RegionalAmis | undefined {
  const build = buildOf(result, image, only);
  const images = build?.artifacts.flatMap((a) => a.images ?? []) ?? [];
  if (images.length === 0) return undefined;
  return Object.fromEntries(images.map((i) => [i.region, i.ami]));
}

function buildErrors(result: PackerResult, image: ImageConfig): string {
  return result.errors
    .filter((e) => e.build === '' || e.build === image.build)
    .map((e) => firstErrorLine(e.message))
    .join('; ');
}

/** Packer's `N error(s) occurred:` header says nothing; the first error under it does (e.g. which region copy failed). */
function firstErrorLine(message: string): string {
  const lines = message.split('\n').map((line) => line.replace(/^\*\s*/, '').trim());
  return lines.find((line) => line !== '' && !/^\d+ error\(s\) occurred:?$/.test(line)) ?? lines[0] ?? '';
}

function regional(amis: RegionalAmis): RegionalImage[] {
  return Object.entries(amis).map(([region, imageId]) => ({ region, imageId }));
}

async function validateImage(
  context: FlowContext,
  checkout: Checkout,
  report: BuildValidateReport,
  { image, entry }: { image: ImageConfig; entry: ImageBuildReport },
): Promise<void> {
  const region = image.regions[0] as string;
  const imageId = entry.amis[region] as string;
  const settings = { ...VALIDATION_DEFAULTS, ...checkout.config.validation };
  const smokeTests = await readSmokeTests(checkout.dir, image.smoke_tests, `images.${image.name}.smoke_tests`);
  context.logger.info(`${image.name}: validating ${imageId} in ${region}`);
  const { result, failure } = await runValidation(
    {
      region,
      imageId,
      instanceType: settings.instance_type,
      subnetId: settings.subnet_id,
      securityGroupIds: settings.security_group_ids,
      instanceProfile: settings.instance_profile,
      readyText: settings.ready_text,
      timeoutMs: settings.timeout_minutes * 60_000,
      smokeTests,
      tags: [
        { Key: TAG.run, Value: report.run },
        { Key: TAG.image, Value: image.name },
      ],
    },
    {
      ...context.aws(region),
      delays: context.waitDelays(),
      onProgress: throttleProgress(30_000, (p) =>
        context.logger.info(`${image.name}: waiting for ${p.awaiting} (${formatDuration(p.elapsedMs)})`),
      ),
    },
    (text) => context.logger.redact(text),
  );
  if (failure !== undefined) entry.failure = failure;
  entry.status = result.passed ? 'validated' : 'failed';
  entry.validation = {
    region,
    imageId,
    instanceId: result.instanceId,
    passed: result.passed,
    failedStep: result.failedStep,
    terminated: result.terminated,
    tests: result.tests.map((t) => ({ name: t.name, outcome: t.outcome, exitCode: t.exitCode })),
  };
  testResults.set(entry, result);
  await setImageStatus(context.ec2For, regional(entry.amis), entry.status);
  context.logger.info(`${image.name}: ${entry.status}; tagged ${entry.status}`);
}

// Full smoke-test output for the JUnit file, kept out of the JSON report.
const testResults = new WeakMap<ImageBuildReport, ValidationResult>();

function junitSuites(images: ImageBuildReport[]): ValidationSuite[] {
  return images
    .filter((i) => i.action === 'built' && !i.artifacts)
    .map((i) => ({
      name: i.image,
      result: testResults.get(i),
      failure: i.status === 'failed' ? (i.failure ?? 'failed') : undefined,
    }));
}

/** The PR comment (one, edited in place) and the Slack notice of the result. */
async function reportOnPullRequest(
  context: FlowContext,
  checkout: Checkout,
  report: BuildValidateReport,
): Promise<void> {
  const prs = context.pullRequests(checkout.repository);
  const pr: PullRequest | undefined = await prs.findOpen(report.branch);
  if (!pr) {
    context.logger.warn(`no open pull request from ${report.branch}: no comment and no Slack notice`);
    return;
  }
  report.pullRequest = { number: pr.number, url: pr.url };
  const comment = await prs.upsertComment(pr.number, BUILD_COMMENT_KEY, commentText(report));
  report.summary.push(`comment ${comment.action} on #${pr.number}`);
  const info = pullRequestInfo(checkout.repository.fullName, pr);
  const images = report.images.map((i) => ({ image: i.image, amis: i.amis }));
  const memory = await pullRequestMemory(prs, pr);
  if (report.outcome === 'validated') {
    const validation = report.images.map((i) =>
      i.artifacts
        ? { image: i.image, status: 'skipped' as const, detail: NOT_AN_AMI }
        : {
            image: i.image,
            status: 'passed' as const,
            ...(i.validation
              ? { tests: { total: i.validation.tests.length, failed: 0 } }
              : { detail: 'inputs unchanged; validated earlier' }),
          },
    );
    report.slack = await notify(
      context,
      checkout.config,
      'ready_to_merge',
      readyToMergeMessage({ pr: info, images, validation }),
      { memory },
    );
  } else {
    const failed = report.images.filter((i) => i.status === 'failed');
    report.slack = await notify(
      context,
      checkout.config,
      'failed',
      failedMessage({
        step: 'build-validate',
        image: failed.map((i) => i.image).join(', '),
        pr: info,
        jobUrl: context.env.CIRCLE_BUILD_URL,
        log: failed.map((i) => `${i.image}: ${i.failure ?? 'failed'}`).join('\n'),
      }),
      { memory },
    );
  }
  if (slackFailed(checkout.config, report.slack)) report.exitCode = ExitCode.failure;
}

function commentText(report: BuildValidateReport): string {
  const lines = [
    `### Hephestus: ${report.outcome === 'validated' ? 'every image validated' : 'validation failed'}`,
    '',
    `Commit \`${report.sha.slice(0, 12)}\`${report.packerVersion ? `, ${escapeMarkdown(report.packerVersion)}` : ''}.`,
    '',
    '| image | status | region | artifact | smoke tests |',
    '| --- | --- | --- | --- | --- |',
  ];
  // Image names, regions, artifact ids, test names and Packer's errors come from the branch: all escaped.
  for (const image of report.images) {
    const tests = smokeTestCell(image);
    const name = escapeMarkdown(image.image);
    const status = `${image.status}${image.action === 'reused' ? ' (reused)' : ''}`;
    const rows: Array<[string, string]> = [
      ...Object.entries(image.amis).map(([region, ami]): [string, string] => [
        escapeMarkdown(region),
        codeSpan(ami),
      ]),
      ...(image.artifacts ?? []).map((a): [string, string] => [
        '',
        `${escapeMarkdown(a.builder_id)} ${codeSpan(a.id)}`,
      ]),
    ];
    if (rows.length === 0) lines.push(`| ${name} | ${status} | | | ${tests} |`);
    for (const [region, artifact] of rows)
      lines.push(`| ${name} | ${status} | ${region} | ${artifact} | ${tests} |`);
  }
  const failures = report.images.filter((i) => i.failure);
  if (failures.length)
    lines.push(
      '',
      ...failures.map((i) => `- **${escapeMarkdown(i.image)}**: ${escapeMarkdown(i.failure ?? '')}`),
    );
  const notes = report.images.filter((i) => i.note);
  if (notes.length)
    lines.push('', ...notes.map((i) => `- ${escapeMarkdown(i.image)}: ${escapeMarkdown(i.note ?? '')}`));
  const record = validationRecord(report);
  lines.push(
    '',
    record.outcome === 'validated'
      ? 'Merging promotes exactly these images and records them in the lock file; nothing is rebuilt on the default branch.'
      : 'Fix the cause and push again; AMIs tagged `failed` are never promoted.',
  );
  const records = artifactRecords(report);
  if (Object.keys(records).length) lines.push('', encodeArtifactRecords(records));
  lines.push('', VALIDATION_RECORD.encode(record));
  return lines.join('\n');
}

/**
 * The record promote takes AMIs from: the commit, and per image its AMIs and status. `validated` only when
 * every image validated with something to show for it (AMIs in each region, or another builder's artifacts).
 */
export function validationRecord(report: BuildValidateReport): ValidationRecord {
  const complete = report.images.every(
    (i) =>
      (i.status === 'validated' && Object.keys(i.amis).length > 0) ||
      (i.status === 'built' && (i.artifacts?.length ?? 0) > 0),
  );
  return {
    sha: report.sha,
    run: report.run,
    outcome: report.outcome === 'validated' && report.images.length > 0 && complete ? 'validated' : 'failed',
    images: Object.fromEntries(
      report.images.map((i) => [
        i.image,
        {
          status: i.status,
          action: i.action === 'reused' || i.action === 'would-reuse' ? 'reused' : 'built',
          input_hash: i.inputHash,
          amis: i.amis,
        },
      ]),
    ),
  };
}

function smokeTestCell(image: ImageBuildReport): string {
  if (image.artifacts) return 'skipped';
  if (!image.validation) return image.status === 'validated' ? 'passed earlier' : '';
  const tests = image.validation.tests;
  const passed = tests.filter((t) => t.outcome === 'passed').length;
  const failed = tests.filter((t) => t.outcome !== 'passed').map((t) => escapeMarkdown(t.name));
  if (!image.validation.passed && failed.length === 0)
    return `failed at ${escapeMarkdown(image.validation.failedStep ?? 'validation')}`;
  return `${passed}/${tests.length} passed${failed.length ? `; failed: ${failed.join(', ')}` : ''}`;
}

/** Lock entries of the non-AMI artifacts, which have no tags to carry them to promote. */
function artifactRecords(report: BuildValidateReport): Record<string, LockEntry> {
  return Object.fromEntries(
    report.images
      .filter((i) => i.artifacts)
      .map((i) => [
        i.image,
        {
          amis: {},
          artifacts: i.artifacts,
          input_hash: i.inputHash,
          source_commit: report.sha,
          packer_version: report.packerVersion,
          validation: { run: report.run, url: report.runUrl },
        } satisfies LockEntry,
      ]),
  );
}

function runId(context: FlowContext, sha: string): string {
  return (
    context.env.CIRCLE_WORKFLOW_ID ||
    context.env.CIRCLE_PIPELINE_ID ||
    `local-${sha.slice(0, 12)}-${Date.now().toString(36)}`
  );
}
