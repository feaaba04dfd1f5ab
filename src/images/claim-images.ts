/**
 * Every AMI Packer made in a run is tagged by the run: as built (then validated or failed) when it belongs to a
 * configured image, else as failed (refused). An AMI's `hephestus:*` tags are the run's word, never the branch's.
 */
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { builtTags, TAG, type Tag, toTags } from '../aws/image-tags.js';
import { imageRecord } from '../aws/schema.js';
import { type RegionalImage, tagImages, untagResources } from '../aws/tag-images.js';
import type { FlowContext } from '../flows/flow-context.js';
import { RECORD_TAG } from '../lock/build-record.js';
import type { PackerResult } from '../packer/artifacts.js';
import { type BuildRun, type PlannedBuild, regional } from './image-build.js';

/** `hephestus:*` tags a template may have set that only promotion and rollout may set. */
const FOREIGN_KEYS = [TAG.channel, TAG.previousChannel, TAG.replaces, TAG.rolledBackFrom];

/** Tags the AMIs of `built` as this run's build of its image, and logs them. */
export async function claimBuiltImages(
  context: FlowContext,
  run: BuildRun,
  { image, entry }: PlannedBuild,
): Promise<void> {
  const tagged = await claimImages(context, regional(entry.amis), [
    ...builtTags({
      run: run.run,
      gitSha: run.sha,
      branch: run.branch,
      image: image.name,
      inputHash: entry.inputHash,
    }),
    ...recordTags(run),
  ]);
  context.logger.info(
    `${image.name}: built ${tagged.map((t) => `${t.region} ${t.imageIds.join(' ')}`).join(', ')}; tagged built`,
  );
}

/** Every AMI Packer made in this run that no image of the group took: tagged by this run as `failed` (refused). */
export async function refuseUnclaimed(
  context: FlowContext,
  run: BuildRun,
  result: PackerResult,
  group: readonly PlannedBuild[],
): Promise<void> {
  const claimed = new Set(group.flatMap(({ entry }) => Object.values(entry.amis)));
  const stray = result.builds
    .flatMap((b) => b.artifacts.flatMap((a) => a.images ?? []))
    .filter((i) => !claimed.has(i.ami))
    .map((i) => ({ region: i.region, imageId: i.ami }));
  if (stray.length === 0) return;
  await claimImages(
    context,
    stray,
    toTags({ run: run.run, gitSha: run.sha, branch: run.branch, image: '(none)', status: 'failed' }),
  );
  context.logger.warn(
    `refused ${stray.map((s) => `${s.region} ${s.imageId}`).join(', ')}: made by the template but owned by no configured image; tagged failed`,
  );
}

/**
 * Tags `images` (and their snapshots) as this run's, then removes what the template may have put on them (a
 * channel, say). In that order, because the tagging role may remove `hephestus:*` tags only from images that
 * carry its mark; and only where a planted tag is there, since with the IAM split Packer cannot plant one and the
 * call would be wasted.
 */
async function claimImages(context: FlowContext, images: RegionalImage[], tags: Tag[]) {
  const tagged = await tagImages(context.ec2For, images, tags);
  await Promise.all(
    [...new Set(images.map((i) => i.region))].map(async (region) => {
      const ec2 = context.ec2For(region);
      const ids = images.filter((i) => i.region === region).map((i) => i.imageId);
      const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: ids }));
      const planted = Images.map(imageRecord).filter((image) =>
        FOREIGN_KEYS.some((key) => Object.hasOwn(image.tags, key)),
      );
      await untagResources(
        ec2,
        planted.flatMap((image) => [image.imageId, ...image.snapshotIds]),
        FOREIGN_KEYS,
      );
    }),
  );
  return tagged;
}

/** The lock-file facts an AMI carries beside the image-tags model: Packer version and run URL. */
function recordTags(run: BuildRun): Tag[] {
  const tags: Tag[] = [];
  if (run.packerVersion) tags.push({ Key: RECORD_TAG.packerVersion, Value: run.packerVersion });
  if (run.runUrl) tags.push({ Key: RECORD_TAG.runUrl, Value: run.runUrl.slice(0, 256) });
  return tags;
}
