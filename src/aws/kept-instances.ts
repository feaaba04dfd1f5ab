/**
 * Validation instances kept after a failure for a person to debug (`validation.keep_on_failure_minutes`): each
 * carries `hephestus:keep-until`. Sweep terminates them once that time has passed; the next validation of the
 * same image terminates those of earlier runs at once, since a newer build makes the old instance moot.
 */
import { type EC2Client, paginateDescribeInstances, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { TAG } from './image-tags.js';
import { instanceRecord } from './schema.js';

/** The instance states a kept instance can be in, i.e. all but shutting-down and terminated. */
export const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** The expiry a `hephestus:keep-until` tag gives (ms since the epoch); undefined when absent or unreadable. */
export function keepUntilOf(tags: Readonly<Record<string, string>>): number | undefined {
  const value = tags[TAG.keepUntil];
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  return Number.isFinite(time) ? time : undefined;
}

/** The Session Manager command that connects to a kept instance. */
export function sessionCommand(instanceId: string, region: string): string {
  return `aws ssm start-session --target ${instanceId} --region ${region}`;
}

/** Terminates the kept validation instances of `image` that runs other than `run` left; their ids. */
export async function terminateEarlierKeptInstances(
  ec2: EC2Client,
  image: string,
  run: string,
): Promise<string[]> {
  const earlier: string[] = [];
  const pages = paginateDescribeInstances(
    { client: ec2, pageSize: 200 },
    {
      Filters: [
        { Name: `tag:${TAG.image}`, Values: [image] },
        { Name: 'tag-key', Values: [TAG.keepUntil] },
        { Name: 'instance-state-name', Values: LIVE_STATES },
      ],
    },
  );
  for await (const page of pages) {
    for (const reservation of page.Reservations ?? []) {
      for (const raw of reservation.Instances ?? []) {
        const instance = instanceRecord(raw);
        // Only validation instances: the role may terminate nothing else, and a stray tag must not widen that.
        if (instance.tagMap[TAG.validates] !== undefined && instance.tagMap[TAG.run] !== run)
          earlier.push(instance.instanceId);
      }
    }
  }
  if (earlier.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: earlier }));
  return earlier;
}
