/**
 * The AWS-native side of channel moves against the sandbox, through the real SDK clients: deregistration
 * protection follows the channel, a deprecation is lifted when an image takes a channel again, and the
 * channel's SSM parameter follows promotions and rollbacks without new versions on re-runs.
 */
import { DeregisterImageCommand, EnableImageDeprecationCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChannelPublishing, channelPublishing } from '../../src/aws/channel-parameters.js';
import { moveChannel, rollback } from '../../src/aws/channels.js';
import { TAG } from '../../src/aws/image-tags.js';
import { prune } from '../../src/aws/prune.js';
import { parameterKey } from '../../src/sandbox/aws/ssm-parameter-store.js';
import { type Sandbox, startSandbox } from './aws-sandbox.js';

const DAY = 86_400_000;
const regions = ['us-east-1', 'eu-west-1'];
const channels = ['canary', 'edge', 'stable'];
let aws: Sandbox;
let publish: ChannelPublishing;
beforeAll(async () => {
  aws = await startSandbox();
  publish = channelPublishing(
    { publish: true, prefix: '/hephestus' },
    (region) => aws.clients(region).ssm,
  ) as ChannelPublishing;
});
afterAll(() => aws.close());

/** One validated image of `image` per region, created `daysAgo`. */
function validated(image: string, run: string, daysAgo: number) {
  return regions.map((region) => {
    const added = aws.addImage(region, {
      name: `${image}-${run}`,
      creationDate: aws.ec2.clock.now() - daysAgo * DAY,
      tags: { [TAG.image]: image, [TAG.status]: 'validated' },
    });
    return { region, imageId: added.imageId };
  });
}

const protection = (imageId: string) => aws.ec2.state.images.get(imageId)?.deregistrationProtection;
const parameter = (region: string, name: string) => aws.ssm.state.parameters.get(parameterKey(region, name));

describe('deregistration protection follows the channel', () => {
  it('protects the holder, unprotects the image it displaces, and moves back on rollback', async () => {
    const first = validated('web', 'r1', 40);
    const second = validated('web', 'r2', 30);
    await moveChannel(aws.ec2For, { image: 'web', images: first, channels, to: 'stable' });
    for (const { imageId } of first)
      expect(protection(imageId)).toEqual({ state: 'enabled', withCooldown: false });
    for (const { imageId } of second) expect(protection(imageId)).toBeUndefined();

    // A protected holder cannot be deregistered, by hand or by prune.
    const [holder] = first;
    await expect(
      aws.ec2For('us-east-1').send(new DeregisterImageCommand({ ImageId: holder?.imageId })),
    ).rejects.toThrow(/deregistration protection/);

    await moveChannel(aws.ec2For, { image: 'web', images: second, channels, to: 'stable' });
    for (const { imageId } of second) expect(protection(imageId)?.state).toBe('enabled');
    for (const { imageId } of first) expect(protection(imageId)).toBeUndefined();

    // prune deprecates the displaced image; a rollback onto it lifts the deprecation and protects it again.
    const pruned = await prune(aws.ec2For, {
      regions,
      image: 'web',
      keep: 1,
      protectDays: 0,
      graceDays: 7,
      dryRun: false,
      launchTemplates: 'skip',
      now: () => aws.ec2.clock.now(),
    });
    expect(
      pruned.decisions
        .filter((d) => d.action === 'deprecate')
        .map((d) => d.imageId)
        .sort(),
    ).toEqual(first.map((f) => f.imageId).sort());
    const back = await rollback(aws.ec2For, { image: 'web', channel: 'stable', regions });
    expect(back.map((m) => m.imageId)).toEqual(first.map((f) => f.imageId));
    for (const { imageId } of first) {
      expect(protection(imageId)?.state).toBe('enabled');
      expect(aws.ec2.state.images.get(imageId)?.deprecationTime).toBeUndefined();
    }
    for (const { imageId } of second) expect(protection(imageId)).toBeUndefined();
  });

  it('re-protects a holder on a re-run when its protection was lifted, and a re-run of prune keeps it', async () => {
    const images = validated('api', 'r1', 50);
    await moveChannel(aws.ec2For, { image: 'api', images, channels });
    const [east] = images;
    const record = aws.ec2.state.images.get(east?.imageId as string);
    if (!record) throw new Error('no image');
    record.deregistrationProtection = undefined;
    const rerun = await moveChannel(aws.ec2For, { image: 'api', images, channels, to: 'canary' });
    expect(rerun.map((m) => m.outcome)).toEqual(['unchanged', 'unchanged']);
    expect(protection(east?.imageId as string)?.state).toBe('enabled');
  });

  it('leaves protection alone with protect: false (deregistration_protection off), and still moves the channel', async () => {
    const images = validated('cache', 'r1', 40);
    const moves = await moveChannel(aws.ec2For, { image: 'cache', images, channels, protect: false });
    expect(moves.map((m) => [m.channel, m.outcome])).toEqual([
      ['canary', 'moved'],
      ['canary', 'moved'],
    ]);
    for (const { imageId } of images) expect(protection(imageId)).toBeUndefined();
  });

  it('lifts a deprecation set by hand when an image takes a channel', async () => {
    const images = validated('db', 'r1', 20);
    const [east] = images;
    await aws.ec2For('us-east-1').send(
      new EnableImageDeprecationCommand({
        ImageId: east?.imageId,
        DeprecateAt: new Date(aws.ec2.clock.now() + 3 * DAY),
      }),
    );
    await moveChannel(aws.ec2For, { image: 'db', images, channels });
    expect(aws.ec2.state.images.get(east?.imageId as string)?.deprecationTime).toBeUndefined();
  });
});

