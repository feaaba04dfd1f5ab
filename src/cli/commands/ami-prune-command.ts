/** `hephestus ami prune`: deprecates superseded AMIs, later deregisters them and deletes their snapshots. */
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
  graceDays?: string;
  skipLaunchTemplates?: boolean;
  dryRun?: boolean;
}

/** Deprecates images beyond `--keep` per image set and channel; deregisters those deprecated past the grace period. */
export async function amiPruneCommand(
  options: PruneCliOptions,
  { logger, json }: CommandContext,
): Promise<void> {
  const config = await optionalConfig(options.config);
  const keep = integer(options.keep ?? config?.keep ?? 3, '--keep', 1);
  const protectDays = integer(options.protectDays, '--protect-days', 0);
  const graceDays = integer(options.graceDays ?? config?.deprecation_grace_days ?? 7, '--grace-days', 0);
  const configuredRegions = [
    ...new Set(
      (config?.images ?? [])
        .filter((i) => !options.image || i.name === options.image)
        .flatMap((i) => i.regions),
    ),
  ];
  const regions = regionsOrDefault(options.region, configuredRegions);
  logger.info(
    `pruning ${options.image ?? 'every image set'} in ${regions.join(', ')}, keeping ${keep}, deprecated ${graceDays} days before deregistering${options.dryRun ? ' (dry run)' : ''}`,
  );
  const result = await prune(ec2PerRegion(), {
    regions,
    keep,
    ...(options.image ? { image: options.image } : {}),
    protectDays,
    graceDays,
    dryRun: options.dryRun === true,
    launchTemplates: options.skipLaunchTemplates ? 'skip' : 'check',
  });
  if (json) {
    logger.result({ ok: true, ...result });
    return;
  }
  const verbs = options.dryRun
    ? { delete: 'would deregister', deprecate: 'would deprecate', keep: 'keep' }
    : { delete: 'deregistered', deprecate: 'deprecated', keep: 'keep' };
  logger.result(
    [
      ...result.decisions.map((d) => `${d.region} ${d.imageId} ${d.group}: ${verbs[d.action]} (${d.reason})`),
      ...result.snapshotsLeft.map((s) => `${s.region} ${s.snapshotId}: left (${s.reason})`),
    ].join('\n') || 'no images of Hephestus found',
  );
}
