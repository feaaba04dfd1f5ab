/** `hephestus ami promote`: moves an image set into a channel, or rolls a channel back. */
import { type ChannelPublishing, channelPublishing } from '../../aws/channel-parameters.js';
import { channelHolders, moveChannel, rollback } from '../../aws/channels.js';
import { TAG } from '../../aws/image-tags.js';
import { newestFirst, ownImages } from '../../aws/own-images.js';
import type { RegionalImage } from '../../aws/tag-images.js';
import { InputError } from '../../errors.js';
import { amiId, optionalConfig, regionsOrDefault } from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';
import { clientsPerRegion, ec2PerRegion } from './ami-clients.js';

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
  const ec2For = ec2PerRegion();
  const clients = clientsPerRegion();
  // Publishing follows hephestus.yml, so `ami promote` keeps the SSM parameters as the flows do.
  const publish = channelPublishing(config?.ssm_parameters, (region) => clients(region).ssm);
  const protect = config?.deregistration_protection ?? true;
  if (options.rollback)
    return rollbackChannel(options, regions, ec2For, { publish, protect }, { logger, json });
  const images = await promotionCandidates(options, channels, regions, ec2For);
  if (options.dryRun) {
    if (json) logger.result({ ok: true, dryRun: true, channel: options.channel, images });
    else
      logger.result(
        images.map((i) => `${i.region}: would move ${i.imageId} into ${options.channel}`).join('\n'),
      );
    return;
  }
  const moves = await moveChannel(ec2For, {
    image: options.image,
    images,
    channels,
    to: options.channel,
    allowUnvalidated: options.allowUnvalidated === true,
    publish,
    protect,
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

/** `--rollback`: points the channel back at the image it held before, in each region. */
async function rollbackChannel(
  options: PromoteOptions,
  regions: string[],
  ec2For: ReturnType<typeof ec2PerRegion>,
  { publish, protect }: { publish: ChannelPublishing | undefined; protect: boolean },
  { logger, json }: CommandContext,
): Promise<void> {
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
  const moves = await rollback(ec2For, {
    image: options.image,
    channel: options.channel,
    regions,
    publish,
    protect,
  });
  if (json) logger.result({ ok: true, dryRun: false, rollback: true, moves });
  else
    logger.result(
      moves.map((m) => `${m.region}: ${m.channel} back to ${m.imageId} (was ${m.previous})`).join('\n'),
    );
}

async function promotionCandidates(
  options: PromoteOptions,
  channels: string[],
  regions: string[],
  ec2For: ReturnType<typeof ec2PerRegion>,
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
