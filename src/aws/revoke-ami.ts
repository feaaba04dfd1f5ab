/**
 * Taking one AMI out of service, as revoke does in every region: tags that say it is revoked (why, when, by
 * which job) on the AMI and its snapshots, then EC2's own lifecycle: `DisableImage` (nobody can launch it;
 * reversible with `EnableImage`) or, when configured, `EnableImageDeprecation` at once (launches still work
 * by id, but it drops out of listings). Both steps look before they write, so a re-run changes nothing.
 */
import { DisableImageCommand, type EC2Client, EnableImageDeprecationCommand } from '@aws-sdk/client-ec2';
import { toTags } from './image-tags.js';
import type { ImageRecord } from './schema.js';
import { tagResources } from './tag-images.js';

/** What EC2 does to a revoked image: disable it, or deprecate it now. */
export type RetireAction = 'disable' | 'deprecate';

export interface RevocationMarks {
  /** Already cleaned and bounded (see images/revoke-reason.ts). */
  reason: string;
  /** ISO time. */
  at: string;
  by?: string;
}

export interface RevokedAmi {
  tagged: 'tagged' | 'unchanged';
  retired: 'disabled' | 'deprecated' | 'unchanged';
}

/** Marks `image` revoked (unless it already is: the first revocation's reason and time stay) and retires it. */
export async function revokeAmi(
  ec2: EC2Client,
  image: ImageRecord,
  marks: RevocationMarks,
  action: RetireAction,
  now: Date,
): Promise<RevokedAmi> {
  const tagged = image.tags.status === 'revoked' ? 'unchanged' : 'tagged';
  if (tagged === 'tagged') {
    await tagResources(
      ec2,
      [image.imageId, ...image.snapshotIds],
      toTags({ status: 'revoked', revokedReason: marks.reason, revokedAt: marks.at, revokedBy: marks.by }),
    );
  }
  return { tagged, retired: await retire(ec2, image, action, now) };
}

async function retire(
  ec2: EC2Client,
  image: ImageRecord,
  action: RetireAction,
  now: Date,
): Promise<RevokedAmi['retired']> {
  if (action === 'disable') {
    if (image.state === 'disabled') return 'unchanged';
    await ec2.send(new DisableImageCommand({ ImageId: image.imageId }));
    return 'disabled';
  }
  // EC2 rounds DeprecateAt to the nearest minute, so "at once" may read up to half a minute ahead.
  if (image.deprecationTime !== undefined && image.deprecationTime <= now.getTime() + 60_000)
    return 'unchanged';
  await ec2.send(new EnableImageDeprecationCommand({ ImageId: image.imageId, DeprecateAt: now }));
  return 'deprecated';
}

/** Remembers on the revoked AMI that consumers were started and the notice sent, so a re-run does neither. */
export async function markRevokeAnnounced(ec2: EC2Client, imageId: string, at: string): Promise<void> {
  await tagResources(ec2, [imageId], toTags({ revokeAnnounced: at }));
}
