/**
 * Terminates validation instances a killed job left behind: any instance tagged `hephestus:validates`
 * that has outlived its run's timeout (tagged on it) plus a grace period. An instance kept to debug a failure
 * (`hephestus:keep-until`) goes by that expiry instead: not a minute before it, whatever its age.
 */
import { type EC2Client, paginateDescribeInstances, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { TAG } from './image-tags.js';
import { keepUntilOf, LIVE_STATES } from './kept-instances.js';
import { type InstanceRecord, instanceRecord } from './schema.js';

export interface SweepOptions {
  regions: string[];
  /** For instances whose timeout tag is missing or unreadable (default 240 minutes, the longest a run may set). */
  defaultTimeoutMinutes?: number;
  /** Added to the timeout so a run finishing its last step is not swept from under it (default 10 minutes). */
  graceMinutes?: number;
  dryRun: boolean;
  now?: () => number;
}

export interface SweptInstance {
  region: string;
  instanceId: string;
  imageId?: string;
  ageMinutes: number;
  limitMinutes: number;
  action: 'terminate' | 'keep';
  /** The expiry of an instance kept to debug a failed validation (ISO 8601). */
  keptUntil?: string;
}

/** Finds validation instances in every region and terminates those past their timeout (unless `dryRun`). */
export async function sweep(
  clientFor: (region: string) => EC2Client,
  options: SweepOptions,
): Promise<SweptInstance[]> {
  const perRegion = await Promise.all(
    options.regions.map((region) => sweepRegion(clientFor(region), region, options)),
  );
  return perRegion.flat();
}

async function sweepRegion(ec2: EC2Client, region: string, options: SweepOptions): Promise<SweptInstance[]> {
  const now = (options.now ?? Date.now)();
  const found: SweptInstance[] = [];
  const pages = paginateDescribeInstances(
    { client: ec2, pageSize: 200 },
    {
      Filters: [
        { Name: 'tag-key', Values: [TAG.validates] },
        { Name: 'instance-state-name', Values: LIVE_STATES },
      ],
    },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const raw of reservation.Instances ?? []) {
        found.push(decide(instanceRecord(raw), region, now, options));
      }
    }
  }
  const doomed = found
    .filter((instance) => instance.action === 'terminate')
    .map((instance) => instance.instanceId);
  // TerminateInstances takes up to 1000 ids per call.
  for (let i = 0; !options.dryRun && i < doomed.length; i += 1000) {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: doomed.slice(i, i + 1000) }));
  }
  return found;
}

/** Whether one validation instance is past its limit: its keep-until expiry, else its run's timeout plus grace. */
function decide(instance: InstanceRecord, region: string, now: number, options: SweepOptions): SweptInstance {
  const ageMinutes = Math.floor((now - instance.launchTime) / 60_000);
  const base = { region, instanceId: instance.instanceId, imageId: instance.imageId, ageMinutes };
  const keepUntil = keepUntilOf(instance.tagMap);
  if (keepUntil !== undefined) {
    return {
      ...base,
      limitMinutes: Math.ceil((keepUntil - instance.launchTime) / 60_000),
      keptUntil: new Date(keepUntil).toISOString(),
      action: now >= keepUntil ? 'terminate' : 'keep',
    };
  }
  const tagged = Number(instance.tagMap[TAG.timeoutMinutes]);
  const timeout = Number.isFinite(tagged) && tagged > 0 ? tagged : (options.defaultTimeoutMinutes ?? 240);
  const limitMinutes = timeout + (options.graceMinutes ?? 10);
  return { ...base, limitMinutes, action: ageMinutes >= limitMinutes ? 'terminate' : 'keep' };
}
