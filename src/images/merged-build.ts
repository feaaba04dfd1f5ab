/**
 * What a merged pull request validated of an image, for promote: the AMIs the bot's validation record names for
 * the merged head, each checked on EC2; else, for an image of another builder, its recorded artifacts; else, for
 * an image whose inputs are those the lock file already records, the lock's entry (nothing to promote). Anything
 * else is refused: promote never rebuilds on the default branch.
 */

import { ownImage } from '../aws/own-images.js';
import type { ImageConfig } from '../config/config-schema.js';
import { FailureError } from '../errors.js';
import type { FlowContext } from '../flows/flow-context.js';
import { type BuildRecord, RECORD_TAG, type RecordedImage } from '../lock/build-record.js';
import type { LockArtifact, LockEntry, LockFile } from '../lock/lock-file.js';
import { packerVersion } from '../packer/packer-version.js';
import { type Checkout, readTarget } from '../update/checkout.js';
import { findValidatedAmis } from './find-validated-amis.js';
import type { RegionalAmis } from './image-set.js';
import { imageInputHash } from './input-hash.js';

/** What promote found of one image: its AMIs or other artifacts, and its lock entry. */
export type MergedBuild = {
  entry: LockEntry;
  foundBy: 'record' | 'pull-request' | 'lock';
} & ({ amis: RegionalAmis; artifacts?: undefined } | { amis?: undefined; artifacts: LockArtifact[] });

/** The merged build of `image` at `headSha`; see the module comment. */
export async function findMergedBuild(
  context: FlowContext,
  checkout: Checkout,
  image: ImageConfig,
  headSha: string,
  lock: LockFile,
  records: BuildRecord,
): Promise<MergedBuild> {
  const validation = records.validation?.sha === headSha ? records.validation : undefined;
  const recorded = validation?.outcome === 'validated' ? validation.images[image.name] : undefined;
  if (recorded && Object.keys(recorded.amis).length > 0) {
    const amis = await checkedAmis(context, image, headSha, recorded);
    return { amis, foundBy: 'record', entry: await amiEntry(context, image, amis) };
  }
  const pin = image.base_ami
    ? await readTarget(checkout.dir, image.base_ami.pin, `images.${image.name}.base_ami.pin`)
    : undefined;
  const inputHash = await imageInputHash(checkout.dir, image, pin);
  for (const [foundBy, entry] of [
    ['pull-request', recorded ? records.artifacts[image.name] : undefined],
    ['lock', lock.images[image.name]],
  ] as const) {
    if (entry?.input_hash === inputHash && entry.artifacts?.length && Object.keys(entry.amis).length === 0)
      return { artifacts: entry.artifacts, foundBy, entry };
  }
  const locked = lock.images[image.name];
  if (locked?.input_hash === inputHash && Object.keys(locked.amis).length > 0)
    return { amis: locked.amis, foundBy: 'lock', entry: locked };
  const why = validation
    ? validation.outcome === 'validated'
      ? 'the validation record does not name it'
      : 'the validation record says it failed'
    : 'no validation record by the bot for this commit';
  throw new FailureError(
    `no validated AMI of ${image.name} built from ${headSha.slice(0, 12)}: ${why}, and its inputs (${inputHash.slice(0, 19)}) are not those ${checkout.config.lock_file} records; ` +
      'promote takes AMIs only from build-validate and never rebuilds on the default branch: run build-validate on the pull request first',
  );
}

/**
 * The recorded AMIs of `image`, each checked on EC2 against the record: one in every configured region, ours,
 * available, tagged validated for this image and input hash (and, when built for this commit, with its sha).
 */
async function checkedAmis(
  context: FlowContext,
  image: ImageConfig,
  headSha: string,
  recorded: RecordedImage,
): Promise<RegionalAmis> {
  const found = await findValidatedAmis(context.ec2For, image, {
    amis: recorded.amis,
    inputHash: recorded.input_hash,
    ...(recorded.action === 'built' ? { gitSha: headSha } : {}),
  });
  if (found.amis) return found.amis;
  const { region, imageId, why } = found.refused;
  if (!imageId) throw new FailureError(`the validation record names no AMI of ${image.name} in ${region}`);
  throw new FailureError(
    `${imageId} (${image.name}, ${region}) from the validation record ${why}: refusing to promote it`,
  );
}

/** The lock entry of validated `amis`, from the tags of the one in the build region. */
async function amiEntry(context: FlowContext, image: ImageConfig, amis: RegionalAmis): Promise<LockEntry> {
  const region = image.regions[0] as string;
  const record = await ownImage(context.ec2For(region), amis[region] as string);
  const tags = record?.tags ?? {};
  const version = record?.tagMap[RECORD_TAG.packerVersion] ?? (await packerVersion(context.env));
  const url = record?.tagMap[RECORD_TAG.runUrl];
  return {
    amis,
    input_hash: tags.inputHash ?? 'unknown',
    source_commit: tags.gitSha ?? 'unknown',
    ...(version ? { packer_version: version } : {}),
    ...(tags.run ? { validation: { run: tags.run, ...(url ? { url } : {}) } } : {}),
  };
}
