import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../src/aws/image-tags.js';
import { type PruneOptions, prune } from '../../src/aws/prune.js';
import { sweep } from '../../src/aws/sweep.js';
import { FailureError } from '../../src/errors.js';
import { seedImageId } from '../../src/sandbox/aws/ec2-state.js';
import { type Sandbox, startSandbox } from './aws-sandbox.js';

const DAY = 86_400_000;
let aws: Sandbox;
beforeAll(async () => {
  aws = await startSandbox();
});
afterAll(() => aws.close());

/** Twelve images of one set in a region, one per ten days back, with channel tags as promotions and a rollback leave them. */
function history(region: string, image: string) {
  const now = aws.ec2.clock.now();
  return Array.from({ length: 12 }, (_, i) => {
    const tags: Record<string, string> = { [TAG.image]: image, [TAG.status]: 'validated' };
    // Stable was rolled back to image 5; the newer ones held it before.
    if (i === 5) tags[TAG.channel] = 'stable';
    else if (i < 5) tags[TAG.previousChannel] = 'stable';
    if (i === 9) tags[TAG.channel] = 'canary';
    return aws.addImage(region, { name: `${image}-${i}`, creationDate: now - (i * 10 + 1) * DAY, tags });
  });
}

const options = (overrides: Partial<PruneOptions> = {}): PruneOptions => ({
  regions: ['us-east-1', 'eu-west-1'],
  keep: 2,
  image: 'web',
  protectDays: 15,
  dryRun: false,
  launchTemplates: 'skip',
  now: () => aws.ec2.clock.now(),
  pageSize: 5,
  ...overrides,
});

