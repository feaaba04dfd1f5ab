/**
 * What the dashboard shows of AWS: per configured image, channel and region the AMI holding the channel, its
 * base AMI (the `base-ami` tag the image's template sets, as the seed templates do) and its last validation
 * (the lock file's record for that AMI, else the run tag); the AMIs revoke tagged `hephestus:status=revoked`;
 * and the boxes monitor offers for them.
 */
import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { TAG } from '../aws/image-tags.js';
import { imagesOf, newestFirst } from '../aws/own-images.js';
import type { ImageRecord } from '../aws/schema.js';
import type { HephestusConfig, ImageConfig } from '../config/config-schema.js';
import type { FlowContext } from '../flows/flow-context.js';
import type { LockFile } from '../lock/lock-file.js';
import type { DashboardAction } from './dashboard-boxes.js';
import type { DashboardAmi, DashboardImage } from './dashboard-text.js';

/** The tag the image templates put the source AMI's id in. */
export const BASE_AMI_TAG = 'base-ami';
const REVOKED = 'revoked';

/** Every configured image's channels and revoked AMIs, read from EC2. */
export async function readFleet(
  context: FlowContext,
  config: HephestusConfig,
  lock: LockFile | undefined,
): Promise<DashboardImage[]> {
  return Promise.all(config.images.map((image) => readImage(context, config, image, lock)));
}

async function readImage(
  context: FlowContext,
  config: HephestusConfig,
  image: ImageConfig,
  lock: LockFile | undefined,
): Promise<DashboardImage> {
  const perRegion = await Promise.all(
    image.regions.map(async (region) => {
      const ec2 = context.ec2For(region);
      return { region, ec2, records: (await imagesOf(ec2, image.name)).sort(newestFirst) };
    }),
  );
  const channels = await Promise.all(
    config.channels.map(async (channel) => ({
      channel,
      amis: await channelAmis(perRegion, channel, image.name, lock),
    })),
  );
  const revoked = perRegion.flatMap(({ region, records }) =>
    records.filter(isRevoked).map((r) => ({ region, imageId: r.imageId, name: r.name })),
  );
  return { image: image.name, channels, revoked };
}

async function channelAmis(
  perRegion: Array<{ region: string; ec2: EC2Client; records: ImageRecord[] }>,
  channel: string,
  image: string,
  lock: LockFile | undefined,
): Promise<DashboardAmi[]> {
  const found = await Promise.all(
    perRegion.map(async ({ region, ec2, records }) => {
      const held = records.find((r) => r.tags.channel === channel && !isRevoked(r));
      if (!held) return [];
      const lockEntry = lock?.images[image];
      const validation =
        lockEntry?.amis[region] === held.imageId && lockEntry.validation
          ? lockEntry.validation
          : held.tags.run
            ? { run: held.tags.run }
            : undefined;
      const baseId = held.tagMap[BASE_AMI_TAG];
      return [
        {
          region,
          imageId: held.imageId,
          createdAt: held.creationTime,
          baseAmi: baseId ? await describeBase(ec2, baseId) : undefined,
          validation,
        },
      ];
    }),
  );
  return found.flat();
}

/** The base AMI's name and date; only its id when EC2 no longer shows it (deprecated, deregistered). */
async function describeBase(ec2: EC2Client, imageId: string): Promise<DashboardAmi['baseAmi']> {
  try {
    const answer = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    const found = answer.Images?.[0];
    const created = found?.CreationDate ? Date.parse(found.CreationDate) : Number.NaN;
    return {
      imageId,
      name: found?.Name,
      createdAt: Number.isNaN(created) ? undefined : created,
    };
  } catch {
    return { imageId };
  }
}

export function isRevoked(record: ImageRecord): boolean {
  return record.tagMap[TAG.status] === REVOKED;
}

/**
 * The boxes monitor offers: a rebuild per image; per channel holding an image, a promotion to the next channel
 * (none from the last) and a revoke.
 */
export function offeredActions(channels: readonly string[], fleet: DashboardImage[]): DashboardAction[] {
  return fleet.flatMap(({ image, channels: held }) => [
    { kind: 'rebuild' as const, image },
    ...held.flatMap(({ channel, amis }): DashboardAction[] => {
      if (amis.length === 0) return [];
      const next = channels[channels.indexOf(channel) + 1];
      return [
        ...(next ? [{ kind: 'promote' as const, image, from: channel, to: next }] : []),
        { kind: 'revoke' as const, image, channel },
      ];
    }),
  ]);
}
