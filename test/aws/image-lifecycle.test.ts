import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelHolders, moveChannel, rollback } from '../../src/aws/channels.js';
import { copyToRegions, shareImages } from '../../src/aws/copy-share.js';
import { builtTags, TAG, toTags } from '../../src/aws/image-tags.js';
import { setImageStatus, tagImages } from '../../src/aws/tag-images.js';
import { FailureError, InputError } from '../../src/errors.js';
import { type Sandbox, startSandbox, testDelays } from './aws-sandbox.js';

let aws: Sandbox;
beforeAll(async () => {
  aws = await startSandbox({ scale: 0.00005 });
});
afterAll(() => aws.close());

const regions = ['us-east-1', 'us-west-2', 'eu-central-1'];
const channels = ['canary', 'edge', 'stable'];
const wait = { ...testDelays, maxWaitMs: 3_000 };

function tagsOf(id: string): Record<string, string> {
  return aws.ec2.state.images.get(id)?.tags ?? aws.ec2.state.snapshots.get(id)?.tags ?? {};
}

/** An image built in us-east-1, tagged as a run tags it, copied to the other regions. */
async function build(image: string, run: string) {
  const source = aws.addImage('us-east-1', { name: `${image}-${run}` });
  const tags = builtTags({ run, gitSha: `${run}abc`, branch: `windows-update/${image}`, image });
  await tagImages(aws.ec2For, [{ region: 'us-east-1', imageId: source.imageId }], tags);
  return copyToRegions(aws.ec2For, {
    source: { region: 'us-east-1', imageId: source.imageId },
    name: source.name,
    regions,
    tags,
    wait,
  });
}

describe('tags, copies and channels against the sandbox', () => {
  it('copies to every region in parallel and tags each AMI and its snapshots there', async () => {
    const copies = await build('win2022', 'r1');
    expect(copies.map((c) => c.region)).toEqual(regions);
    for (const { region, imageId } of copies) {
      const image = aws.ec2.state.images.get(imageId);
      expect(image?.region).toBe(region);
      expect(image?.state).toBe('available');
      for (const id of [imageId, ...(image?.blockDevices.map((d) => d.snapshotId) ?? [])]) {
        expect(tagsOf(id)).toMatchObject({
          [TAG.run]: 'r1',
          [TAG.status]: 'built',
          [TAG.image]: 'win2022',
          [TAG.branch]: 'windows-update/win2022',
        });
      }
    }
    const again = await build2(copies[0]?.imageId as string, 'win2022-r1');
    expect(again).toEqual(copies);
  });

  it('names the regions a copy failed in', async () => {
    aws.ec2.faults.copyFailsTo = ['eu-central-1'];
    try {
      const error = await build('win2019', 'r1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FailureError);
      expect((error as Error).message).toMatch(/failed in 1 of 2 regions: eu-central-1: /);
    } finally {
      aws.ec2.faults.copyFailsTo = [];
    }
  });

  it('shares with accounts and refuses what is not an account id', async () => {
    const copies = await build('shared', 'r1');
    await shareImages(aws.ec2For, copies, ['444455556666']);
    for (const { imageId } of copies)
      expect(aws.ec2.state.images.get(imageId)?.sharedWith).toEqual(['444455556666']);
    await expect(shareImages(aws.ec2For, copies, ['alice'])).rejects.toThrow(InputError);
  });

  it('promotes through the channels, moves each channel to the new image, and rolls back', async () => {
    const first = await build('svc', 'r1');
    const second = await build('svc', 'r2');
    await expect(moveChannel(aws.ec2For, { image: 'svc', images: first, channels })).rejects.toThrow(
      /is built, not validated/,
    );
    await setImageStatus(aws.ec2For, [...first, ...second], 'validated');

    const toCanary = await moveChannel(aws.ec2For, { image: 'svc', images: first, channels });
    expect(toCanary.map((m) => [m.channel, m.outcome])).toEqual(regions.map(() => ['canary', 'moved']));
    await moveChannel(aws.ec2For, { image: 'svc', images: first, channels });
    await moveChannel(aws.ec2For, { image: 'svc', images: first, channels, to: 'stable' });
    expect(tagsOf(first[1]?.imageId as string)[TAG.channel]).toBe('stable');
    const rerun = await moveChannel(aws.ec2For, { image: 'svc', images: first, channels, to: 'stable' });
    expect(rerun.every((m) => m.outcome === 'unchanged')).toBe(true);
    await expect(
      moveChannel(aws.ec2For, { image: 'svc', images: first, channels, to: 'edge' }),
    ).rejects.toThrow(/use rollback/);

    const moves = await moveChannel(aws.ec2For, { image: 'svc', images: second, channels, to: 'stable' });
    expect(moves).toEqual(
      first.map((old, i) => ({
        region: old.region,
        channel: 'stable',
        imageId: second[i]?.imageId,
        previous: old.imageId,
        outcome: 'moved',
      })),
    );
    for (const [i, region] of regions.entries()) {
      const holders = await channelHolders(aws.ec2For(region), 'svc', 'stable');
      expect(holders.map((h) => h.imageId)).toEqual([second[i]?.imageId]);
      expect(tagsOf(first[i]?.imageId as string)).toMatchObject({ [TAG.previousChannel]: 'stable' });
      expect(tagsOf(first[i]?.imageId as string)[TAG.channel]).toBeUndefined();
      const snapshot = aws.ec2.state.images.get(second[i]?.imageId as string)?.blockDevices[0]
        ?.snapshotId as string;
      expect(tagsOf(snapshot)[TAG.channel]).toBe('stable');
    }

    const back = await rollback(aws.ec2For, { image: 'svc', channel: 'stable', regions });
    expect(back.map((m) => [m.imageId, m.previous])).toEqual(
      first.map((old, i) => [old.imageId, second[i]?.imageId]),
    );
    for (const [i, region] of regions.entries()) {
      expect((await channelHolders(aws.ec2For(region), 'svc', 'stable')).map((h) => h.imageId)).toEqual([
        first[i]?.imageId,
      ]);
      expect(tagsOf(second[i]?.imageId as string)).toMatchObject({ [TAG.rolledBackFrom]: 'stable' });
    }
    await expect(rollback(aws.ec2For, { image: 'svc', channel: 'stable', regions })).rejects.toThrow(
      /nothing to roll back to/,
    );
  });

  it('refuses unknown channels and images of another set', async () => {
    const copies = await build('other', 'r1');
    await tagImages(aws.ec2For, copies, toTags({ status: 'validated' }));
    await expect(
      moveChannel(aws.ec2For, { image: 'other', images: copies, channels, to: 'beta' }),
    ).rejects.toThrow(/unknown channel "beta"/);
    await expect(moveChannel(aws.ec2For, { image: 'svc', images: copies, channels })).rejects.toThrow(
      /belongs to image set "other"/,
    );
  });
});

/** Runs the same copy again, as a re-run job would. */
function build2(sourceId: string, name: string) {
  const tags = builtTags({ run: 'r1', gitSha: 'r1abc', branch: 'windows-update/win2022', image: 'win2022' });
  return copyToRegions(aws.ec2For, {
    source: { region: 'us-east-1', imageId: sourceId },
    name,
    regions,
    tags,
    wait,
  });
}
