/**
 * Image sets and the `--images` parameter. An image set is the group of images one update covers; it names
 * the update branch (`<prefix><image-set>`), so the same selection always lands on the same branch and PR.
 */
import { AmiIdSchema } from '../config/config-schema.js';
import { InputError } from '../errors.js';

/** AMI ids per region of one image; the key `*` holds an id given without a region. */
export type RegionalAmis = Record<string, string>;

/** Image name to its AMIs, as the promote flow passes it to consumers. */
export type ImageAmiMap = Record<string, RegionalAmis>;

/** The region key of an AMI given without one (`win2022=ami-...`). */
export const ANY_REGION = '*';

/** The image set of `names`: sorted, joined by `-`. */
export function imageSetName(names: readonly string[]): string {
  const unique = [...new Set(names)].sort();
  if (unique.length === 0) throw new InputError('no images selected', { setting: '--images' });
  return unique.join('-');
}

/**
 * True when `other` is the image set of a proper subset of `names` (an image set's names may hold `-`, so the
 * name is matched against the sorted names rather than split).
 */
export function coversImageSet(names: readonly string[], other: string): boolean {
  const sorted = [...new Set(names)].sort();
  const match = (rest: string, from: number, count: number): boolean => {
    if (rest === '') return count > 0 && count < sorted.length;
    for (let i = from; i < sorted.length; i++) {
      const name = sorted[i] as string;
      const head = count === 0 ? name : `-${name}`;
      if (rest.startsWith(head) && match(rest.slice(head.length), i + 1, count + 1)) return true;
    }
    return false;
  };
  return match(other, 0, 0);
}

/** Image names from `--images` given as `a,b` (or as any of the AMI forms, whose keys are the names). */
export function parseImageNames(value: string): string[] {
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.includes('=')) return Object.keys(parseImageAmis(trimmed));
  const names = trimmed
    .split(/[\s,]+/)
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InputError('--images is empty', { setting: '--images' });
  return names;
}

/**
 * `--images` as image to AMIs: a JSON object (`{"win2022":{"us-east-1":"ami-..."}}`, or `{"win2022":"ami-..."}`)
 * or `name=ami` pairs separated by commas. Every id is checked.
 */
export function parseImageAmis(value: string): ImageAmiMap {
  const trimmed = value.trim();
  const result: ImageAmiMap = {};
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new InputError(`--images is not valid JSON: ${(error as Error).message}`, {
        setting: '--images',
      });
    }
    for (const [image, amis] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof amis === 'string') result[image] = { [ANY_REGION]: checkAmi(amis, image) };
      else if (amis && typeof amis === 'object' && !Array.isArray(amis)) {
        result[image] = Object.fromEntries(
          Object.entries(amis as Record<string, unknown>).map(([region, ami]) => [
            region,
            checkAmi(ami, `${image}.${region}`),
          ]),
        );
      } else
        throw new InputError(`--images: ${image} must map to an AMI id or regions`, { setting: '--images' });
    }
  } else {
    for (const pair of trimmed.split(/[\s,]+/).filter(Boolean)) {
      const [image, ami, extra] = pair.split('=');
      if (!image || ami === undefined || extra !== undefined) {
        throw new InputError(`--images: expected name=ami-..., got ${JSON.stringify(pair)}`, {
          setting: '--images',
        });
      }
      result[image] = { ...(result[image] ?? {}), [ANY_REGION]: checkAmi(ami, image) };
    }
  }
  if (Object.keys(result).length === 0)
    throw new InputError('--images names no image', { setting: '--images' });
  return result;
}

/** The AMI of `amis` for `region`, or its only (or first) AMI when no region is asked for. */
export function amiFor(amis: RegionalAmis, region: string | undefined): string | undefined {
  if (region !== undefined) return amis[region] ?? amis[ANY_REGION];
  return amis[ANY_REGION] ?? Object.values(amis)[0];
}

function checkAmi(value: unknown, where: string): string {
  const checked = AmiIdSchema.safeParse(value);
  if (!checked.success) {
    throw new InputError(`--images: ${where}: ${JSON.stringify(value)} is not an AMI id`, {
      setting: '--images',
    });
  }
  return checked.data;
}
