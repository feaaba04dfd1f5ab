/**
 * revoke's AWS half: which AMIs to revoke, marking them (tags, then DisableImage or deprecation) in every
 * region, and rolling each channel one of them held back to the image it held before (validated, never
 * revoked). Every step reads before it writes, so a re-run finds the work done and changes nothing.
 */
import type { ChannelPublishing } from '../aws/channel-parameters.js';
import { type ChannelMove, channelHolders, rollback } from '../aws/channels.js';
import { releaseChannelHolder } from '../aws/image-protection.js';
import { TAG, toTags } from '../aws/image-tags.js';
import { ownImage, ownImages } from '../aws/own-images.js';
import { type RetireAction, type RevocationMarks, type RevokedAmi, revokeAmi } from '../aws/revoke-ami.js';
import type { ImageRecord } from '../aws/schema.js';
import { tagResources, untagResources } from '../aws/tag-images.js';
import type { ImageConfig } from '../config/config-schema.js';
import { FailureError, InputError } from '../errors.js';
import type { FlowContext } from '../flows/flow-context.js';

/** What a rollback does beside moving the tags: publish the channel to SSM, protect the image taking it. */
type ChannelGuards = { publish?: ChannelPublishing; protect?: boolean };

/** One AMI to revoke, as EC2 described it before the run changed anything. */
export interface RevokeTarget {
  region: string;
  record: ImageRecord;
}

const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

/**
 * The AMIs to revoke: `amis` (each an AMI of `image` in one of its regions), else the ones an earlier run
 * revoked for the same reason (a re-run: the first channel now holds their replacements), else the image set
 * held by the first channel that holds one.
 */
export async function findRevokeTargets(
  context: FlowContext,
  image: ImageConfig,
  channels: readonly string[],
  amis: readonly string[],
  reason: string,
): Promise<RevokeTarget[]> {
  if (amis.length) return Promise.all([...new Set(amis)].map((ami) => findGivenAmi(context, image, ami)));
  const revoked = await perRegion(context, image, (ec2) =>
    ownImages(ec2, [
      { Name: `tag:${TAG.image}`, Values: [image.name] },
      { Name: `tag:${TAG.status}`, Values: ['revoked'] },
    ]),
  );
  const again = revoked.filter((t) => t.record.tags.revokedReason === reason);
  if (again.length) return again;
  for (const channel of channels) {
    const held = await perRegion(context, image, async (ec2) =>
      (await channelHolders(ec2, image.name, channel)).slice(0, 1),
    );
    if (held.length) return refuseRolledBackTo(image.name, channel, held, revoked);
  }
  throw new InputError(`no channel (${channels.join(', ')}) holds an image of ${image.name}: pass --ami`, {
    setting: '--ami',
  });
}

/**
 * `held`, unless a channel holds there what an earlier revocation rolled it back to: a re-run whose reason was
 * edited would otherwise revoke the good image too. Revoking that one as well takes its --ami.
 */
function refuseRolledBackTo(
  image: string,
  channel: string,
  held: RevokeTarget[],
  revoked: readonly RevokeTarget[],
): RevokeTarget[] {
  for (const { region, record } of held) {
    const newer = revoked.find((r) => r.region === region && r.record.creationTime > record.creationTime);
    if (newer) {
      throw new InputError(
        `${newer.record.imageId} of ${image} (${region}) was revoked (${JSON.stringify(newer.record.tags.revokedReason ?? '')}), and ${channel} holds ${record.imageId}, the image it went back to: to revoke that one too, pass --ami ${record.imageId}`,
        { setting: '--ami' },
      );
    }
  }
  return held;
}

async function perRegion(
  context: FlowContext,
  image: ImageConfig,
  find: (ec2: ReturnType<FlowContext['ec2For']>) => Promise<ImageRecord[]>,
): Promise<RevokeTarget[]> {
  const found = await Promise.all(
    image.regions.map(async (region) =>
      (await find(context.ec2For(region))).map((record) => ({ region, record })),
    ),
  );
  return found.flat();
}

