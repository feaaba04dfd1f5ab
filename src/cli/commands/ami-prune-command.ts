/** `hephestus ami prune`: deregisters old AMIs and deletes their snapshots. */
import { prune } from '../../aws/prune.js';
import { integer, optionalConfig, regionsOrDefault } from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';
import { ec2PerRegion } from './ami-clients.js';

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
  const result = await prune(ec2PerRegion(), {
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
