/** `hephestus ami validate`: boots each AMI, runs its smoke tests over SSM, tags the outcome, writes JUnit. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { awsClientsPerRegion } from '../../aws/ec2-client.js';
import { type ImageStatus, TAG, type Tag, toTags } from '../../aws/image-tags.js';
import { type RegionalImage, tagImages } from '../../aws/tag-images.js';
import type { ValidationResult } from '../../aws/validate-ami.js';
import {
  readSmokeTests,
  runValidation,
  type ValidationSuite,
  validationGates,
  validationJunit,
} from '../../aws/validation-run.js';
import type { HephestusConfig } from '../../config/config-schema.js';
import { ExitCode, InputError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import {
  amiId,
  configuredImage,
  imageForBuild,
  integer,
  optionalConfig,
  progressLine,
  readArtifacts,
  regionsOrDefault,
} from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';

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
  { logger, json }: CommandContext,
): Promise<ExitCode> {
  const config = await optionalConfig(options.config);
  const targets = await validationTargets(options, config);
  const settings = validationSettings(options, config);
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
  const run: ValidationRun = {
    settings,
    clients: awsClientsPerRegion({ env: process.env }),
    runTag: { Key: TAG.run, Value: process.env.CIRCLE_WORKFLOW_ID || `local-${Date.now()}` },
    configDir: options.config ? dirname(options.config) : process.cwd(),
    tag: options.tag,
    logger,
  };
  const validated: ValidatedTarget[] = [];
  for (const target of targets) validated.push(await validateTarget(target, run));
  if (options.junit) {
    await mkdir(dirname(options.junit), { recursive: true });
    await writeFile(options.junit, validationJunit(validated.map((v) => v.suite)));
  }
  const results = validated.map((v) => v.result);
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

/** The instance every validation launches: the flags, else the configuration's `validation`, else defaults. */
function validationSettings(options: ValidateOptions, config: HephestusConfig | undefined) {
  const v = config?.validation;
  const timeoutMinutes = integer(options.timeoutMinutes ?? v?.timeout_minutes ?? 45, '--timeout-minutes', 1);
  return {
    instanceType: options.instanceType ?? v?.instance_type ?? 't3.large',
    subnetId: options.subnet ?? v?.subnet_id,
    securityGroupIds:
      options.securityGroup.length > 0 ? options.securityGroup : (v?.security_group_ids ?? []),
    instanceProfile: options.instanceProfile ?? v?.instance_profile,
    readyText: v?.ready_text,
    timeoutMs: timeoutMinutes * 60_000,
    // The same gates as build-validate: `ami validate` tags what passes `validated` too.
    ...validationGates(v),
  };
}

/** What every target's validation shares. */
interface ValidationRun {
  settings: ReturnType<typeof validationSettings>;
  clients: ReturnType<typeof awsClientsPerRegion>;
  runTag: Tag;
  /** Where the configuration's smoke-test paths are relative to. */
  configDir: string;
  /** Tag the AMIs validated or failed (not with --no-tag). */
  tag: boolean;
  logger: Logger;
}

interface ValidatedTarget {
  result: ValidationResult & { image?: string };
  suite: ValidationSuite;
}

/** Validates one target's AMI in its region and, unless --no-tag, tags every region's AMI with the outcome. */
async function validateTarget(target: ValidationTarget, run: ValidationRun): Promise<ValidatedTarget> {
  const { settings, clients, logger } = run;
  const smokeTests = await readSmokeTests(
    target.fromConfig ? run.configDir : process.cwd(),
    target.smokeTests,
    target.fromConfig ? `images.${target.image}.smoke_tests` : '--smoke-test',
  );
  logger.info(
    `validating ${target.imageId} in ${target.region} (${smokeTests.length} smoke test(s), timeout ${settings.timeoutMs / 60_000}m)`,
  );
  const { result, failure } = await runValidation(
    { ...settings, region: target.region, imageId: target.imageId, smokeTests, tags: [run.runTag] },
    { ...clients(target.region), onProgress: progressLine(logger) },
    (text) => logger.redact(text),
  );
  if (failure !== undefined) logger.error(failure);
  const suite = {
    name: `${target.image ?? target.imageId} ${target.region}`,
    result,
    failure,
    timestamp: new Date(),
  };
  if (run.tag) {
    const status: ImageStatus = result.passed ? 'validated' : 'failed';
    await tagImages((region) => clients(region).ec2, target.all, toTags({ status }));
    logger.info(`tagged ${target.all.map((i) => i.imageId).join(', ')} ${TAG.status}=${status}`);
  }
  return { result: { ...(target.image ? { image: target.image } : {}), ...result }, suite };
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
