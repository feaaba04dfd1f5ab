/** `hephestus ami latest|validate|tag|promote|prune|sweep`: the CLI faces of the AMI modules in src/aws/. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { findBaseAmis } from '../aws/base-ami.js';
import { channelHolders, promote, rollback } from '../aws/channels.js';
import { awsClientsPerRegion } from '../aws/ec2-client.js';
import { IMAGE_STATUSES, type ImageStatus, TAG, type Tag, toTags } from '../aws/image-tags.js';
import { newestFirst, ownImages } from '../aws/own-images.js';
import { prune } from '../aws/prune.js';
import { sweep } from '../aws/sweep.js';
import { type RegionalImage, tagImages } from '../aws/tag-images.js';
import type { ValidationResult } from '../aws/validate-ami.js';
import {
  readSmokeTests,
  runValidation,
  type ValidationSuite,
  validationJunit,
} from '../aws/validation-run.js';
import type { HephestusConfig } from '../config/config-schema.js';
import { ExitCode, InputError } from '../errors.js';
import {
  amiId,
  filters,
  imageForBuild,
  integer,
  optionalConfig,
  progressLine,
  readArtifacts,
  regionsOrDefault,
} from './option-parsers.js';
import type { CommandContext } from './run-command.js';

const clientsFor = () => {
  const clients = awsClientsPerRegion({ env: process.env });
  return (region: string) => clients(region).ec2;
};

export interface LatestOptions {
  config?: string;
  image?: string;
  owners: string[];
  filter: string[];
  region: string[];
}

/** The newest base AMI per region, from flags or from an image's `base_ami` in the configuration. */
export async function amiLatestCommand(
  options: LatestOptions,
  { logger, json }: CommandContext,
): Promise<void> {
  let owners = options.owners;
  let query = filters(options.filter);
  let fallbackRegions: string[] = [];
  if (options.image) {
    const image = configuredImage(await optionalConfig(options.config), options.image);
    if (!image.base_ami) throw new InputError(`image ${image.name} has no base_ami`, { setting: '--image' });
    owners = owners.length > 0 ? owners : image.base_ami.owners;
    query = Object.keys(query).length > 0 ? query : toLists(image.base_ami.filters);
    fallbackRegions = image.regions;
  }
  if (owners.length === 0) {
    throw new InputError(
      "give --owners (account ids or aliases such as amazon), as Packer's amazon-ami requires",
      {
        setting: '--owners',
      },
    );
  }
  const regions = regionsOrDefault(options.region, fallbackRegions);
  logger.info(`looking for the newest AMI of ${owners.join(',')} in ${regions.join(', ')}`);
  const images = await findBaseAmis(clientsFor(), regions, {
    owners,
    filters: query,
    location: { setting: '--filter' },
  });
  if (json) logger.result({ ok: true, images });
  else logger.result(images.map((i) => `${i.region} ${i.imageId} ${i.name} ${i.creationDate}`).join('\n'));
}

export interface ValidateOptions {
  config?: string;
  ami: string[];
  region: string[];
  artifacts?: string;
  image?: string;
  smokeTest: string[];
  instanceType?: string;
  subnet?: string;
  securityGroup: string[];
  instanceProfile?: string;
  timeoutMinutes?: string;
  junit?: string;
  tag: boolean;
  dryRun?: boolean;
}

interface ValidationTarget {
  image?: string;
  region: string;
  imageId: string;
  /** Every region's AMI of the same build: tagged with the outcome together. */
  all: RegionalImage[];
  smokeTests: string[];
  /** The smoke tests come from the configuration (relative to its directory), not from --smoke-test. */
  fromConfig: boolean;
}

