/**
 * One Packer run per template, variable files and regions; each image of the run gets its AMIs (tagged built),
 * another builder's artifacts (reported as they are), or a failure (its AMIs, if any, tagged failed).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { packerCredentials } from '../aws/packer-credentials.js';
import { setImageStatus } from '../aws/tag-images.js';
import type { FlowContext } from '../flows/flow-context.js';
import type { PackerResult } from '../packer/artifacts.js';
import { runPackerBuild } from '../packer/packer-build.js';
import { renderProgress } from '../packer/progress-view.js';
import { type Checkout, repoPath } from '../update/checkout.js';
import { claimBuiltImages, refuseUnclaimed } from './claim-images.js';
import { type BuildRun, describeBuilt, NOT_AN_AMI, type PlannedBuild, regional } from './image-build.js';
import { amisOf, buildErrors, genericArtifactsOf } from './packer-outcome.js';
import { initPlugins, packerEnv, packerVars } from './packer-setup.js';

/** Builds `toBuild`, filling in each entry: see the module comment. */
export async function buildImages(
  context: FlowContext,
  checkout: Checkout,
  run: BuildRun,
  toBuild: readonly PlannedBuild[],
): Promise<void> {
  const groups = groupByPackerRun(toBuild);
  // Every template is initialized before the first build, so a Packer too old for one of them builds nothing.
  for (const group of groups)
    await initPlugins(context, checkout, run.packerVersion, (group[0] as PlannedBuild).image);
  const artifacts = context.options.artifacts ?? (await context.workDir('artifacts'));
  await mkdir(artifacts, { recursive: true });
  const credentials = packerCredentials(context.env);
  if (credentials.kind === 'shared') context.logger.warn(credentials.warning);
  for (const [index, group] of groups.entries()) {
    const suffix = `${index + 1}-${group.map((g) => g.image.name).join('-')}`;
    const result = await runPacker(context, checkout, group, join(artifacts, `packer-${suffix}`));
    for (const planned of group) await takeOutcome(context, run, result, planned, group.length === 1);
    for (const { entry } of group) {
      // AMIs of a run that failed part-way are marked, so nothing promotes them by accident.
      if (entry.status === 'failed' && Object.keys(entry.amis).length) {
        await setImageStatus(context.ec2For, regional(entry.amis), 'failed');
      }
    }
    await refuseUnclaimed(context, run, result, group);
  }
}

/** Images built by one Packer run: same template, variable files and regions. */
function groupByPackerRun(toBuild: readonly PlannedBuild[]): PlannedBuild[][] {
  const groups = new Map<string, PlannedBuild[]>();
  for (const item of toBuild) {
    const key = JSON.stringify([item.image.template, item.image.var_files, item.image.regions]);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.values()];
}

/** `packer build` of the group's template, its log and parsed output under `outPrefix`. */
async function runPacker(
  context: FlowContext,
  checkout: Checkout,
  group: readonly PlannedBuild[],
  outPrefix: string,
): Promise<PackerResult> {
  const first = (group[0] as PlannedBuild).image;
  const only = group.every((g) => g.image.build) ? group.map((g) => g.image.build as string) : [];
  context.logger.info(`packer build ${first.template} (${group.map((g) => g.image.name).join(', ')})`);
  const outcome = await runPackerBuild({
    template: repoPath(checkout.dir, first.template, `images.${first.name}.template`),
    varFiles: first.var_files.map((file) => repoPath(checkout.dir, file, `images.${first.name}.var_files`)),
    vars: await packerVars(context, checkout, first),
    only,
    logFile: `${outPrefix}.log`,
    outFile: `${outPrefix}.json`,
    cwd: checkout.dir,
    env: packerEnv(context, checkout.config),
    passEnv: checkout.config.packer.pass_env,
    redact: (text) => context.logger.redact(text),
    onProgress: (event) => {
      for (const line of renderProgress(event)) context.logger.write(`${line}\n`);
    },
  });
  return outcome.result;
}

/** The image's share of the run: its artifacts, its AMIs (claimed), or its failure. */
async function takeOutcome(
  context: FlowContext,
  run: BuildRun,
  result: PackerResult,
  planned: PlannedBuild,
  only: boolean,
): Promise<void> {
  const { image, entry } = planned;
  const generic = genericArtifactsOf(result, image, only);
  if (generic) {
    entry.status = 'built';
    entry.artifacts = generic;
    entry.note = NOT_AN_AMI;
    context.logger.info(`${image.name}: built ${describeBuilt(entry)}; ${NOT_AN_AMI}`);
    return;
  }
  const amis = amisOf(result, image, only);
  if (!amis || !image.regions.every((region) => amis[region])) {
    entry.status = 'failed';
    entry.failure = `packer build failed: ${buildErrors(result, image) || 'no AMI in every region'}`;
    if (amis) entry.amis = amis;
    return;
  }
  entry.amis = amis;
  await claimBuiltImages(context, run, planned);
}
