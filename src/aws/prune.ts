/**
 * Retires old images in two steps, keeping the newest `keep` per image set and channel: a superseded image
 * is first deprecated (EC2 EnableImageDeprecation, `graceDays` ahead), and only a later run, once that time
 * has passed, deregisters it and deletes its snapshots. Deprecation is AWS's own notice that an image is on
 * its way out (it drops out of other accounts' DescribeImages, launches by id still work), so whoever still
 * launches it has the grace period to notice. Never removed, whatever their age: an image holding a
 * channel, one launched in the last `protectDays` days, one a non-terminated instance runs from, one a
 * launch template names, one under deregistration protection. Each run decides afresh from EC2's state,
 * so re-runs are safe.
 */
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  type EC2Client,
  EnableImageDeprecationCommand,
  paginateDescribeInstances,
  paginateDescribeLaunchTemplateVersions,
} from '@aws-sdk/client-ec2';
import { FailureError } from '../errors.js';
import { isDeregistrationProtected } from './image-protection.js';
import { imagesOf, newestFirst } from './own-images.js';
import { type ImageRecord, instanceRecord } from './schema.js';

export interface PruneOptions {
  regions: string[];
  keep: number;
  /** Only this image set; every image set Hephestus tagged by default. */
  image?: string;
  /** An image launched (or created) within this many days is kept. */
  protectDays: number;
  /** Days a superseded image stays deprecated before it is deregistered (0: the next run after this one). */
  graceDays: number;
  dryRun: boolean;
  /**
   * `check` reads every launch template's default and latest versions; `skip` trusts that none names our
   * images (for endpoints without DescribeLaunchTemplateVersions, such as the sandbox).
   */
  launchTemplates: 'check' | 'skip';
  now?: () => number;
  pageSize?: number;
}

export interface PruneDecision {
  region: string;
  imageId: string;
  name: string;
  /** Image set and channel the `keep` count applies to. */
  group: string;
  /** `deprecate` now, `delete` (deregister, delete snapshots) once deprecated past its grace period. */
  action: 'deprecate' | 'delete' | 'keep';
  reason: string;
  snapshotIds: string[];
  /** With `deprecate`: when the image counts as deprecated (and may be deregistered from then on). */
  deprecateAt?: string;
}

export interface PruneResult {
  dryRun: boolean;
  decisions: PruneDecision[];
  /** Snapshots that could not be deleted (still used by another image), with why. */
  snapshotsLeft: Array<{ region: string; snapshotId: string; reason: string }>;
}

const DAY = 86_400_000;
const MINUTE = 60_000;
// EC2 takes up to 200 values per filter.
const FILTER_VALUES = 200;

/** Decides per region what goes, then (unless `dryRun`) deregisters it and deletes its snapshots. */
export async function prune(
  clientFor: (region: string) => EC2Client,
  options: PruneOptions,
): Promise<PruneResult> {
  const perRegion = await Promise.all(
    options.regions.map((region) => pruneRegion(clientFor(region), region, options)),
  );
  return {
    dryRun: options.dryRun,
    decisions: perRegion.flatMap((r) => r.decisions),
    snapshotsLeft: perRegion.flatMap((r) => r.snapshotsLeft),
  };
}

async function pruneRegion(ec2: EC2Client, region: string, options: PruneOptions) {
  const now = (options.now ?? Date.now)();
  const groups = new Map<string, ImageRecord[]>();
  for (const image of await imagesOf(ec2, options.image, options.pageSize)) {
    const group = `${image.tags.image}/${image.tags.channel ?? image.tags.previousChannel ?? '-'}`;
    groups.set(group, [...(groups.get(group) ?? []), image]);
  }
  const beyondKeep = [...groups.values()].flatMap((members) => members.sort(newestFirst).slice(options.keep));
  const inUse = await imagesInUse(
    ec2,
    beyondKeep.map((image) => image.imageId),
    now - options.protectDays * DAY,
    options,
  );
  const decisions: PruneDecision[] = [];
  for (const [group, members] of groups) {
    for (const [index, image] of members.entries()) {
      decisions.push({
        region,
        imageId: image.imageId,
        name: image.name,
        group,
        ...decide(image, index, inUse.get(image.imageId), now, options),
        snapshotIds: image.snapshotIds,
      });
    }
  }
  const snapshotsLeft = options.dryRun ? [] : await carryOut(ec2, region, decisions);
  return { decisions, snapshotsLeft };
}