/** Validates each AMI (in its first region), writes JUnit, tags the outcome; exit 1 when any failed. */
export async function amiValidateCommand(
  options: ValidateOptions,
  context: CommandContext,
): Promise<ExitCode> {
  const { logger, json } = context;
  const config = await optionalConfig(options.config);
  const targets = await validationTargets(options, config);
  const v = config?.validation;
  const timeoutMinutes = integer(options.timeoutMinutes ?? v?.timeout_minutes ?? 45, '--timeout-minutes', 1);
  const settings = {
    instanceType: options.instanceType ?? v?.instance_type ?? 't3.large',
    subnetId: options.subnet ?? v?.subnet_id,
    securityGroupIds:
      options.securityGroup.length > 0 ? options.securityGroup : (v?.security_group_ids ?? []),
    instanceProfile: options.instanceProfile ?? v?.instance_profile,
    readyText: v?.ready_text,
    timeoutMs: timeoutMinutes * 60_000,
  };
  if (options.dryRun) {
    const plan = targets.map((t) => ({ ...t, ...settings }));
    if (json) logger.result({ ok: true, dryRun: true, validations: plan });
    else
      logger.result(
        plan
          .map((t) => `would validate ${t.imageId} in ${t.region} with ${t.smokeTests.length} smoke test(s)`)
          .join('\n'),
      );
    return ExitCode.ok;
  }
  const clients = awsClientsPerRegion({ env: process.env });
  const runTag: Tag = { Key: TAG.run, Value: process.env.CIRCLE_WORKFLOW_ID || `local-${Date.now()}` };
  const results: Array<ValidationResult & { image?: string }> = [];
  const suites: ValidationSuite[] = [];
  const base = options.config ? dirname(options.config) : process.cwd();
  for (const target of targets) {
    const smokeTests = await readSmokeTests(
      target.fromConfig ? base : process.cwd(),
      target.smokeTests,
      target.fromConfig ? `images.${target.image}.smoke_tests` : '--smoke-test',
    );
    logger.info(
      `validating ${target.imageId} in ${target.region} (${smokeTests.length} smoke test(s), timeout ${timeoutMinutes}m)`,
    );
    const { result, failure } = await runValidation(
      { ...settings, region: target.region, imageId: target.imageId, smokeTests, tags: [runTag] },
      { ...clients(target.region), onProgress: progressLine(logger) },
      (text) => logger.redact(text),
    );
    if (failure !== undefined) logger.error(failure);
    results.push({ ...(target.image ? { image: target.image } : {}), ...result });
    suites.push({
      name: `${target.image ?? target.imageId} ${target.region}`,
      result,
      failure,
      timestamp: new Date(),
    });
    if (options.tag) {
      const status: ImageStatus = result.passed ? 'validated' : 'failed';
      await tagImages((region) => clients(region).ec2, target.all, toTags({ status }));
      logger.info(`tagged ${target.all.map((i) => i.imageId).join(', ')} ${TAG.status}=${status}`);
    }
  }
  if (options.junit) {
    await mkdir(dirname(options.junit), { recursive: true });
    await writeFile(options.junit, validationJunit(suites));
  }
  const passed = results.every((r) => r.passed);
  if (json) logger.result({ ok: passed, dryRun: false, validations: results });
  else
    logger.result(
      results
        .map(
          (r) =>
            `${r.imageId} ${r.region}: ${r.passed ? 'passed' : `FAILED at ${r.failedStep}: ${r.message}`}`,
        )
        .join('\n'),
    );
  return passed ? ExitCode.ok : ExitCode.failure;
}

async function validationTargets(
  options: ValidateOptions,
  config: HephestusConfig | undefined,
): Promise<ValidationTarget[]> {
  if (options.artifacts) {
    if (options.ami.length > 0)
      throw new InputError('give --ami or --artifacts, not both', { setting: '--ami' });
    const result = await readArtifacts(options.artifacts);
    return result.builds.flatMap((build): ValidationTarget[] => {
      const images = build.artifacts.flatMap((a) => a.images ?? []);
      const configured = imageForBuild(config, build.name);
      const first = images.find((i) => i.region === configured?.regions[0]) ?? images[0];
      if (!first) return [];
      return [
        {
          image: configured?.name ?? build.name,
          region: first.region,
          imageId: amiId(first.ami, '--artifacts'),
          all: images.map((i) => ({ region: i.region, imageId: i.ami })),
          smokeTests: options.smokeTest.length > 0 ? options.smokeTest : (configured?.smoke_tests ?? []),
          fromConfig: options.smokeTest.length === 0 && configured !== undefined,
        },
      ];
    });
  }
  if (options.ami.length === 0) throw new InputError('give --ami (or --artifacts)', { setting: '--ami' });
  const [region] = regionsOrDefault(options.region);
  const configured = options.image ? configuredImage(config, options.image) : undefined;
  return options.ami.map((value) => {
    const imageId = amiId(value);
    return {
      ...(configured ? { image: configured.name } : {}),
      region: region as string,
      imageId,
      all: [{ region: region as string, imageId }],
      smokeTests: options.smokeTest.length > 0 ? options.smokeTest : (configured?.smoke_tests ?? []),
      fromConfig: options.smokeTest.length === 0 && configured !== undefined,
    };
  });
}

export interface TagOptions {
  ami: string[];
  region: string[];
  artifacts?: string;
  status?: string;
  image?: string;
  run?: string;
  gitSha?: string;
  branch?: string;
  inputHash?: string;
  dryRun?: boolean;
}

