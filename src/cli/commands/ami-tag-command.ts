/** `hephestus ami tag`: Hephestus's tags on AMIs and their snapshots. */
import { IMAGE_STATUSES, type ImageStatus, type Tag, toTags } from '../../aws/image-tags.js';
import { type RegionalImage, tagImages } from '../../aws/tag-images.js';
import { InputError } from '../../errors.js';
import { amiId, readArtifacts, regionsOrDefault } from '../option-parsers.js';
import type { CommandContext } from '../run-command.js';
import { ec2PerRegion } from './ami-clients.js';

export interface TagOptions {
  ami: string[];
  region: string[];
  artifacts?: string;
  status?: string;
  image?: string;
  run?: string;
  gitSha?: string;
  branch?: string;
  inputHash?: string;
  dryRun?: boolean;
}

/** Tags AMIs and their snapshots with Hephestus's tags. */
export async function amiTagCommand(options: TagOptions, { logger, json }: CommandContext): Promise<void> {
  if (options.status !== undefined && !(IMAGE_STATUSES as readonly string[]).includes(options.status)) {
    throw new InputError(
      `must be one of ${IMAGE_STATUSES.join(', ')}, not ${JSON.stringify(options.status)}`,
      {
        setting: '--status',
      },
    );
  }
  const tags = toTags({
    status: options.status as ImageStatus | undefined,
    image: options.image,
    run: options.run,
    gitSha: options.gitSha,
    branch: options.branch,
    inputHash: options.inputHash,
  });
  if (tags.length === 0)
    throw new InputError('no tag given: use --status, --image, --run, ...', { setting: '--status' });
  let images: RegionalImage[];
  if (options.artifacts) {
    const result = await readArtifacts(options.artifacts);
    images = result.builds
      .flatMap((b) => b.artifacts.flatMap((a) => a.images ?? []))
      .map((i) => ({ region: i.region, imageId: amiId(i.ami, '--artifacts') }));
  } else {
    if (options.ami.length === 0) throw new InputError('give --ami (or --artifacts)', { setting: '--ami' });
    const [region] = regionsOrDefault(options.region);
    images = options.ami.map((value) => ({ region: region as string, imageId: amiId(value) }));
  }
  if (options.dryRun) {
    if (json) logger.result({ ok: true, dryRun: true, images, tags });
    else
      logger.result(
        `would tag ${images.map((i) => `${i.region}:${i.imageId}`).join(', ')} and their snapshots with ${describeTags(tags)}`,
      );
    return;
  }
  const tagged = await tagImages(ec2PerRegion(), images, tags);
  if (json) logger.result({ ok: true, dryRun: false, tags, regions: tagged });
  else
    logger.result(
      tagged
        .map(
          (t) =>
            `${t.region}: tagged ${[...t.imageIds, ...t.snapshotIds].join(', ')} with ${describeTags(tags)}`,
        )
        .join('\n'),
    );
}

function describeTags(tags: Tag[]): string {
  return tags.map((t) => `${t.Key}=${t.Value}`).join(' ');
}
