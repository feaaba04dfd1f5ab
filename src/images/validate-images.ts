/**
 * Validation of the images a run built: each once, in its build region, with its smoke tests; its AMIs then
 * tagged `validated` or `failed`. A failed validation's instance is kept to debug when
 * `validation.keep_on_failure_minutes` asks; the image's next validation terminates those of earlier runs.
 */
import { TAG } from '../aws/image-tags.js';
import { terminateEarlierKeptInstances } from '../aws/kept-instances.js';
import { setImageStatus } from '../aws/tag-images.js';
import type { ValidationResult } from '../aws/validate-ami.js';
import { readSmokeTests, runValidation, validationGates } from '../aws/validation-run.js';
import { formatDuration, throttleProgress } from '../aws/waits.js';
import type { FlowContext } from '../flows/flow-context.js';
import type { Checkout } from '../update/checkout.js';
import { type BuildRun, type ImageBuildReport, type PlannedBuild, regional } from './image-build.js';

const VALIDATION_DEFAULTS = {
  instance_type: 't3.large',
  timeout_minutes: 45,
  keep_on_failure_minutes: 0,
  ready_text: 'Windows is Ready to use',
};

/** Validates the built images that await it, at once; their full results (for JUnit) by image name. */
export async function validateImages(
  context: FlowContext,
  checkout: Checkout,
  run: BuildRun,
  built: readonly PlannedBuild[],
): Promise<Map<string, ValidationResult>> {
  const pending = built.filter(({ entry }) => entry.status === 'pending');
  const results = await Promise.all(pending.map((item) => validateImage(context, checkout, run, item)));
  return new Map(pending.map(({ image }, index) => [image.name, results[index] as ValidationResult]));
}

async function validateImage(
  context: FlowContext,
  checkout: Checkout,
  run: BuildRun,
  { image, entry }: PlannedBuild,
): Promise<ValidationResult> {
  const region = image.regions[0] as string;
  const imageId = entry.amis[region] as string;
  const settings = { ...VALIDATION_DEFAULTS, ...checkout.config.validation };
  const smokeTests = await readSmokeTests(
    checkout.dir,
    image.smoke_tests,
    `images.${image.name}.smoke_tests`,
  );
  await endEarlierKeptInstances(context, region, image.name, run.run);
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
      keepOnFailureMinutes: settings.keep_on_failure_minutes,
      smokeTests,
      tags: [
        { Key: TAG.run, Value: run.run },
        { Key: TAG.image, Value: image.name },
      ],
      ...validationGates(checkout.config.validation),
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
    ...(result.keptUntil ? { keptUntil: result.keptUntil } : {}),
    tests: result.tests.map((t) => ({ name: t.name, outcome: t.outcome, exitCode: t.exitCode })),
    ...gateReport(result),
  };
  await setImageStatus(context.ec2For, regional(entry.amis), entry.status);
  context.logger.info(`${image.name}: ${entry.status}; tagged ${entry.status}`);
  if (result.keptUntil)
    context.logger.info(`${image.name}: ${result.instanceId} kept to debug until ${result.keptUntil}`);
  return result;
}

/** Terminates the instances earlier failed runs kept to debug this image; best effort, as sweep catches the rest. */
async function endEarlierKeptInstances(
  context: FlowContext,
  region: string,
  image: string,
  run: string,
): Promise<void> {
  try {
    const earlier = await terminateEarlierKeptInstances(context.ec2For(region), image, run);
    if (earlier.length > 0)
      context.logger.info(`${image}: terminated ${earlier.join(', ')}, kept to debug by an earlier run`);
  } catch (error) {
    context.logger.warn(
      `${image}: could not end instances earlier runs kept (${(error as Error).message}); \`hephestus ami sweep\` will`,
    );
  }
}

/** What the gates found, for the report: patch counts and the patches not in, Inspector's blocking findings. */
function gateReport(result: ValidationResult): Partial<NonNullable<ImageBuildReport['validation']>> {
  return {
    ...(result.patches
      ? {
          patches: {
            installed: result.patches.counts.installed,
            missing: result.patches.counts.missing,
            failed: result.patches.counts.failed,
          },
          missingPatches: result.patches.noncompliant,
        }
      : {}),
    ...(result.findings ? { blockingFindings: result.findings.blocking } : {}),
  };
}
