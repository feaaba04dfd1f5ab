/**
 * Which images build-validate builds and which it reuses. An image whose inputs are those a provenance record
 * names (the default branch's lock file, else the bot's own validation record on this branch's pull request) is
 * reused when its AMIs still check out on EC2; a tag alone never makes an AMI reusable. A rebuild asked for by
 * hand builds its images again, even with inputs a validated AMI was built from.
 */
import type { ImageConfig } from '../config/config-schema.js';
import type { FlowContext } from '../flows/flow-context.js';
import { localGit } from '../git/git-environment.js';
import type { CommitSummary } from '../git/git-repository.js';
import { buildRecordOf, type ValidationRecord } from '../lock/build-record.js';
import type { LockArtifact, LockFile } from '../lock/lock-file.js';
import { readDefaultLock } from '../lock/lock-store.js';
import { type Checkout, readTarget } from '../update/checkout.js';
import { rebuildOf } from '../update/rebuild.js';
import { findValidatedAmis } from './find-validated-amis.js';
import { describeBuilt, type ImageBuildReport, NOT_AN_AMI, type PlannedBuild } from './image-build.js';
import type { RegionalAmis } from './image-set.js';
import { imageInputHash } from './input-hash.js';

/** Where an image's reusable build may be recorded. */
interface Provenance {
  lock: LockFile | undefined;
  earlier: ValidationRecord | undefined;
  rebuild: readonly string[];
}

/** Every image's report entry, and the images among them to build. */
export async function planBuilds(
  context: FlowContext,
  checkout: Checkout,
  images: readonly ImageConfig[],
): Promise<{ entries: ImageBuildReport[]; toBuild: PlannedBuild[] }> {
  const provenance: Provenance = {
    lock: await readDefaultLock(context, checkout),
    earlier: await earlierRecord(context, checkout),
    rebuild: rebuildOf(await headCommit(checkout.dir), checkout.author),
  };
  if (provenance.rebuild.length)
    context.logger.info(`${checkout.sha.slice(0, 12)} asks to rebuild ${provenance.rebuild.join(', ')}`);
  const entries: ImageBuildReport[] = [];
  const toBuild: PlannedBuild[] = [];
  for (const image of images) {
    const entry = await planImage(context, checkout, image, provenance);
    entries.push(entry);
    if (entry.action === 'reused' || entry.action === 'would-reuse')
      context.logger.info(
        `${image.name}: inputs unchanged (${entry.inputHash.slice(0, 19)}), reusing ${describeBuilt(entry)}`,
      );
    else toBuild.push({ image, entry });
  }
  return { entries, toBuild };
}

async function planImage(
  context: FlowContext,
  checkout: Checkout,
  image: ImageConfig,
  provenance: Provenance,
): Promise<ImageBuildReport> {
  const pin = image.base_ami
    ? await readTarget(checkout.dir, image.base_ami.pin, `images.${image.name}.base_ami.pin`)
    : undefined;
  const inputHash = await imageInputHash(checkout.dir, image, pin);
  const planned = { image: image.name, inputHash };
  const reuse = context.dryRun ? 'would-reuse' : 'reused';
  if (provenance.rebuild.includes(image.name))
    return { ...planned, action: context.dryRun ? 'would-build' : 'built', status: 'pending', amis: {} };
  const records = [provenance.lock?.images[image.name], provenance.earlier?.images[image.name]];
  const amis = await reusableAmis(context, image, records, inputHash);
  if (amis) return { ...planned, action: reuse, status: 'validated', amis };
  const artifacts = reusableArtifacts(provenance.lock, image, inputHash);
  if (artifacts) return { ...planned, action: reuse, status: 'built', amis: {}, artifacts, note: NOT_AN_AMI };
  return { ...planned, action: context.dryRun ? 'would-build' : 'built', status: 'pending', amis: {} };
}

/** The checked-out commit's identities and subject, read from the clone. */
async function headCommit(dir: string): Promise<CommitSummary> {
  const out = await localGit(dir).raw([
    '-c',
    'log.showSignature=false',
    'log',
    '-1',
    '--format=%H%x00%s%x00%an%x00%ae%x00%cn%x00%ce',
    'HEAD',
  ]);
  const [sha = '', subject = '', authorName = '', authorEmail = '', committerName = '', committerEmail = ''] =
    out.trim().split('\0');
  return { sha, subject, authorName, authorEmail, committerName, committerEmail };
}

/**
 * The validation record the bot left on this branch's pull request (open, or merged with this commit): a re-run
 * (or a push that leaves an image's inputs alone) reuses what the bot itself validated there.
 */
async function earlierRecord(
  context: FlowContext,
  checkout: Checkout,
): Promise<ValidationRecord | undefined> {
  const prs = context.pullRequests(checkout.repository);
  const branch = checkout.branch;
  // The open PR of the branch; after its merge (a re-run of the job), the merged PR that holds this commit.
  const pr =
    (await prs.findOpen(branch)) ??
    (await prs.forCommit(checkout.sha)).find((p) => prs.isOwnBranch(p, branch));
  return pr ? (await buildRecordOf(prs, pr.number)).validation : undefined;
}

/**
 * The AMIs the first record with these inputs (same input hash, validated) names for `image`, when each still
 * checks out on EC2; else undefined (and the image is built).
 */
async function reusableAmis(
  context: FlowContext,
  image: ImageConfig,
  records: ReadonlyArray<{ input_hash: string; amis: RegionalAmis; status?: string } | undefined>,
  inputHash: string,
): Promise<RegionalAmis | undefined> {
  const entry = records.find(
    (r) => r?.input_hash === inputHash && (r.status === undefined || r.status === 'validated'),
  );
  if (!entry) return undefined;
  const found = await findValidatedAmis(context.ec2For, image, { amis: entry.amis, inputHash });
  if (found.refused?.imageId)
    context.logger.warn(
      `${image.name}: ${found.refused.imageId} (${found.refused.region}) from the lock file is not an available, validated AMI of these inputs: rebuilding`,
    );
  return found.amis;
}

/** The artifacts the lock records for a non-AMI image whose inputs are unchanged, if any. */
function reusableArtifacts(
  lock: LockFile | undefined,
  image: ImageConfig,
  inputHash: string,
): LockArtifact[] | undefined {
  const entry = lock?.images[image.name];
  return entry?.input_hash === inputHash && entry.artifacts?.length && Object.keys(entry.amis).length === 0
    ? entry.artifacts
    : undefined;
}