/** Tags AMIs and their snapshots with Hephestus's tags. */
export async function amiTagCommand(options: TagOptions, { logger, json }: CommandContext): Promise<void> {
  if (options.status !== undefined && !(IMAGE_STATUSES as readonly string[]).includes(options.status)) {
    throw new InputError(
      `must be one of ${IMAGE_STATUSES.join(', ')}, not ${JSON.stringify(options.status)}`,
      {
        setting: '--status',
      },
    );
  }
  const tags = toTags({
    status: options.status as ImageStatus | undefined,
    image: options.image,
    run: options.run,
    gitSha: options.gitSha,
    branch: options.branch,
    inputHash: options.inputHash,
  });
  if (tags.length === 0)
    throw new InputError('no tag given: use --status, --image, --run, ...', { setting: '--status' });
  let images: RegionalImage[];
  if (options.artifacts) {
    const result = await readArtifacts(options.artifacts);
    images = result.builds
      .flatMap((b) => b.artifacts.flatMap((a) => a.images ?? []))
      .map((i) => ({ region: i.region, imageId: amiId(i.ami, '--artifacts') }));
  } else {
    if (options.ami.length === 0) throw new InputError('give --ami (or --artifacts)', { setting: '--ami' });
    const [region] = regionsOrDefault(options.region);
    images = options.ami.map((value) => ({ region: region as string, imageId: amiId(value) }));
  }
  if (options.dryRun) {
    if (json) logger.result({ ok: true, dryRun: true, images, tags });
    else
      logger.result(
        `would tag ${images.map((i) => `${i.region}:${i.imageId}`).join(', ')} and their snapshots with ${describeTags(tags)}`,
      );
    return;
  }
  const tagged = await tagImages(clientsFor(), images, tags);
  if (json) logger.result({ ok: true, dryRun: false, tags, regions: tagged });
  else
    logger.result(
      tagged
        .map(
          (t) =>
            `${t.region}: tagged ${[...t.imageIds, ...t.snapshotIds].join(', ')} with ${describeTags(tags)}`,
        )
        .join('\n'),
    );
}

export interface PromoteOptions {
  config?: string;
  image: string;
  channel: string;
  ami: string[];
  region: string[];
  channels?: string[];
  allowUnvalidated?: boolean;
  rollback?: boolean;
  dryRun?: boolean;
}

/**
 * Moves an image set into `--channel` in each region: the given AMIs, else the one holding the channel before
 * it (the newest validated image for the first channel). `--rollback` points the channel back instead.
 */
export async function amiPromoteCommand(
  options: PromoteOptions,
  { logger, json }: CommandContext,
): Promise<void> {
  const config = await optionalConfig(options.config);
  const channels =
    options.channels && options.channels.length > 0
      ? options.channels
      : (config?.channels ?? ['canary', 'edge', 'stable']);
  if (!channels.includes(options.channel)) {
    throw new InputError(
      `unknown channel ${JSON.stringify(options.channel)}; channels are ${channels.join(', ')}`,
      {
        setting: '--channel',
      },
    );
  }
  const configured = config?.images.find((i) => i.name === options.image);
  const regions = regionsOrDefault(options.region, configured?.regions ?? []);
  const ec2For = clientsFor();
  if (options.rollback) {
    if (options.dryRun) {
      const holders = await Promise.all(
        regions.map(async (region) => ({
          region,
          holder: (await channelHolders(ec2For(region), options.image, options.channel))[0]?.imageId,
        })),
      );
      if (json) logger.result({ ok: true, dryRun: true, rollback: true, channel: options.channel, holders });
      else
        logger.result(
          holders
            .map((h) => `${h.region}: would roll ${options.channel} back from ${h.holder ?? '(none)'}`)
            .join('\n'),
        );
      return;
    }
    const moves = await rollback(ec2For, { image: options.image, channel: options.channel, regions });
    if (json) logger.result({ ok: true, dryRun: false, rollback: true, moves });
    else
      logger.result(
        moves.map((m) => `${m.region}: ${m.channel} back to ${m.imageId} (was ${m.previous})`).join('\n'),
      );
    return;
  }
  const images = await promotionCandidates(options, channels, regions, ec2For);
  if (options.dryRun) {
    if (json) logger.result({ ok: true, dryRun: true, channel: options.channel, images });
    else
      logger.result(
        images.map((i) => `${i.region}: would move ${i.imageId} into ${options.channel}`).join('\n'),
      );
    return;
  }
  const moves = await promote(ec2For, {
    image: options.image,
    images,
    channels,
    to: options.channel,
    allowUnvalidated: options.allowUnvalidated === true,
  });
  if (json) logger.result({ ok: true, dryRun: false, moves });
  else
    logger.result(
      moves
        .map(
          (m) =>
            `${m.region}: ${m.imageId} ${m.outcome === 'moved' ? `now holds ${m.channel}${m.previous ? ` (was ${m.previous})` : ''}` : `already holds ${m.channel}`}`,
        )
        .join('\n'),
    );
}

