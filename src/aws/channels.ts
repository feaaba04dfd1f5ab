/**
 * Channels: each image set has at most one image per channel and region, named by `hephestus:channel`.
 * Promoting moves the channel tag onto a new image; the image it displaces keeps a
 * `hephestus:previous-channel` record and the new holder names it in `hephestus:replaces`, which is
 * what rollback follows back.
 *
 * Every move also keeps EC2's side in step (image-protection.ts): the image taking a channel gets
 * deregistration protection and loses any deprecation, the one leaving it loses the protection; and, when
 * publishing is on, the channel's SSM parameter follows. Those come before the tag moves, which are the
 * commit point: a run cut short in between is finished by the re-run, never left half-protected.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { FailureError, InputError } from '../errors.js';
import { type ChannelPublishing, channelParameterName, publishChannel } from './channel-parameters.js';
import { protectChannelHolder, releaseChannelHolder } from './image-protection.js';
import { revokedReason, TAG, toTags } from './image-tags.js';
import { newestFirst, ownImage, ownImages } from './own-images.js';
import type { ImageRecord } from './schema.js';
import type { PublishOutcome } from './ssm-parameters.js';
import { type RegionalImage, tagResources, untagResources } from './tag-images.js';

export interface ChannelMoveRequest {
  /** The image set (`hephestus:image`). */
  image: string;
  /** The images to promote, one per region. */
  images: RegionalImage[];
  /** Channel order, e.g. canary, edge, stable. */
  channels: string[];
  /** The channel to move into; the one after the image's current channel by default. */
  to?: string;
  /** Promote images not tagged `validated` (default false). */
  allowUnvalidated?: boolean;
  /** Publish the channel to SSM Parameter Store too. */
  publish?: ChannelPublishing;
  /** Turn on deregistration protection for the image taking the channel (default true). */
  protect?: boolean;
}

export interface ChannelMove {
  region: string;
  channel: string;
  imageId: string;
  /** The image that held the channel before. */
  previous?: string;
  outcome: 'moved' | 'unchanged';
  /** The channel's SSM parameter, when publishing is on, and what the move did to it. */
  parameter?: { name: string; outcome: PublishOutcome };
}

/** Moves `request.images` into their next (or the given) channel, each region on its own. */
export async function moveChannel(
  clientFor: (region: string) => EC2Client,
  request: ChannelMoveRequest,
): Promise<ChannelMove[]> {
  if (request.to !== undefined && !request.channels.includes(request.to)) {
    throw new InputError(
      `unknown channel ${JSON.stringify(request.to)}; channels are ${request.channels.join(', ')}`,
      {
        setting: 'channels',
      },
    );
  }
  return Promise.all(
    request.images.map((target) => promoteInRegion(clientFor(target.region), target, request)),
  );
}

async function promoteInRegion(
  ec2: EC2Client,
  target: RegionalImage,
  request: ChannelMoveRequest,
): Promise<ChannelMove> {
  const image = await ownImage(ec2, target.imageId);
  if (!image) throw new InputError(`${target.imageId} is not an image of this account in ${target.region}`);
  if (image.tags.image !== request.image) {
    throw new InputError(
      `${target.imageId} belongs to image set ${JSON.stringify(image.tags.image ?? '(none)')}, not ${JSON.stringify(request.image)}`,
    );
  }
  if (image.tags.status === 'revoked') {
    throw new FailureError(
      `${target.imageId} in ${target.region} ${revokedReason(image.tags)}; it cannot be promoted`,
    );
  }
  if (image.tags.status !== 'validated' && !request.allowUnvalidated) {
    throw new FailureError(
      `${target.imageId} in ${target.region} is ${image.tags.status ?? 'untagged'}, not validated; it cannot be promoted`,
    );
  }
  const currentIndex = image.tags.channel === undefined ? -1 : request.channels.indexOf(image.tags.channel);
  const channel = request.to ?? request.channels[currentIndex + 1];
  if (channel === undefined) {
    throw new InputError(`${target.imageId} already holds the last channel, ${image.tags.channel}`);
  }
  if (image.tags.channel === channel) {
    // Publishing may have been switched on since, or protection lifted by hand: the re-run restores both.
    const parameter = await takeChannel(
      ec2,
      image,
      { region: target.region, image: request.image, channel },
      request,
    );
    return { region: target.region, channel, imageId: image.imageId, outcome: 'unchanged', ...parameter };
  }
  if (request.channels.indexOf(channel) < currentIndex) {
    throw new InputError(
      `${target.imageId} holds ${image.tags.channel}, past ${channel}; use rollback to go back`,
    );
  }
  const holders = (await channelHolders(ec2, request.image, channel)).filter(
    (h) => h.imageId !== image.imageId,
  );
  const previous = holders[0]?.imageId;
  const where = { region: target.region, image: request.image, channel };
  const parameter = await takeChannel(ec2, image, where, request);
  // The new holder is tagged first: for a moment two images hold the channel (readers take the newest),
  // never none.
  await untagResources(ec2, withSnapshots(image), [TAG.previousChannel, TAG.rolledBackFrom, TAG.replaces]);
  await tagResources(ec2, withSnapshots(image), toTags({ channel, replaces: previous }));
  for (const holder of holders) {
    await releaseChannelHolder(ec2, holder);
    await untagResources(ec2, withSnapshots(holder), [TAG.channel]);
    await tagResources(ec2, withSnapshots(holder), toTags({ previousChannel: channel }));
  }
  return { region: target.region, channel, imageId: image.imageId, previous, outcome: 'moved', ...parameter };
}