/** Deprecates and deregisters as decided; the snapshots another image still uses are left, with why. */
async function carryOut(
  ec2: EC2Client,
  region: string,
  decisions: PruneDecision[],
): Promise<PruneResult['snapshotsLeft']> {
  const snapshotsLeft: PruneResult['snapshotsLeft'] = [];
  for (const decision of decisions) {
    if (decision.action === 'deprecate') {
      await ec2.send(
        new EnableImageDeprecationCommand({
          ImageId: decision.imageId,
          DeprecateAt: new Date(decision.deprecateAt as string),
        }),
      );
    }
    if (decision.action !== 'delete') continue;
    await ec2.send(new DeregisterImageCommand({ ImageId: decision.imageId }));
    for (const snapshotId of decision.snapshotIds) {
      try {
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      } catch (error) {
        const name = (error as Error).name;
        if (name !== 'InvalidSnapshot.InUse' && name !== 'InvalidSnapshot.NotFound') throw error;
        snapshotsLeft.push({ region, snapshotId, reason: (error as Error).message });
      }
    }
  }
  return snapshotsLeft;
}

/** Keep, deprecate or delete one image, `index` being its place among its group's images, newest first. */
function decide(
  image: ImageRecord,
  index: number,
  use: string | undefined,
  now: number,
  options: PruneOptions,
): Pick<PruneDecision, 'action' | 'reason' | 'deprecateAt'> {
  const keep = (reason: string) => ({ action: 'keep' as const, reason });
  if (index < options.keep) return keep(`one of the newest ${options.keep}`);
  if (image.tags.channel) return keep(`holds channel ${image.tags.channel}`);
  const launched = Math.max(image.lastLaunchedTime ?? 0, image.creationTime);
  if (launched >= now - options.protectDays * DAY)
    return keep(`created or launched within ${options.protectDays} days`);
  if (use) return keep(use);
  if (isDeregistrationProtected(image, now))
    return keep(`deregistration protection is ${image.deregistrationProtection}`);
  const superseded = `older than the newest ${options.keep}`;
  if (image.deprecationTime === undefined) {
    // Whole minutes, rounded up: EC2 rounds DeprecateAt to the minute and refuses a time in the past.
    const at = Math.ceil((now + options.graceDays * DAY) / MINUTE) * MINUTE;
    const deprecateAt = new Date(at).toISOString();
    return { action: 'deprecate', reason: `${superseded}; deregistered after ${deprecateAt}`, deprecateAt };
  }
  const since = new Date(image.deprecationTime).toISOString();
  if (image.deprecationTime > now) return keep(`deprecated at ${since}; deregistered after that`);
  return { action: 'delete', reason: `${superseded}, deprecated since ${since}` };
}

/** Why each of `imageIds` is in use (an instance, recently launched, a launch template), if it is. */
async function imagesInUse(
  ec2: EC2Client,
  imageIds: string[],
  since: number,
  options: PruneOptions,
): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  for (let i = 0; i < imageIds.length; i += FILTER_VALUES) {
    const batch = imageIds.slice(i, i + FILTER_VALUES);
    // Terminated instances stay listed for about an hour; a launch that recent counts as use too.
    const pages = paginateDescribeInstances(
      { client: ec2, pageSize: options.pageSize ?? 200 },
      { Filters: [{ Name: 'image-id', Values: batch }] },
    );
    for await (const page of pages) {
      for (const reservation of page.Reservations ?? []) {
        for (const raw of reservation.Instances ?? []) {
          const instance = instanceRecord(raw);
          if (!instance.imageId || reasons.has(instance.imageId)) continue;
          if (instance.state !== 'terminated' && instance.state !== 'shutting-down') {
            reasons.set(instance.imageId, `used by instance ${instance.instanceId} (${instance.state})`);
          } else if (instance.launchTime >= since) {
            reasons.set(
              instance.imageId,
              `launched by ${instance.instanceId} within ${options.protectDays} days`,
            );
          }
        }
      }
    }
  }
  if (options.launchTemplates === 'check' && imageIds.length > 0) {
    for (const [imageId, template] of await launchTemplateImages(ec2)) {
      if (imageIds.includes(imageId) && !reasons.has(imageId))
        reasons.set(imageId, `named by launch template ${template}`);
    }
  }
  return reasons;
}

/** Image ids named by the default and latest version of every launch template. */
async function launchTemplateImages(ec2: EC2Client): Promise<Map<string, string>> {
  const named = new Map<string, string>();
  try {
    // Without a template id, these two version names select the default and latest of every template.
    const pages = paginateDescribeLaunchTemplateVersions(
      { client: ec2, pageSize: 200 },
      { Versions: ['$Latest', '$Default'] },
    );
    for await (const page of pages) {
      for (const version of page.LaunchTemplateVersions ?? []) {
        const imageId = version.LaunchTemplateData?.ImageId;
        if (imageId)
          named.set(
            imageId,
            `${version.LaunchTemplateName ?? version.LaunchTemplateId} v${version.VersionNumber}`,
          );
      }
    }
  } catch (error) {
    throw new FailureError(
      `cannot tell which images launch templates use (${(error as Error).name}: ${(error as Error).message}); nothing was pruned. Prune with launch templates unchecked only where none can name these images.`,
      {},
      { cause: error },
    );
  }
  return named;
}
