/**
 * Terminates validation instances a killed job left behind: any instance tagged `hephestus:validates`
 * that has outlived its run's timeout (tagged on it) plus a grace period.
 */
import { type EC2Client, paginateDescribeInstances, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { TAG } from './image-tags.js';
import { instanceRecord } from './schema.js';

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
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const raw of reservation.Instances ?? []) {
        const instance = instanceRecord(raw);
        const tagged = Number(instance.tagMap[TAG.timeoutMinutes]);
        const timeout =
          Number.isFinite(tagged) && tagged > 0 ? tagged : (options.defaultTimeoutMinutes ?? 240);
        const limitMinutes = timeout + (options.graceMinutes ?? 10);
        const ageMinutes = Math.floor((now - instance.launchTime) / 60_000);
        found.push({
          region,
          instanceId: instance.instanceId,
          imageId: instance.imageId,
          ageMinutes,
          limitMinutes,
          action: ageMinutes >= limitMinutes ? 'terminate' : 'keep',
        });
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
