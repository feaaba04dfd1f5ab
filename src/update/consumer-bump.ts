/**
 * What a consumer's update changes: each configured `bump.files` entry that names one of the new images, the value
 * it holds and the AMI it gets. Every AMI is checked with EC2 before anything is edited (see {@link verifyAmis}):
 * a parameter or a lock file is someone's word, and an id that is not a validated image of a trusted account
 * stops the run with exit 1.
 */
import { whyNotValidated } from '../aws/validated-image.js';
import type { FileTarget, HephestusConfig } from '../config/config-schema.js';
import { FailureError, InputError } from '../errors.js';
import type { FlowContext } from '../flows/flow-context.js';
import type { PullRequest } from '../github/schema.js';
import { updateBranchName } from '../github/update-pull-request.js';
import { amiFor, type ImageAmiMap, imageSetName } from '../images/image-set.js';
import type { Checkout } from './checkout.js';
import type { UpdateCommit } from './update-branch.js';

export interface FileBump {
  file: string;
  path: string;
  innerPath?: string;
  image: string;
  before: string;
  after: string;
}

/** A consumer's update committed on its branch (or, in a dry run, ready to be), before its pull request. */
export interface CommittedBump {
  /** The consumer's configuration and the author of the commit. */
  target: Pick<Checkout, 'config' | 'author'>;
  plan: BumpPlan;
  /** The open PRs into the default branch, listed before the commit (one list serves both). */
  openPullRequests: PullRequest[];
  commit: UpdateCommit;
}

/** A bump and the index of its `bump.files` entry. */
export type PlannedBump = FileBump & { index: number };

export interface BumpPlan {
  bumps: PlannedBump[];
  names: string[];
  imageSet: string;
  branch: string;
  used: ImageAmiMap;
}

/** The update's image set, branch and images, from its bumps. */
export function planOf(config: HephestusConfig, bumps: BumpPlan['bumps'], images: ImageAmiMap): BumpPlan {
  const names = [...new Set(bumps.map((b) => b.image))];
  const imageSet = imageSetName(names);
  return {
    bumps,
    names,
    imageSet,
    branch: updateBranchName(imageSet, config.git.branch_prefix),
    used: Object.fromEntries(names.map((name) => [name, images[name] ?? {}])),
  };
}

/** The bumps `images` make in the configured files; `readValue` reads each file's current value. */
export async function planBumps(
  config: HephestusConfig,
  images: ImageAmiMap,
  readValue: (entry: FileTarget, setting: string) => Promise<string>,
): Promise<PlannedBump[]> {
  const files = config.bump?.files;
  if (!files)
    throw new InputError('no bump.files in the configuration: nothing names the images', { setting: 'bump' });
  const bumps: PlannedBump[] = [];
  for (const [index, entry] of files.entries()) {
    const amis = images[entry.image];
    if (!amis) continue;
    const setting = `bump.files[${index}]`;
    if (entry.value === 'name') {
      throw new InputError('the images parameter carries AMI ids, not names; use value: ami', {
        setting: `${setting}.value`,
      });
    }
    const after = amiFor(amis, entry.region);
    if (!after) {
      throw new InputError(`no AMI of ${entry.image} in ${entry.region} in --images`, {
        setting: `${setting}.region`,
      });
    }
    const before = await readValue(entry, setting);
    bumps.push({
      index,
      file: entry.file,
      path: entry.path,
      innerPath: entry.inner_path,
      image: entry.image,
      before,
      after,
    });
  }
  if (bumps.length === 0) {
    throw new InputError(
      `no bump.files entry names ${Object.keys(images).join(', ')} (configured: ${[...new Set(files.map((f) => f.image))].join(', ')})`,
      { setting: '--images' },
    );
  }
  return bumps;
}

/** An AMI a bump writes: the `bump.files` entry (its index) and the image it is of. */
export type AmiToWrite = Pick<PlannedBump, 'index' | 'image' | 'after'>;

/**
 * The AMIs a bump to `images` writes, from the configuration alone (no file read): what {@link verifyAmis} checks,
 * so the check can start before the files are read. Entries {@link planBumps} refuses are left to it.
 */
export function amisToWrite(config: HephestusConfig, images: ImageAmiMap): AmiToWrite[] {
  return (config.bump?.files ?? []).flatMap((entry, index) => {
    const amis = images[entry.image];
    const after = amis && entry.value !== 'name' ? amiFor(amis, entry.region) : undefined;
    return after ? [{ index, image: entry.image, after }] : [];
  });
}

/**
 * {@link verifyAmis} of the AMIs `images` writes, started now and awaited by the caller before its first write.
 * Marked handled, so a run that stops for another reason first (a file that does not parse) leaves no
 * unhandled rejection behind.
 */
export function startAmiCheck(
  context: FlowContext,
  config: HephestusConfig,
  images: ImageAmiMap,
): Promise<void> {
  const check = verifyAmis(context, config, amisToWrite(config, images));
  check.catch(() => undefined);
  return check;
}

/**
 * Checks every AMI a bump would write with EC2 before any write: it must exist, be owned by a configured
 * account (`bump.accounts`, else the credentials' own), be available, tagged validated for its image, and have
 * reached `bump.channel` (else the first channel) or a later one. Any other id fails the run (exit 1) naming it:
 * no branch, no pull request. The AMIs are looked up at once (one round trip, not one per AMI), each
 * region/AMI/image once.
 */
export async function verifyAmis(
  context: FlowContext,
  config: HephestusConfig,
  bumps: readonly AmiToWrite[],
): Promise<void> {
  const files = config.bump?.files ?? [];
  const channel = config.bump?.channel ?? (config.channels[0] as string);
  const checked = new Map<string, Promise<string | undefined>>();
  const results = bumps.map((bump) => {
    const region = files[bump.index]?.region ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION;
    if (!region) {
      return `${bump.after} (${bump.image}): no region to look it up in (set bump.files[${bump.index}].region)`;
    }
    const key = `${region}/${bump.after}/${bump.image}`;
    if (checked.has(key)) return undefined;
    const check = whyNotValidated(context.ec2For(region), bump.after, {
      owners: config.bump?.accounts ?? [],
      channels: config.channels,
      // A dry run of promote moves nothing, so its images are not in the channel yet.
      channel: context.dryRun ? (config.channels[0] as string) : channel,
      image: bump.image,
    }).then((why) =>
      why && !(context.dryRun && /channel/.test(why))
        ? `${bump.after} (${bump.image}, ${region}) ${why}`
        : undefined,
    );
    checked.set(key, check);
    return check;
  });
  const problems = (await Promise.all(results)).filter((problem) => problem !== undefined);
  if (problems.length)
    throw new FailureError(
      `refusing to bump: ${problems.join('; ')}. Only AMIs Hephestus validated are written; nothing was changed`,
    );
}