describe('channels published to SSM Parameter Store', () => {
  it('points /hephestus/<image>/<channel> at each holder, adds no version on a re-run, follows a rollback', async () => {
    const first = validated('app', 'r1', 10);
    const second = validated('app', 'r2', 5);
    const name = '/hephestus/app/canary';

    const moves = await moveChannel(aws.ec2For, { image: 'app', images: first, channels, publish });
    expect(moves.map((m) => m.parameter)).toEqual(regions.map(() => ({ name, outcome: 'created' })));
    for (const [i, region] of regions.entries()) {
      expect(parameter(region, name)?.versions).toEqual([
        expect.objectContaining({
          version: 1,
          value: first[i]?.imageId,
          type: 'String',
          dataType: 'aws:ec2:image',
        }),
      ]);
    }

    const rerun = await moveChannel(aws.ec2For, {
      image: 'app',
      images: first,
      channels,
      to: 'canary',
      publish,
    });
    expect(rerun.map((m) => [m.outcome, m.parameter?.outcome])).toEqual(
      regions.map(() => ['unchanged', 'unchanged']),
    );
    for (const region of regions) expect(parameter(region, name)?.versions).toHaveLength(1);

    await moveChannel(aws.ec2For, { image: 'app', images: second, channels, to: 'canary', publish });
    for (const [i, region] of regions.entries()) {
      expect(parameter(region, name)?.versions.map((v) => [v.version, v.value])).toEqual([
        [1, first[i]?.imageId],
        [2, second[i]?.imageId],
      ]);
    }

    const back = await rollback(aws.ec2For, { image: 'app', channel: 'canary', regions, publish });
    expect(back.map((m) => m.parameter?.outcome)).toEqual(['updated', 'updated']);
    for (const [i, region] of regions.entries()) {
      expect(parameter(region, name)?.versions.at(-1)?.value).toBe(first[i]?.imageId);
    }
  });

  it('writes no parameter when publishing is off', async () => {
    expect(
      channelPublishing({ publish: false, prefix: '/hephestus' }, () => aws.clients('us-east-1').ssm),
    ).toBe(undefined);
    const images = validated('quiet', 'r1', 3);
    const moves = await moveChannel(aws.ec2For, { image: 'quiet', images, channels });
    expect(moves.every((m) => m.parameter === undefined)).toBe(true);
    for (const region of regions) expect(parameter(region, '/hephestus/quiet/canary')).toBeUndefined();
  });
});
