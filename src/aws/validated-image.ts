/**
 * Whether an AMI id someone handed us (a pipeline parameter, a lock file) names an image Hephestus validated:
 * it exists, is owned by an account the configuration trusts, is available, is tagged `validated`, and has
 * reached the expected channel (or one after it). The answer is the reason it is not, or undefined.
 */
import { type EC2Client, paginateDescribeImages } from '@aws-sdk/client-ec2';
import { revokedReason } from './image-tags.js';
import { imageRecord } from './schema.js';

export interface ValidatedImageRule {
  /** Account ids whose AMIs are accepted; `self` (the caller's account) when empty. */
  owners: readonly string[];
  /** The channels in order; the AMI must be in `channel` or one after it. */
  channels: readonly string[];
  channel: string;
  /** The image set the AMI must be tagged as, when known. */
  image?: string;
}

/** Why `imageId` is not a validated image by `rule`, or undefined when it is. */
export async function whyNotValidated(
  ec2: EC2Client,
  imageId: string,
  rule: ValidatedImageRule,
): Promise<string | undefined> {
  const owners = rule.owners.length ? [...rule.owners] : ['self'];
  const found = [];
  // A filter, not ImageIds: an unknown or foreign id then reads as "not found" instead of an error.
  for await (const page of paginateDescribeImages(
    { client: ec2 },
    { Owners: owners, Filters: [{ Name: 'image-id', Values: [imageId] }], IncludeDisabled: true },
  )) {
    for (const image of page.Images ?? []) found.push(imageRecord(image));
  }
  const record = found[0];
  if (!record) return `does not exist or is not owned by ${owners.join(', ')}`;
  // Before the state: a revoked image is also disabled, and the revocation is what the reader needs to know.
  if (record.tags.status === 'revoked') return revokedReason(record.tags);
  if (record.state !== 'available') return `is ${record.state}`;
  if (record.tags.status !== 'validated')
    return `is tagged ${record.tags.status ?? 'with no status'}, not validated`;
  if (rule.image !== undefined && record.tags.image !== undefined && record.tags.image !== rule.image)
    return `is an image of ${record.tags.image}, not ${rule.image}`;
  const at = record.tags.channel === undefined ? -1 : rule.channels.indexOf(record.tags.channel);
  if (at < rule.channels.indexOf(rule.channel))
    return `is in ${record.tags.channel === undefined ? 'no channel' : `channel ${record.tags.channel}`}, not ${rule.channel} or later`;
  return undefined;
}
