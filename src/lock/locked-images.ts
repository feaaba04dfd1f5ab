/** The images a consumer takes from the images repository's lock file (`bump.source: lock`). */
import type { HephestusConfig } from '../config/config-schema.js';
import { InputError } from '../errors.js';
import { type FlowContext, parseRepository } from '../flows/flow-context.js';
import type { ImageAmiMap } from '../images/image-set.js';
import { fetchLock } from './lock-store.js';

/** The AMIs the images repository's lock file names, for `bump.source: lock`. */
export async function lockedImages(context: FlowContext, config: HephestusConfig): Promise<ImageAmiMap> {
  const bump = config.bump;
  if (bump?.source !== 'lock') {
    throw new InputError(
      'no images: pass --images (the pipeline parameter the images pipeline sets), or set bump.source: lock',
      { setting: '--images' },
    );
  }
  if (!bump.images_repository) {
    throw new InputError('bump.source: lock needs bump.images_repository (owner/name)', {
      setting: 'bump.images_repository',
    });
  }
  const source = parseRepository(bump.images_repository, 'bump.images_repository');
  const { lock, file } = await fetchLock(context, source);
  if (!lock) {
    throw new InputError(`${source.fullName} has no ${file} on its default branch`, {
      setting: 'bump.images_repository',
    });
  }
  const images: ImageAmiMap = Object.fromEntries(
    Object.entries(lock.images)
      .filter(([, entry]) => Object.keys(entry.amis).length > 0)
      .map(([image, entry]) => [image, entry.amis]),
  );
  context.logger.info(`images from ${source.fullName}:${file}: ${JSON.stringify(images)}`);
  return images;
}
