/**
 * The tags Hephestus puts on AMIs and snapshots, as one typed model. The tags are the only state the
 * project keeps on AWS: which run built an image, from which commit and branch, whether it validated,
 * which channel it holds, and the content hash of its inputs (so an unchanged image is not rebuilt).
 */
import { z } from 'zod';

export const TAG = {
  run: 'hephestus:run',
  gitSha: 'hephestus:git-sha',
  branch: 'hephestus:branch',
  status: 'hephestus:status',
  channel: 'hephestus:channel',
  previousChannel: 'hephestus:previous-channel',
  replaces: 'hephestus:replaces',
  rolledBackFrom: 'hephestus:rolled-back-from',
  image: 'hephestus:image',
  inputHash: 'hephestus:input-hash',
  /** Set by revoke: why, when (ISO time) and by which job (its URL, or who ran it). */
  revokedReason: 'hephestus:revoked-reason',
  revokedAt: 'hephestus:revoked-at',
  revokedBy: 'hephestus:revoked-by',
  /** Set by revoke once consumers were started and the incident notice went out: a re-run does neither again. */
  revokeAnnounced: 'hephestus:revoke-announced',
  /** On validation instances: the AMI under test, and how long the run may keep the instance. */
  validates: 'hephestus:validates',
  timeoutMinutes: 'hephestus:timeout-minutes',
} as const;

/** `revoked`: taken out of service by revoke; nothing promotes, reuses or bumps to it again. */
export const IMAGE_STATUSES = ['built', 'validated', 'failed', 'revoked'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** What an image's tags say; every field optional because images built elsewhere carry none. */
export interface ImageTags {
  run?: string;
  gitSha?: string;
  branch?: string;
  status?: ImageStatus;
  channel?: string;
  previousChannel?: string;
  replaces?: string;
  rolledBackFrom?: string;
  image?: string;
  inputHash?: string;
  revokedReason?: string;
  revokedAt?: string;
  revokedBy?: string;
  revokeAnnounced?: string;
}

export interface Tag {
  Key: string;
  Value: string;
}

// EC2 allows 256 characters in a tag value; a branch name can be longer, so it is cut rather than refused.
export const MAX_TAG_VALUE = 256;

const modelKeys = Object.keys(TAG).filter((key) => key !== 'validates' && key !== 'timeoutMinutes') as Array<
  keyof ImageTags
>;

/** EC2 tags for `tags`, in a stable order; absent fields give no tag. */
export function toTags(tags: ImageTags): Tag[] {
  return modelKeys.flatMap((key) => {
    const value = tags[key];
    return value === undefined ? [] : [{ Key: TAG[key], Value: cutToTagValue(value) }];
  });
}

/** `value` cut to EC2's 256 Unicode characters (not UTF-16 units: a cut must not split a surrogate pair). */
export function cutToTagValue(value: string): string {
  const characters = [...value];
  return characters.length <= MAX_TAG_VALUE ? value : characters.slice(0, MAX_TAG_VALUE).join('');
}

const StatusSchema = z.enum(IMAGE_STATUSES);

/** The model read back from EC2 tags; unknown keys are ignored and an unknown status reads as absent. */
export function fromTags(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): ImageTags {
  const byKey = new Map((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const model: ImageTags = {};
  for (const key of modelKeys) {
    const value = byKey.get(TAG[key]);
    if (value === undefined) continue;
    if (key === 'status') {
      const status = StatusSchema.safeParse(value);
      if (status.success) model.status = status.data;
    } else {
      model[key] = value;
    }
  }
  return model;
}

/** Why a revoked image is refused, for the refusals of promote, reuse, bump-consumer and check-lock. */
export function revokedReason(tags: ImageTags): string {
  const when = tags.revokedAt ? ` at ${tags.revokedAt}` : '';
  return `was revoked${when}${tags.revokedReason ? ` (${JSON.stringify(tags.revokedReason)})` : ''}`;
}

/** The tags of a freshly built image. */
export function builtTags(input: {
  run: string;
  gitSha: string;
  branch: string;
  image: string;
  inputHash?: string;
}): Tag[] {
  return toTags({ ...input, status: 'built' });
}

/** DescribeImages filters selecting own images carrying every given model field. */
export function tagFilters(tags: ImageTags): Array<{ Name: string; Values: string[] }> {
  return toTags(tags).map((tag) => ({ Name: `tag:${tag.Key}`, Values: [tag.Value] }));
}
