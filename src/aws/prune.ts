/**
 * Deregisters old images and deletes their snapshots, keeping the newest `keep` per image set and channel.
 * Never removed, whatever their age: an image holding a channel, one launched in the last `protectDays`
 * days, one a non-terminated instance runs from, one a launch template names.
 */
import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  type EC2Client,
  paginateDescribeInstances,
  paginateDescribeLaunchTemplateVersions,
} from '@aws-sdk/client-ec2';
import { FailureError } from '../errors.js';
import { imagesOf, newestFirst } from './own-images.js';
import { type ImageRecord, instanceRecord } from './schema.js';

export interface PruneOptions {
  regions: string[];
  keep: number;
  /** Only this image set; every image set Hephestus tagged by default. */
  image?: string;
  /** An image launched (or created) within this many days is kept. */
  protectDays: number;
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
  action: 'delete' | 'keep';
  reason: string;
  snapshotIds: string[];
}

export interface PruneResult {
  dryRun: boolean;
  decisions: PruneDecision[];
  /** Snapshots that could not be deleted (still used by another image), with why. */
  snapshotsLeft: Array<{ region: string; snapshotId: string; reason: string }>;
}

const DAY = 86_400_000;
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
  const images = await imagesOf(ec2, options.image, options.pageSize);
  const groups = new Map<string, ImageRecord[]>();
  for (const image of images) {
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
      const { action, reason } = decide(image, index, inUse.get(image.imageId), now, options);
      decisions.push({
        region,
        imageId: image.imageId,
        name: image.name,
        group,
        action,
        reason,
        snapshotIds: image.snapshotIds,
      });
    }
  }
  const snapshotsLeft: PruneResult['snapshotsLeft'] = [];
  if (!options.dryRun) {
    for (const decision of decisions.filter((d) => d.action === 'delete')) {
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
  }
  return { decisions, snapshotsLeft };
}

/** Keep or delete one image, `index` being its place among its group's images, newest first. */
function decide(
  image: ImageRecord,
  index: number,
  use: string | undefined,
  now: number,
  options: PruneOptions,
): { action: PruneDecision['action']; reason: string } {
  const keep = (reason: string) => ({ action: 'keep' as const, reason });
  if (index < options.keep) return keep(`one of the newest ${options.keep}`);
  if (image.tags.channel) return keep(`holds channel ${image.tags.channel}`);
  const launched = Math.max(image.lastLaunchedTime ?? 0, image.creationTime);
  if (launched >= now - options.protectDays * DAY)
    return keep(`created or launched within ${options.protectDays} days`);
  if (use) return keep(use);
  return { action: 'delete', reason: `older than the newest ${options.keep}` };
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
