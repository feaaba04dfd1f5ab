import { EnableImageDeregistrationProtectionCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
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
  graceDays: 7,
  dryRun: false,
  launchTemplates: 'skip',
  now: () => aws.ec2.clock.now(),
  pageSize: 5,
  ...overrides,
});

describe('prune against the sandbox', () => {
  it('keeps the newest per image and channel, never a channel holder, a recent or a running one; deprecates the rest, deregisters them after the grace period; dry run changes nothing', async () => {
    const east = history('us-east-1', 'web');
    const west = history('eu-west-1', 'web');
    const other = history('us-east-1', 'api');
    // An instance still runs from image 8 in us-east-1.
    await aws
      .ec2For('us-east-1')
      .send(new RunInstancesCommand({ ImageId: east[8]?.imageId, MinCount: 1, MaxCount: 1 }));
    const before = aws.ec2.state.images.size;
    const deprecateAt = new Date(Math.ceil((aws.ec2.clock.now() + 7 * DAY) / 60_000) * 60_000).toISOString();
    const deprecate = `deprecate: older than the newest 2; deregistered after ${deprecateAt}`;

    const dry = await prune(aws.ec2For, options({ dryRun: true }));
    expect(aws.ec2.state.images.size).toBe(before);
    expect(
      [...aws.ec2.state.images.values()].some((i) => i.tags[TAG.image] && i.deprecationTime !== undefined),
    ).toBe(false);
    const eastDecisions = (result: typeof dry) =>
      Object.fromEntries(
        result.decisions
          .filter((d) => d.region === 'us-east-1' && d.group.startsWith('web/'))
          .map((d) => [d.name, `${d.action}: ${d.reason}`]),
      );
    expect(eastDecisions(dry)).toEqual({
      'web-0': 'keep: one of the newest 2',
      'web-1': 'keep: one of the newest 2',
      'web-2': deprecate,
      'web-3': deprecate,
      'web-4': deprecate,
      'web-5': 'keep: holds channel stable',
      'web-6': 'keep: one of the newest 2',
      'web-7': 'keep: one of the newest 2',
      'web-8': expect.stringMatching(/^keep: used by instance i-\w+ \((pending|running)\)$/),
      'web-9': 'keep: one of the newest 2',
      'web-10': deprecate,
      'web-11': deprecate,
    });

    // First run: deprecated, nothing deregistered.
    const first = await prune(aws.ec2For, options());
    const deprecated = first.decisions.filter((d) => d.action === 'deprecate');
    expect(deprecated).toEqual(dry.decisions.filter((d) => d.action === 'deprecate'));
    expect(aws.ec2.state.images.size).toBe(before);
    for (const decision of deprecated)
      expect(aws.ec2.state.images.get(decision.imageId)?.deprecationTime).toBe(Date.parse(deprecateAt));

    // A re-run within the grace period changes nothing.
    const again = await prune(aws.ec2For, options());
    expect(again.decisions.filter((d) => d.action !== 'keep')).toEqual([]);
    expect(eastDecisions(again)['web-2']).toBe(`keep: deprecated at ${deprecateAt}; deregistered after that`);
    expect(aws.ec2.state.images.size).toBe(before);

    aws.ec2.clock.advance(7 * DAY + 60_000);
    const dryLater = await prune(aws.ec2For, options({ dryRun: true }));
    expect(eastDecisions(dryLater)['web-2']).toBe(
      `delete: older than the newest 2, deprecated since ${deprecateAt}`,
    );
    expect(aws.ec2.state.images.size).toBe(before);
    const done = await prune(aws.ec2For, options());
    const deleted = done.decisions.filter((d) => d.action === 'delete');
    expect(deleted.map((d) => d.imageId).sort()).toEqual(deprecated.map((d) => d.imageId).sort());
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
    // Once they are gone, a re-run finds nothing more to do.
    const last = await prune(aws.ec2For, options());
    expect(last.decisions.filter((d) => d.action !== 'keep')).toEqual([]);
  });

  it('deprecates with grace 0 and deregisters on the next run, never an image under deregistration protection', async () => {
    const now = aws.ec2.clock.now();
    const [newest, old, guarded] = ['new', 'old', 'guarded'].map((suffix, i) =>
      aws.addImage('us-west-2', {
        name: `zero-${suffix}`,
        creationDate: now - (30 + i) * DAY,
        tags: { [TAG.image]: 'zero' },
      }),
    );
    await aws
      .ec2For('us-west-2')
      .send(new EnableImageDeregistrationProtectionCommand({ ImageId: guarded?.imageId }));
    const zero = options({ regions: ['us-west-2'], image: 'zero', keep: 1, graceDays: 0 });
    const first = await prune(aws.ec2For, zero);
    const actions = Object.fromEntries(first.decisions.map((d) => [d.name, `${d.action}: ${d.reason}`]));
    expect(actions['zero-old']).toMatch(/^deprecate: /);
    expect(actions['zero-guarded']).toBe('keep: deregistration protection is enabled-without-cooldown');
    aws.ec2.clock.advance(60_000);
    const second = await prune(aws.ec2For, zero);
    expect(second.decisions.filter((d) => d.action === 'delete').map((d) => d.name)).toEqual(['zero-old']);
    expect(aws.ec2.state.images.has(old?.imageId as string)).toBe(false);
    expect(aws.ec2.state.images.has(guarded?.imageId as string)).toBe(true);
    expect(aws.ec2.state.images.has(newest?.imageId as string)).toBe(true);
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
    expect(byName['svc-b']).toMatch(/^older than the newest 1; deregistered after /);
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
