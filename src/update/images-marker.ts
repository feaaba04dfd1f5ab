/** The images an update PR carries (image to region to AMI), hidden in its body for announce. Pure. */
import { z } from 'zod';
import { AmiIdSchema } from '../config/config-schema.js';
import { hiddenBlock } from '../github/hidden-state.js';
import type { ImageAmiMap } from '../images/image-set.js';

const IMAGES_MARKER = hiddenBlock('images', z.record(z.string(), z.record(z.string(), AmiIdSchema)));

/** The hidden block for `images`. */
export function encodeImages(images: ImageAmiMap): string {
  return IMAGES_MARKER.encode(images);
}

/** The images an update PR body records, or undefined when it records none. */
export function imagesOfBody(body: string): ImageAmiMap | undefined {
  const images = IMAGES_MARKER.decode(body);
  return images && Object.keys(images).length > 0 ? images : undefined;
}
