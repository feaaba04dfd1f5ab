/**
 * What build-validate leaves for promote and monitor besides the AMI tags: the validation record, a hidden
 * block in its comment on the pull request. It names the commit validated and, per image, the AMIs (or other
 * builders' artifacts) build-validate built or reused for it and their status. Promote takes AMIs from this
 * record only, and only from a comment the bot wrote; the AMI tags are a cross-check, never the source, because
 * anyone whose branch runs Packer can put tags on AMIs. Artifacts of other builders have nowhere to carry tags,
 * so their would-be lock entries ride in the record as well.
 */
import { z } from 'zod';
import { AmiIdSchema } from '../config/config-schema.js';
import { hiddenBlock } from '../github/hidden-state.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { Comment } from '../github/schema.js';
import { type LockEntry, LockEntrySchema } from './lock-file.js';

/** Tags build-validate adds next to the image-tags model, for the lock file. */
export const RECORD_TAG = {
  packerVersion: 'hephestus:packer-version',
  runUrl: 'hephestus:run-url',
} as const;

/** The comment kind build-validate writes on a pull request. */
export const BUILD_COMMENT_KEY = 'build-validate';

const RecordedImageSchema = z.strictObject({
  status: z.enum(['validated', 'failed', 'built', 'pending']),
  action: z.enum(['built', 'reused']),
  input_hash: z.string().min(1),
  amis: z.record(z.string(), AmiIdSchema),
});

const ValidationRecordSchema = z.strictObject({
  /** The full commit sha validated. */
  sha: z.string().regex(/^[0-9a-f]{40}$/),
  run: z.string().min(1),
  outcome: z.enum(['validated', 'failed']),
  images: z.record(z.string(), RecordedImageSchema),
});

export type RecordedImage = z.output<typeof RecordedImageSchema>;
export type ValidationRecord = z.output<typeof ValidationRecordSchema>;

/** The validation record block. */
export const VALIDATION_RECORD = hiddenBlock('validation', ValidationRecordSchema);

/** The lock entries of other builders' artifacts (image name to entry). */
const ARTIFACT_RECORDS = hiddenBlock('artifacts', z.record(z.string(), LockEntrySchema));

/** The hidden block for `entries` (image to lock entry). */
export function encodeArtifactRecords(entries: Record<string, LockEntry>): string {
  return ARTIFACT_RECORDS.encode(entries);
}

/** The entries a comment's hidden block holds; none when it has no (valid) block. */
export function decodeArtifactRecords(body: string): Record<string, LockEntry> {
  return ARTIFACT_RECORDS.decode(body) ?? {};
}

/** What the bot's build-validate comment on a pull request records: the validation and the artifacts. */
export interface BuildRecord {
  validation?: ValidationRecord;
  artifacts: Record<string, LockEntry>;
}

/**
 * The records of the build-validate comment the bot wrote on pull request `number` (a comment by anyone else
 * carrying the same marker is ignored); empty when there is none.
 */
export async function buildRecordOf(
  prs: PullRequests,
  number: number,
  comments?: readonly Comment[],
): Promise<BuildRecord> {
  const comment = await prs.ownComment(number, BUILD_COMMENT_KEY, comments);
  if (!comment) return { artifacts: {} };
  return {
    validation: VALIDATION_RECORD.decode(comment.body),
    artifacts: decodeArtifactRecords(comment.body),
  };
}
