/**
 * Tags AMIs and their snapshots together, region by region: a snapshot left untagged looks orphaned
 * to whoever audits the account, and cannot be found by the run that made it.
 */
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeImagesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { type ImageStatus, type Tag, toTags } from './image-tags.js';
import { imageRecord } from './schema.js';

/** An AMI in a region. */
export interface RegionalImage {
  region: string;
  imageId: string;
}

export interface TaggedRegion {
  region: string;
  imageIds: string[];
  snapshotIds: string[];
}

// CreateTags takes at most 1000 resource ids per call.
const MAX_RESOURCES = 1000;

/** Puts `tags` on every image and each image's snapshots, all regions in parallel. */
export async function tagImages(
  clientFor: (region: string) => EC2Client,
  images: RegionalImage[],
  tags: Tag[],
): Promise<TaggedRegion[]> {
  return Promise.all(
    [...groupByRegion(images)].map(async ([region, imageIds]) => {
      const ec2 = clientFor(region);
      const snapshotIds = await snapshotsOf(ec2, imageIds);
      await tagResources(ec2, [...imageIds, ...snapshotIds], tags);
      return { region, imageIds, snapshotIds };
    }),
  );
}

/** Sets `hephestus:status` on the images and their snapshots. */
export function setImageStatus(
  clientFor: (region: string) => EC2Client,
  images: RegionalImage[],
  status: ImageStatus,
): Promise<TaggedRegion[]> {
  return tagImages(clientFor, images, toTags({ status }));
}

/** CreateTags in batches EC2 accepts. */
export async function tagResources(ec2: EC2Client, resourceIds: string[], tags: Tag[]): Promise<void> {
  if (resourceIds.length === 0 || tags.length === 0) return;
  for (let i = 0; i < resourceIds.length; i += MAX_RESOURCES) {
    await ec2.send(new CreateTagsCommand({ Resources: resourceIds.slice(i, i + MAX_RESOURCES), Tags: tags }));
  }
}

/** DeleteTags of `keys`, whatever their values. */
export async function untagResources(ec2: EC2Client, resourceIds: string[], keys: string[]): Promise<void> {
  if (resourceIds.length === 0 || keys.length === 0) return;
  for (let i = 0; i < resourceIds.length; i += MAX_RESOURCES) {
    await ec2.send(
      new DeleteTagsCommand({
        Resources: resourceIds.slice(i, i + MAX_RESOURCES),
        Tags: keys.map((Key) => ({ Key })),
      }),
    );
  }
}

/** The snapshot ids behind `imageIds`. */
export async function snapshotsOf(ec2: EC2Client, imageIds: string[]): Promise<string[]> {
  if (imageIds.length === 0) return [];
  const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: imageIds }));
  return Images.flatMap((image) => imageRecord(image).snapshotIds);
}

function groupByRegion(images: RegionalImage[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { region, imageId } of images) {
    const ids = groups.get(region) ?? [];
    if (!ids.includes(imageId)) ids.push(imageId);
    groups.set(region, ids);
  }
  return groups;
}