describe('prune against the sandbox', () => {
  it('keeps the newest per image and channel, never a channel holder, a recent or a running one; dry run removes nothing', async () => {
    const east = history('us-east-1', 'web');
    const west = history('eu-west-1', 'web');
    const other = history('us-east-1', 'api');
    // An instance still runs from image 8 in us-east-1.
    await aws
      .ec2For('us-east-1')
      .send(new RunInstancesCommand({ ImageId: east[8]?.imageId, MinCount: 1, MaxCount: 1 }));
    const before = aws.ec2.state.images.size;

    const dry = await prune(aws.ec2For, options({ dryRun: true }));
    expect(aws.ec2.state.images.size).toBe(before);
    const eastDecisions = Object.fromEntries(
      dry.decisions.filter((d) => d.region === 'us-east-1').map((d) => [d.name, `${d.action}: ${d.reason}`]),
    );
    expect(eastDecisions).toEqual({
      'web-0': 'keep: one of the newest 2',
      'web-1': 'keep: one of the newest 2',
      'web-2': 'delete: older than the newest 2',
      'web-3': 'delete: older than the newest 2',
      'web-4': 'delete: older than the newest 2',
      'web-5': 'keep: holds channel stable',
      'web-6': 'keep: one of the newest 2',
      'web-7': 'keep: one of the newest 2',
      'web-8': expect.stringMatching(/^keep: used by instance i-\w+ \((pending|running)\)$/),
      'web-9': 'keep: one of the newest 2',
      'web-10': 'delete: older than the newest 2',
      'web-11': 'delete: older than the newest 2',
    });

    const done = await prune(aws.ec2For, options());
    const deleted = done.decisions.filter((d) => d.action === 'delete');
    expect(deleted).toEqual(dry.decisions.filter((d) => d.action === 'delete'));
    for (const decision of deleted) {
      expect(aws.ec2.state.images.has(decision.imageId)).toBe(false);
      for (const snapshotId of decision.snapshotIds)
        expect(aws.ec2.state.snapshots.has(snapshotId)).toBe(false);
    }
    for (const kept of done.decisions.filter((d) => d.action === 'keep'))
      expect(aws.ec2.state.images.has(kept.imageId)).toBe(true);
    expect(other.every((image) => aws.ec2.state.images.has(image.imageId))).toBe(true);
    expect(west.filter((image) => aws.ec2.state.images.has(image.imageId))).toHaveLength(6);
    expect(
      aws.ec2.state.images.has(seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.10.15')),
    ).toBe(true);
  });

  it('protects an image beyond keep that an instance runs from, and one launched or created recently', async () => {
    const images = ['a', 'b', 'c', 'd'].map((suffix, i) =>
      aws.addImage('us-west-2', {
        name: `svc-${suffix}`,
        creationDate: aws.ec2.clock.now() - (100 - i) * DAY,
        tags: { [TAG.image]: 'svc' },
      }),
    );
    images.push(
      aws.addImage('us-west-2', {
        name: 'svc-new',
        creationDate: aws.ec2.clock.now() - DAY,
        tags: { [TAG.image]: 'svc' },
      }),
    );
    await aws
      .ec2For('us-west-2')
      .send(new RunInstancesCommand({ ImageId: images[0]?.imageId, MinCount: 1, MaxCount: 1 }));
    const result = await prune(
      aws.ec2For,
      options({ regions: ['us-west-2'], image: 'svc', keep: 1, protectDays: 97.5, dryRun: true }),
    );
    const byName = Object.fromEntries(result.decisions.map((d) => [d.name, d.reason]));
    expect(byName['svc-new']).toBe('one of the newest 1');
    expect(byName['svc-a']).toMatch(/^used by instance i-\w+ \((pending|running)\)$/);
    expect(byName['svc-b']).toBe('older than the newest 1');
    expect(byName['svc-d']).toBe('created or launched within 97.5 days');
  });

  it('refuses to prune when launch templates cannot be read', async () => {
    const error = await prune(
      aws.ec2For,
      options({ regions: ['us-west-2'], image: 'svc', keep: 1, launchTemplates: 'check' }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FailureError);
    expect((error as Error).message).toMatch(
      /^cannot tell which images launch templates use \(InvalidAction: .*nothing was pruned/,
    );
    expect([...aws.ec2.state.images.values()].filter((i) => i.tags[TAG.image] === 'svc')).toHaveLength(5);
  });
});

describe('sweep against the sandbox', () => {
  it('terminates only validation instances older than their timeout', async () => {
    const ec2 = aws.ec2For('eu-west-1');
    const imageId = seedImageId('eu-west-1', 'Windows_Server-2022-English-Full-Base-2026.10.15');
    const launch = async (tags: Record<string, string>) => {
      const { Instances = [] } = await ec2.send(
        new RunInstancesCommand({
          ImageId: imageId,
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [
            { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
          ],
        }),
      );
      return Instances[0]?.InstanceId as string;
    };
    const old = await launch({ [TAG.validates]: imageId, [TAG.timeoutMinutes]: '30' });
    const untimed = await launch({ [TAG.validates]: imageId });
    const unrelated = await launch({ Name: 'web-server' });
    aws.ec2.clock.advance(45 * 60_000);
    const fresh = await launch({ [TAG.validates]: imageId, [TAG.timeoutMinutes]: '30' });

    const dry = await sweep(aws.ec2For, {
      regions: ['eu-west-1'],
      dryRun: true,
      now: () => aws.ec2.clock.now(),
    });
    expect(dry.map((s) => [s.instanceId, s.action]).sort()).toEqual(
      [
        [old, 'terminate'],
        [untimed, 'keep'],
        [fresh, 'keep'],
      ].sort(),
    );
    expect(aws.ec2.state.instances.get(old)?.state).not.toMatch(/shutting-down|terminated/);

    await sweep(aws.ec2For, { regions: ['eu-west-1'], dryRun: false, now: () => aws.ec2.clock.now() });
    const state = (id: string) => aws.ec2.state.instances.get(id)?.state;
    expect(['shutting-down', 'terminated']).toContain(state(old));
    for (const id of [untimed, unrelated, fresh]) expect(['pending', 'running']).toContain(state(id));
  });
});
