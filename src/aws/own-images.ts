/** Our account's AMIs, read page by page and checked, for the modules that move, copy and prune them. */
import { type EC2Client, type Filter, paginateDescribeImages } from '@aws-sdk/client-ec2';
import { TAG } from './image-tags.js';
import { type ImageRecord, imageRecord } from './schema.js';

/** Own images matching `filters` (all states, disabled ones included: revoke disables images), every page. */
export async function ownImages(ec2: EC2Client, filters: Filter[], pageSize = 200): Promise<ImageRecord[]> {
  const images: ImageRecord[] = [];
  for await (const page of paginateDescribeImages(
    { client: ec2, pageSize },
    { Owners: ['self'], Filters: filters, IncludeDisabled: true },
  )) {
    for (const image of page.Images ?? []) images.push(imageRecord(image));
  }
  return images;
}

/** Own images of the image set `image`, or of every image set Hephestus tagged. */
export function imagesOf(ec2: EC2Client, image?: string, pageSize?: number): Promise<ImageRecord[]> {
  const filter = image
    ? { Name: `tag:${TAG.image}`, Values: [image] }
    : { Name: 'tag-key', Values: [TAG.image] };
  return ownImages(ec2, [filter], pageSize);
}

/** One own image by id, or undefined when it is gone. */
export async function ownImage(ec2: EC2Client, imageId: string): Promise<ImageRecord | undefined> {
  const found = await ownImages(ec2, [{ Name: 'image-id', Values: [imageId] }]);
  return found[0];
}

/** Newest first; ties broken by id so every run orders the same way. */
export function newestFirst(a: ImageRecord, b: ImageRecord): number {
  return b.creationTime - a.creationTime || b.imageId.localeCompare(a.imageId);
}