async function promotionCandidates(
  options: PromoteOptions,
  channels: string[],
  regions: string[],
  ec2For: ReturnType<typeof clientsFor>,
): Promise<RegionalImage[]> {
  if (options.ami.length > 0) {
    if (options.ami.length !== regions.length) {
      throw new InputError('give one --ami per --region, in the same order', { setting: '--ami' });
    }
    return options.ami.map((value, index) => ({ region: regions[index] as string, imageId: amiId(value) }));
  }
  const before = channels[channels.indexOf(options.channel) - 1];
  return Promise.all(
    regions.map(async (region) => {
      const ec2 = ec2For(region);
      const found = before
        ? await channelHolders(ec2, options.image, before)
        : (
            await ownImages(ec2, [
              { Name: `tag:${TAG.image}`, Values: [options.image] },
              { Name: `tag:${TAG.status}`, Values: ['validated'] },
              { Name: 'state', Values: ['available'] },
            ])
          ).sort(newestFirst);
      const image = found[0];
      if (!image) {
        throw new InputError(
          `no image of ${options.image} ${before ? `holds ${before}` : 'is validated'} in ${region}; give --ami`,
          { setting: '--ami' },
        );
      }
      return { region, imageId: image.imageId };
    }),
  );
}

export interface PruneCliOptions {
  config?: string;
  keep?: string;
  image?: string;
  region: string[];
  protectDays: string;
  skipLaunchTemplates?: boolean;
  dryRun?: boolean;
}

/** Deregisters images beyond `--keep` per image set and channel, and their snapshots. */
export async function amiPruneCommand(
  options: PruneCliOptions,
  { logger, json }: CommandContext,
): Promise<void> {
  const config = await optionalConfig(options.config);
  const keep = integer(options.keep ?? config?.keep ?? 3, '--keep', 1);
  const protectDays = integer(options.protectDays, '--protect-days', 0);
  const configuredRegions = [
    ...new Set(
      (config?.images ?? [])
        .filter((i) => !options.image || i.name === options.image)
        .flatMap((i) => i.regions),
    ),
  ];
  const regions = regionsOrDefault(options.region, configuredRegions);
  logger.info(
    `pruning ${options.image ?? 'every image set'} in ${regions.join(', ')}, keeping ${keep}${options.dryRun ? ' (dry run)' : ''}`,
  );
  const result = await prune(clientsFor(), {
    regions,
    keep,
    ...(options.image ? { image: options.image } : {}),
    protectDays,
    dryRun: options.dryRun === true,
    launchTemplates: options.skipLaunchTemplates ? 'skip' : 'check',
  });
  if (json) {
    logger.result({ ok: true, ...result });
    return;
  }
  const verb = options.dryRun ? 'would delete' : 'deleted';
  logger.result(
    [
      ...result.decisions.map(
        (d) => `${d.region} ${d.imageId} ${d.group}: ${d.action === 'delete' ? verb : 'keep'} (${d.reason})`,
      ),
      ...result.snapshotsLeft.map((s) => `${s.region} ${s.snapshotId}: left (${s.reason})`),
    ].join('\n') || 'no images of Hephestus found',
  );
}

export interface SweepCliOptions {
  config?: string;
  region: string[];
  graceMinutes: string;
  defaultTimeoutMinutes: string;
  dryRun?: boolean;
}

/** Terminates validation instances that outlived their run's timeout. */
export async function amiSweepCommand(
  options: SweepCliOptions,
  { logger, json }: CommandContext,
): Promise<void> {
  const config = await optionalConfig(options.config);
  const regions = regionsOrDefault(options.region, [
    ...new Set((config?.images ?? []).flatMap((i) => i.regions)),
  ]);
  const found = await sweep(clientsFor(), {
    regions,
    graceMinutes: integer(options.graceMinutes, '--grace-minutes', 0),
    defaultTimeoutMinutes: integer(options.defaultTimeoutMinutes, '--default-timeout-minutes', 1),
    dryRun: options.dryRun === true,
  });
  if (json) {
    logger.result({ ok: true, dryRun: options.dryRun === true, instances: found });
    return;
  }
  const verb = options.dryRun ? 'would terminate' : 'terminated';
  logger.result(
    found
      .map(
        (i) =>
          `${i.region} ${i.instanceId} (${i.imageId ?? '?'}, ${i.ageMinutes}m old, limit ${i.limitMinutes}m): ${i.action === 'terminate' ? verb : 'kept'}`,
      )
      .join('\n') || `no validation instances in ${regions.join(', ')}`,
  );
}

function configuredImage(config: HephestusConfig | undefined, name: string) {
  const image = config?.images.find((i) => i.name === name);
  if (!image) {
    throw new InputError(
      `no image ${JSON.stringify(name)} in the configuration${config ? ` (images: ${config.images.map((i) => i.name).join(', ')})` : ' (none loaded; give --config)'}`,
      { setting: '--image' },
    );
  }
  return image;
}

function toLists(record: Record<string, string | string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
}

function describeTags(tags: Tag[]): string {
  return tags.map((t) => `${t.Key}=${t.Value}`).join(' ');
}