/** EC2's and SSM's side of `image` taking `where.channel`, done before its tags move. */
async function takeChannel(
  ec2: EC2Client,
  image: ImageRecord,
  where: { region: string; image: string; channel: string },
  { publish, protect = true }: { publish?: ChannelPublishing; protect?: boolean },
): Promise<Pick<ChannelMove, 'parameter'>> {
  if (protect) await protectChannelHolder(ec2, image);
  if (!publish) return {};
  const outcome = await publishChannel(publish, where, image.imageId);
  return { parameter: { name: channelParameterName(publish.prefix, where.image, where.channel), outcome } };
}

export interface RollbackRequest {
  image: string;
  channel: string;
  regions: string[];
  /** Publish the channel to SSM Parameter Store too. */
  publish?: ChannelPublishing;
  /** Turn on deregistration protection for the image taking the channel (default true). */
  protect?: boolean;
}

/** Points `channel` back at the image it held before, in every region. */
export async function rollback(
  clientFor: (region: string) => EC2Client,
  request: RollbackRequest,
): Promise<ChannelMove[]> {
  return Promise.all(request.regions.map((region) => rollbackInRegion(clientFor(region), region, request)));
}

async function rollbackInRegion(
  ec2: EC2Client,
  region: string,
  request: RollbackRequest,
): Promise<ChannelMove> {
  const { image, channel } = request;
  const holder = (await channelHolders(ec2, image, channel))[0];
  if (!holder)
    throw new FailureError(`no image of ${image} holds ${channel} in ${region}; nothing to roll back`);
  const displaced = await ownImages(ec2, [
    { Name: `tag:${TAG.image}`, Values: [image] },
    { Name: `tag:${TAG.previousChannel}`, Values: [channel] },
  ]);
  const candidates = displaced
    // Only a validated image takes a channel back: never a revoked (or failed) one.
    .filter((d) => d.imageId !== holder.imageId && d.state === 'available' && d.tags.status === 'validated')
    .sort(newestFirst);
  const previous = candidates.find((d) => d.imageId === holder.tags.replaces) ?? candidates[0];
  if (!previous)
    throw new FailureError(
      `no earlier image of ${image} held ${channel} in ${region}; nothing to roll back to`,
    );
  const parameter = await takeChannel(ec2, previous, { region, image, channel }, request);
  await untagResources(ec2, withSnapshots(previous), [TAG.previousChannel]);
  await tagResources(ec2, withSnapshots(previous), toTags({ channel }));
  await releaseChannelHolder(ec2, holder);
  await untagResources(ec2, withSnapshots(holder), [TAG.channel]);
  await tagResources(ec2, withSnapshots(holder), toTags({ rolledBackFrom: channel }));
  return {
    region,
    channel,
    imageId: previous.imageId,
    previous: holder.imageId,
    outcome: 'moved',
    ...parameter,
  };
}

/** Images of `image` holding `channel`, newest first (normally one). */
export async function channelHolders(ec2: EC2Client, image: string, channel: string): Promise<ImageRecord[]> {
  const holders = await ownImages(ec2, [
    { Name: `tag:${TAG.image}`, Values: [image] },
    { Name: `tag:${TAG.channel}`, Values: [channel] },
  ]);
  return holders.sort(newestFirst);
}

function withSnapshots(image: ImageRecord): string[] {
  return [image.imageId, ...image.snapshotIds];
}
