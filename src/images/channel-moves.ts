/**
 * Moving validated AMIs through the configured channels: promote puts an image's AMIs into the first channel,
 * announce moves a rolled-out image into the next one. An AMI never moves back, and a dry run moves nothing.
 */
import { channelPublishing } from '../aws/channel-parameters.js';
import { type ChannelMove, moveChannel } from '../aws/channels.js';
import { ownImages } from '../aws/own-images.js';
import { whyNotValidated } from '../aws/validated-image.js';
import type { HephestusConfig, ImageConfig } from '../config/config-schema.js';
import { FailureError } from '../errors.js';
import type { FlowContext } from '../flows/flow-context.js';
import { ANY_REGION, type ImageAmiMap, type RegionalAmis } from './image-set.js';

/** What moving a channel publishes to SSM under `config` (hephestus.yml `ssm_parameters`). */
/** What a channel move needs of the configuration: the channels, SSM publishing and deregistration protection. */
export type ChannelSettings = Pick<
  HephestusConfig,
  'channels' | 'ssm_parameters' | 'deregistration_protection'
>;

export function publishingOf(context: FlowContext, config: Pick<HephestusConfig, 'ssm_parameters'>) {
  return channelPublishing(config.ssm_parameters, (region) => context.aws(region).ssm);
}

/** Moves the AMIs into the first channel; AMIs already in any channel (a re-run, a later rollout) stay. */
export async function moveToFirstChannel(
  context: FlowContext,
  config: HephestusConfig,
  image: ImageConfig,
  amis: RegionalAmis,
  channel: string,
): Promise<ChannelMove[]> {
  const moves: ChannelMove[] = [];
  const pending: Array<{ region: string; imageId: string }> = [];
  for (const [region, imageId] of Object.entries(amis)) {
    const current = await channelOf(context, region, imageId);
    if (current !== undefined && config.channels.includes(current)) {
      moves.push({ region, channel: current, imageId, outcome: 'unchanged' });
    } else pending.push({ region, imageId });
  }
  if (pending.length === 0) return moves;
  if (context.dryRun) {
    context.wouldDo(`promote ${image.name} (${pending.map((p) => p.imageId).join(', ')}) to ${channel}`);
    return moves;
  }
  return [
    ...moves,
    ...(await moveChannel(context.ec2For, {
      image: image.name,
      images: pending,
      channels: config.channels,
      to: channel,
      publish: publishingOf(context, config),
      protect: config.deregistration_protection,
    })),
  ];
}

/** Moves every AMI of `images` to `channel` unless it is already there or further along. */
export async function moveToChannel(
  context: FlowContext,
  config: ChannelSettings,
  images: ImageAmiMap,
  channel: string,
): Promise<ChannelMove[]> {
  const moves: ChannelMove[] = [];
  for (const [image, amis] of Object.entries(images)) {
    for (const [region, imageId] of Object.entries(amis)) {
      if (region === ANY_REGION) continue;
      moves.push(await moveOne(context, config, image, { region, imageId }, channel));
    }
  }
  return moves;
}

async function moveOne(
  context: FlowContext,
  config: ChannelSettings,
  image: string,
  { region, imageId }: { region: string; imageId: string },
  channel: string,
): Promise<ChannelMove> {
  const { channels } = config;
  const current = await channelOf(context, region, imageId);
  if (current !== undefined && channels.indexOf(current) >= channels.indexOf(channel)) {
    return { region, channel: current, imageId, outcome: 'unchanged' };
  }
  if (context.dryRun) {
    context.wouldDo(`promote ${image} ${imageId} (${region}) to ${channel}`);
    return { region, channel, imageId, outcome: 'unchanged' };
  }
  const [move] = await moveChannel(context.ec2For, {
    image,
    images: [{ region, imageId }],
    channels,
    to: channel,
    publish: publishingOf(context, config),
    protect: config.deregistration_protection,
  });
  return move as ChannelMove;
}

async function channelOf(context: FlowContext, region: string, imageId: string): Promise<string | undefined> {
  const [record] = await ownImages(context.ec2For(region), [{ Name: 'image-id', Values: [imageId] }]);
  return record?.tags.channel;
}

/** Fails (exit 1, naming them) when an AMI is not a validated image of ours that reached the first channel. */
export async function refuseUnvalidated(
  context: FlowContext,
  channels: string[],
  images: ImageAmiMap,
): Promise<void> {
  const problems: string[] = [];
  for (const [image, amis] of Object.entries(images)) {
    for (const [region, imageId] of Object.entries(amis)) {
      if (region === ANY_REGION) continue;
      const why = await whyNotValidated(context.ec2For(region), imageId, {
        owners: [],
        channels,
        channel: channels[0] as string,
        image,
      });
      if (why) problems.push(`${imageId} (${image}, ${region}) ${why}`);
    }
  }
  if (problems.length) throw new FailureError(`refusing to announce: ${problems.join('; ')}`);
}