async function findGivenAmi(context: FlowContext, image: ImageConfig, ami: string): Promise<RevokeTarget> {
  if (!AMI_ID.test(ami)) throw new InputError(`not an AMI id: ${JSON.stringify(ami)}`, { setting: '--ami' });
  for (const region of image.regions) {
    const record = await ownImage(context.ec2For(region), ami);
    if (!record) continue;
    if (record.tags.image !== image.name) {
      throw new InputError(
        `${ami} (${region}) belongs to image set ${JSON.stringify(record.tags.image ?? '(none)')}, not ${image.name}`,
        { setting: '--ami' },
      );
    }
    return { region, record };
  }
  throw new InputError(`${ami} is not an AMI of ${image.name} in ${image.regions.join(', ')}`, {
    setting: '--ami',
  });
}

export interface MarkedAmi extends RevokedAmi {
  region: string;
  imageId: string;
}

/** Tags every target revoked and disables (or deprecates) it; a dry run says so and writes nothing. */
export async function markRevoked(
  context: FlowContext,
  targets: readonly RevokeTarget[],
  marks: RevocationMarks,
  action: RetireAction,
): Promise<MarkedAmi[]> {
  const now = new Date(marks.at);
  return Promise.all(
    targets.map(async ({ region, record }): Promise<MarkedAmi> => {
      const done = { region, imageId: record.imageId };
      const retired =
        action === 'disable' ? record.state === 'disabled' : record.deprecationTime !== undefined;
      if (context.dryRun) {
        if (record.tags.status !== 'revoked' || !retired)
          context.wouldDo(`tag ${record.imageId} (${region}) revoked and ${action} it`);
        return { ...done, tagged: 'unchanged', retired: 'unchanged' };
      }
      return { ...done, ...(await revokeAmi(context.ec2For(region), record, marks, action, now)) };
    }),
  );
}

/** A channel a revoked AMI held, in one region, and what holds it now. */
export interface ChannelRollback {
  region: string;
  channel: string;
  revoked: string;
  /** The image that holds the channel again; none when no earlier validated image did. */
  replacement?: string;
  outcome: 'rolled-back' | 'emptied' | 'unchanged' | 'would-roll-back';
}

/**
 * Rolls back every channel a target holds (or held, on a re-run: the rolled-back-from tag says which); with
 * `guards.publish`, the channel's SSM parameter follows, and the image taking it is protected (`guards.protect`),
 * as on every channel move.
 */
export async function rollBackChannels(
  context: FlowContext,
  image: string,
  targets: readonly RevokeTarget[],
  guards: ChannelGuards = {},
): Promise<ChannelRollback[]> {
  const rollbacks: ChannelRollback[] = [];
  for (const { region, record } of targets) {
    const ec2 = context.ec2For(region);
    const revoked = record.imageId;
    const held = record.tags.channel;
    if (held === undefined) {
      const was = record.tags.rolledBackFrom;
      if (was === undefined) continue;
      const holder = (await channelHolders(ec2, image, was))[0];
      rollbacks.push({ region, channel: was, revoked, replacement: holder?.imageId, outcome: 'unchanged' });
    } else if (context.dryRun) {
      context.wouldDo(`roll ${held} back from ${revoked} (${region}) to the image it held before`);
      rollbacks.push({ region, channel: held, revoked, outcome: 'would-roll-back' });
    } else {
      rollbacks.push(await rollBackOne(context, { image, channel: held, ...guards }, { region, record }));
    }
  }
  return rollbacks;
}

async function rollBackOne(
  context: FlowContext,
  { image, channel, ...guards }: { image: string; channel: string } & ChannelGuards,
  { region, record }: RevokeTarget,
): Promise<ChannelRollback> {
  let moves: ChannelMove[];
  try {
    moves = await rollback(context.ec2For, { image, channel, regions: [region], ...guards });
  } catch (error) {
    if (!(error instanceof FailureError)) throw error;
    // No earlier validated image: the channel is left empty rather than served by a revoked image.
    const ec2 = context.ec2For(region);
    const resources = [record.imageId, ...record.snapshotIds];
    // Its SSM parameter, if published, is left as it is: nothing validated could take its place.
    await releaseChannelHolder(ec2, record);
    await untagResources(ec2, resources, [TAG.channel]);
    await tagResources(ec2, resources, toTags({ rolledBackFrom: channel }));
    context.logger.warn(`${error.message}: ${channel} in ${region} now holds no image of ${image}`);
    return { region, channel, revoked: record.imageId, outcome: 'emptied' };
  }
  const move = moves[0] as ChannelMove;
  return { region, channel, revoked: record.imageId, replacement: move.imageId, outcome: 'rolled-back' };
}
