/**
 * EC2's own guard rails for the images that hold a channel: deregistration protection while an image holds
 * one (so neither prune nor a hand in the console can deregister what launch templates and consumers
 * follow), no deprecation while it does (a rollback may return to an image prune already deprecated).
 * Protection is enabled without EC2's 24-hour cooldown: once an image leaves its channel, prune's own
 * deprecation grace period is the wait.
 */
import {
  DisableImageDeprecationCommand,
  DisableImageDeregistrationProtectionCommand,
  type EC2Client,
  EnableImageDeregistrationProtectionCommand,
} from '@aws-sdk/client-ec2';
import type { ImageRecord } from './schema.js';

/** Whether DeregisterImage would refuse `image` at `now`: protection on, or a cooldown still running. */
export function isDeregistrationProtected(image: ImageRecord, now: number): boolean {
  const protection = image.deregistrationProtection;
  if (protection.startsWith('enabled')) return true;
  const until = /^disabled-until (.+)$/.exec(protection)?.[1];
  return until !== undefined && Date.parse(until) > now;
}

/** Protects an image taking a channel and lifts its deprecation; calls only what is not so already. */
export async function protectChannelHolder(ec2: EC2Client, image: ImageRecord): Promise<void> {
  if (!image.deregistrationProtection.startsWith('enabled')) {
    await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: image.imageId }));
  }
  if (image.deprecationTime !== undefined) {
    await ec2.send(new DisableImageDeprecationCommand({ ImageId: image.imageId }));
  }
}

/** Lifts the protection of an image leaving its channel, when it has it. */
export async function releaseChannelHolder(ec2: EC2Client, image: ImageRecord): Promise<void> {
  if (image.deregistrationProtection.startsWith('enabled')) {
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: image.imageId }));
  }
}
