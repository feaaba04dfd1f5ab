/**
 * `hephestus ami latest`: the newest base AMI per region, as Packer's amazon-ami data source finds it, or
 * as a public SSM parameter names it.
 */
import { type BaseAmi, findBaseAmis } from '../../aws/base-ami.js';
import { findBaseAmisBySsm } from '../../aws/base-ami-ssm.js';
import { InputError } from '../../errors.js';
import { configuredImage, filters, optionalConfig, regionsOrDefault } from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';
import { clientsPerRegion, ec2PerRegion } from './ami-clients.js';

export interface LatestOptions {
  config?: string;
  image?: string;
  owners: string[];
  filter: string[];
  ssmParameter?: string;
  region: string[];
}

/** The newest base AMI per region, from flags or from an image's `base_ami` in the configuration. */
export async function amiLatestCommand(
  options: LatestOptions,
  { logger, json }: CommandContext,
): Promise<void> {
  let owners = options.owners;
  let query = filters(options.filter);
  let parameter = options.ssmParameter;
  let fallbackRegions: string[] = [];
  const byFlags = owners.length > 0 || Object.keys(query).length > 0 || parameter !== undefined;
  if (options.image) {
    const image = configuredImage(await optionalConfig(options.config), options.image);
    if (!image.base_ami) throw new InputError(`image ${image.name} has no base_ami`, { setting: '--image' });
    if (!byFlags) {
      owners = image.base_ami.owners ?? [];
      query = toLists(image.base_ami.filters ?? {});
      parameter = image.base_ami.ssm_parameter;
    }
    fallbackRegions = image.regions;
  }
  if (parameter !== undefined && owners.length > 0) {
    throw new InputError('give --ssm-parameter or --owners with filters, not both', {
      setting: '--ssm-parameter',
    });
  }
  if (parameter === undefined && owners.length === 0) {
    throw new InputError(
      "give --owners (account ids or aliases such as amazon), as Packer's amazon-ami requires, or --ssm-parameter",
      { setting: '--owners' },
    );
  }
  const regions = regionsOrDefault(options.region, fallbackRegions);
  const images = await latestIn(regions, parameter, owners, query, options.image, logger);
  if (json) logger.result({ ok: true, images });
  else logger.result(images.map((i) => `${i.region} ${i.imageId} ${i.name} ${i.creationDate}`).join('\n'));
}

async function latestIn(
  regions: string[],
  parameter: string | undefined,
  owners: string[],
  query: Record<string, string[]>,
  image: string | undefined,
  logger: CommandContext['logger'],
): Promise<BaseAmi[]> {
  if (parameter !== undefined) {
    logger.info(`reading SSM parameter ${parameter} in ${regions.join(', ')}`);
    return findBaseAmisBySsm(
      clientsPerRegion(),
      regions.map((region) => ({
        image: image ?? '(--ssm-parameter)',
        region,
        parameter,
        location: { setting: image ? `images.${image}.base_ami.ssm_parameter` : '--ssm-parameter' },
      })),
    );
  }
  logger.info(`looking for the newest AMI of ${owners.join(',')} in ${regions.join(', ')}`);
  return findBaseAmis(ec2PerRegion(), regions, {
    owners,
    filters: query,
    location: { setting: '--filter' },
  });
}

function toLists(record: Record<string, string | string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
}
