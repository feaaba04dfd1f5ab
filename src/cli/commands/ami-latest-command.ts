/** `hephestus ami latest`: the newest base AMI per region, as Packer's amazon-ami data source finds it. */
import { findBaseAmis } from '../../aws/base-ami.js';
import { InputError } from '../../errors.js';
import { configuredImage, filters, optionalConfig, regionsOrDefault } from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';
import { ec2PerRegion } from './ami-clients.js';

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
  const images = await findBaseAmis(ec2PerRegion(), regions, {
    owners,
    filters: query,
    location: { setting: '--filter' },
  });
  if (json) logger.result({ ok: true, images });
  else logger.result(images.map((i) => `${i.region} ${i.imageId} ${i.name} ${i.creationDate}`).join('\n'));
}

function toLists(record: Record<string, string | string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
}
