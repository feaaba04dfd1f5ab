/**
 * The one lookup of recorded AMIs on EC2: build-validate asks it before reusing AMIs (from the lock file or its
 * own earlier record), promote before promoting the ones the validation record names. A record or a tag alone
 * proves nothing (anyone whose branch runs Packer can set tags), so every AMI is checked against both.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { revokedReason } from '../aws/image-tags.js';
import { ownImage } from '../aws/own-images.js';
import type { ImageConfig } from '../config/config-schema.js';
import type { RegionalAmis } from './image-set.js';

/** What a record says of an image's AMIs. */
export interface RecordedAmis {
  amis: RegionalAmis;
  inputHash: string;
  /** Set when the AMIs were built for this commit: each must then carry it. */
  gitSha?: string;
}

/** The AMIs, one per configured region, or the first that does not hold and why. */
export type ValidatedAmis =
  | { amis: RegionalAmis; refused?: undefined }
  | { amis?: undefined; refused: { region: string; imageId?: string; why: string } };

/**
 * The recorded AMIs of `image` when, in every configured region, there is one, ours, available and tagged
 * validated for this image and input hash (and commit, when given).
 */
export async function findValidatedAmis(
  ec2For: (region: string) => EC2Client,
  image: ImageConfig,
  recorded: RecordedAmis,
): Promise<ValidatedAmis> {
  const amis: RegionalAmis = {};
  for (const region of image.regions) {
    const imageId = recorded.amis[region];
    if (!imageId) return { refused: { region, why: 'no AMI recorded' } };
    const why = await whyNotRecorded(ec2For(region), imageId, image.name, recorded);
    if (why) return { refused: { region, imageId, why } };
    amis[region] = imageId;
  }
  return { amis };
}

async function whyNotRecorded(
  ec2: EC2Client,
  imageId: string,
  image: string,
  recorded: RecordedAmis,
): Promise<string | undefined> {
  const record = await ownImage(ec2, imageId);
  if (!record) return 'is not an AMI of this account';
  const tags = record.tags;
  if (tags.status === 'revoked') return revokedReason(tags);
  if (record.state !== 'available') return `is ${record.state}`;
  if (tags.status !== 'validated') return `is tagged ${tags.status ?? 'with no status'}, not validated`;
  if (tags.image !== image) return `is tagged as image ${tags.image ?? '(none)'}`;
  if (tags.inputHash !== recorded.inputHash) return 'carries other inputs than the record';
  if (recorded.gitSha !== undefined && tags.gitSha !== recorded.gitSha)
    return `was built from ${tags.gitSha?.slice(0, 12) ?? 'an unknown commit'}`;
  return undefined;
}
