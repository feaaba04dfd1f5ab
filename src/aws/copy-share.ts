/**
 * Copies a built AMI to the other regions, all at once (each copy takes many minutes on AWS; in series
 * they add up), and shares images with other accounts. Re-running finds the copies made before by
 * name instead of copying again.
 */
import {
  CopyImageCommand,
  type EC2Client,
  ModifyImageAttributeCommand,
  waitUntilImageAvailable,
} from '@aws-sdk/client-ec2';
import { FailureError, InputError } from '../errors.js';
import type { Tag } from './image-tags.js';
import { ownImages } from './own-images.js';
import { type RegionalImage, tagImages } from './tag-images.js';
import { sdkWait, type WaitSettings } from './waits.js';

export interface CopyRequest {
  source: RegionalImage;
  /** The AMI name, the same in every region. */
  name: string;
  regions: string[];
  /** Tags for the copies and their snapshots (usually the source's). */
  tags: Tag[];
  wait: WaitSettings;
}

/** The source and a copy in every other region, each available and tagged; fails naming the regions that did not copy. */
export async function copyToRegions(
  clientFor: (region: string) => EC2Client,
  request: CopyRequest,
): Promise<RegionalImage[]> {
  const targets = request.regions.filter((region) => region !== request.source.region);
  const settled = await Promise.allSettled(targets.map((region) => copyOne(clientFor, region, request)));
  const failures = settled.flatMap((outcome, i) =>
    outcome.status === 'rejected' ? [`${targets[i]}: ${(outcome.reason as Error).message}`] : [],
  );
  if (failures.length > 0) {
    throw new FailureError(
      `copying ${request.source.imageId} failed in ${failures.length} of ${targets.length} regions: ${failures.join('; ')}`,
    );
  }
  const copies = settled.map((outcome) => (outcome as PromiseFulfilledResult<RegionalImage>).value);
  return [request.source, ...copies];
}

async function copyOne(
  clientFor: (region: string) => EC2Client,
  region: string,
  request: CopyRequest,
): Promise<RegionalImage> {
  const ec2 = clientFor(region);
  const existing = (await ownImages(ec2, [{ Name: 'name', Values: [request.name] }]))[0];
  let imageId = existing?.imageId;
  if (!imageId) {
    const copied = await ec2.send(
      new CopyImageCommand({
        SourceImageId: request.source.imageId,
        SourceRegion: request.source.region,
        Name: request.name,
        CopyImageTags: true,
        TagSpecifications: request.tags.length ? [{ ResourceType: 'image', Tags: request.tags }] : undefined,
      }),
    );
    imageId = copied.ImageId;
    if (!imageId) throw new FailureError('CopyImage returned no image id');
  } else if (existing?.state === 'failed') {
    throw new FailureError(`an earlier copy ${imageId} failed; deregister it and run again`);
  }
  await sdkWait(
    `${imageId} available in ${region}`,
    waitUntilImageAvailable,
    ec2,
    { ImageIds: [imageId] },
    request.wait,
  );
  const copy = { region, imageId };
  // Snapshots exist only once the copy is complete, so they are tagged after the wait.
  await tagImages(clientFor, [copy], request.tags);
  return copy;
}

/** Gives `accountIds` launch permission on every image. */
export async function shareImages(
  clientFor: (region: string) => EC2Client,
  images: RegionalImage[],
  accountIds: string[],
): Promise<void> {
  const invalid = accountIds.filter((id) => !/^\d{12}$/.test(id));
  if (invalid.length > 0) throw new InputError(`not AWS account ids (12 digits): ${invalid.join(', ')}`);
  if (accountIds.length === 0) return;
  await Promise.all(
    images.map(({ region, imageId }) =>
      clientFor(region).send(
        new ModifyImageAttributeCommand({
          ImageId: imageId,
          LaunchPermission: { Add: accountIds.map((UserId) => ({ UserId })) },
        }),
      ),
    ),
  );
}
