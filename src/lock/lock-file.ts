/**
 * The lock file (`images.lock.json` by default): what the default branch's definitions were built and
 * validated into, per image. AMI images name their AMI per region; images of other builders (docker, file,
 * vSphere) name their artifacts (builder id and artifact id). Pure: parse, render, compare; no I/O.
 *
 * Rendered with sorted keys, two-space indentation and a trailing newline, so the same content is always the
 * same bytes and an unchanged run commits nothing.
 */
import { z } from 'zod';
import { AmiIdSchema } from '../config/config-schema.js';
import { InputError } from '../errors.js';

const ArtifactSchema = z.strictObject({
  builder_id: z.string().min(1),
  id: z.string(),
});

export const LockEntrySchema = z.strictObject({
  /** AMI per region; empty for an image whose builder makes no AMI. */
  amis: z.record(z.string(), AmiIdSchema).default({}),
  /** Artifacts that are not AMIs (builder id and artifact id). */
  artifacts: z.array(ArtifactSchema).optional(),
  input_hash: z.string().min(1),
  source_commit: z.string().min(1),
  packer_version: z.string().optional(),
  validation: z
    .strictObject({
      run: z.string().min(1),
      url: z.string().optional(),
    })
    .optional(),
});

/** One revocation: which AMIs of an image were taken out of service, why, when and by which job. */
const RevocationSchema = z.strictObject({
  image: z.string().min(1),
  /** The revoked AMI per region. */
  amis: z.record(z.string(), AmiIdSchema),
  reason: z.string().min(1),
  revoked_at: z.string().min(1),
  /** The job that revoked them (CIRCLE_BUILD_URL), or who ran it. */
  revoked_by: z.string().optional(),
});

const LockFileSchema = z.strictObject({
  version: z.literal(1),
  images: z.record(z.string(), LockEntrySchema),
  /** Revoked AMIs, oldest revocation first: check-lock refuses them wherever the lock names them. */
  revoked: z.array(RevocationSchema).optional(),
});

export type LockEntry = z.output<typeof LockEntrySchema>;
export type LockFile = z.output<typeof LockFileSchema>;
export type LockArtifact = z.output<typeof ArtifactSchema>;
export type Revocation = z.output<typeof RevocationSchema>;

/** An empty lock. */
export function emptyLock(): LockFile {
  return { version: 1, images: {} };
}

/** Parses and checks a lock file's text; `file` names it in errors. */
export function parseLockFile(text: string, file: string): LockFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file} is not valid JSON: ${(error as Error).message}`, { file });
  }
  const parsed = LockFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, {
      file,
      setting: issue?.path.join('.'),
    });
  }
  return parsed.data;
}

/** The lock as its file holds it: sorted keys, two-space indentation, a trailing newline. */
export function renderLockFile(lock: LockFile): string {
  return `${JSON.stringify(sortKeys(lock), null, 2)}\n`;
}

/** `lock` with `entries` set (other images kept as they are). */
export function withEntries(lock: LockFile, entries: Record<string, LockEntry>): LockFile {
  return { ...lock, version: 1, images: { ...lock.images, ...entries } };
}

/**
 * `lock` with `revocation` recorded (once: the same image and AMIs already recorded keep their first record),
 * and every entry that names a revoked AMI pointed at `replacement` instead (its `entry`; undefined drops the
 * revoked regions).
 */
export function withRevocation(
  lock: LockFile,
  revocation: Revocation,
  replacement: LockEntry | undefined,
): LockFile {
  const recorded = (lock.revoked ?? []).some(
    (r) =>
      r.image === revocation.image &&
      JSON.stringify(sortKeys(r.amis)) === JSON.stringify(sortKeys(revocation.amis)),
  );
  const revoked = recorded ? (lock.revoked ?? []) : [...(lock.revoked ?? []), revocation];
  const bad = new Set(Object.values(revocation.amis));
  const entry = lock.images[revocation.image];
  const images = { ...lock.images };
  if (entry && Object.values(entry.amis).some((ami) => bad.has(ami))) {
    images[revocation.image] = replacement ?? {
      ...entry,
      amis: Object.fromEntries(Object.entries(entry.amis).filter(([, ami]) => !bad.has(ami))),
    };
  }
  return { version: 1, images, revoked };
}

/** The revocation that names `ami`, if the lock records one. */
export function revocationOf(lock: LockFile, ami: string): Revocation | undefined {
  return lock.revoked?.find((r) => Object.values(r.amis).includes(ami));
}

/** True when both entries name the same built things (AMIs, artifacts) from the same inputs. */
export function sameBuild(a: LockEntry | undefined, b: LockEntry | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.input_hash === b.input_hash &&
    JSON.stringify(sortKeys(a.amis)) === JSON.stringify(sortKeys(b.amis)) &&
    JSON.stringify(a.artifacts ?? []) === JSON.stringify(b.artifacts ?? [])
  );
}

// JSON.stringify keeps insertion order; a lock written by another run must still come out byte-identical.
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
