/** `hephestus ami sweep`: terminates validation instances a killed job left behind. */
import { sweep } from '../../aws/sweep.js';
import { integer, optionalConfig, regionsOrDefault } from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';
import { ec2PerRegion } from './ami-clients.js';

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
  const found = await sweep(ec2PerRegion(), {
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
          `${i.region} ${i.instanceId} (${i.imageId ?? '?'}, ${i.ageMinutes}m old, limit ${i.limitMinutes}m${i.keptUntil ? `, kept to debug until ${i.keptUntil}` : ''}): ${i.action === 'terminate' ? verb : 'kept'}`,
      )
      .join('\n') || `no validation instances in ${regions.join(', ')}`,
  );
}
