/** Which configured images a flow works on: all of them, or the ones `--images` names. */
import type { HephestusConfig, ImageConfig } from '../config/config-schema.js';
import { InputError } from '../errors.js';
import { parseImageNames } from './image-set.js';

/** The configured images with a base AMI (what open-update tracks), narrowed to `--images` when given. */
export function selectTrackedImages(config: HephestusConfig, images: string | undefined): ImageConfig[] {
  const all = config.images.filter((image) => image.base_ami !== undefined);
  if (images === undefined) {
    if (all.length === 0) throw new InputError('no image has a base_ami to track', { setting: 'images' });
    return all;
  }
  const names = parseImageNames(images);
  return names.map((name) => {
    const image = all.find((i) => i.name === name);
    if (!image) {
      throw new InputError(
        `no image ${JSON.stringify(name)} with a base_ami in the configuration (${all.map((i) => i.name).join(', ')})`,
        { setting: '--images' },
      );
    }
    return image;
  });
}

/** The configured images (what build-validate builds), narrowed to `--images` when given. */
export function selectBuildImages(config: HephestusConfig, images: string | undefined): ImageConfig[] {
  if (config.images.length === 0) throw new InputError('no images configured', { setting: 'images' });
  if (images === undefined) return config.images;
  return parseImageNames(images).map((name) => {
    const image = config.images.find((i) => i.name === name);
    if (!image)
      throw new InputError(`no image ${JSON.stringify(name)} in the configuration`, { setting: '--images' });
    return image;
  });
}
