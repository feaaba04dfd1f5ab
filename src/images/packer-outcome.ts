/** What one Packer run made for one image: its AMIs, another builder's artifacts, or its errors. Pure. */
import type { ImageConfig } from '../config/config-schema.js';
import type { LockArtifact } from '../lock/lock-file.js';
import { artifactName, type PackerResult } from '../packer/artifacts.js';
import type { RegionalAmis } from './image-set.js';

/** The image's build in the result: the one it names, or the only one when it names none. */
function buildOf(result: PackerResult, image: ImageConfig, only: boolean) {
  return (
    result.builds.find((b) => b.name === image.build) ?? (only && !image.build ? result.builds[0] : undefined)
  );
}

/** The artifacts of the image's build when none of them is an AMI (another builder's output), else undefined. */
export function genericArtifactsOf(
  result: PackerResult,
  image: ImageConfig,
  only: boolean,
): LockArtifact[] | undefined {
  const artifacts = buildOf(result, image, only)?.artifacts ?? [];
  if (artifacts.length === 0 || artifacts.some((a) => a.images)) return undefined;
  if (result.errors.some((e) => e.build === '' || e.build === image.build)) return undefined;
  return artifacts.map((a) => ({ builder_id: a.builderId, id: artifactName(a) }));
}

/** The AMIs of the image's build, region to id; undefined when it made none. */
export function amisOf(result: PackerResult, image: ImageConfig, only: boolean): RegionalAmis | undefined {
  const build = buildOf(result, image, only);
  const images = build?.artifacts.flatMap((a) => a.images ?? []) ?? [];
  if (images.length === 0) return undefined;
  return Object.fromEntries(images.map((i) => [i.region, i.ami]));
}

/** The errors of the image's build (and the run's own), one line each. */
export function buildErrors(result: PackerResult, image: ImageConfig): string {
  return result.errors
    .filter((e) => e.build === '' || e.build === image.build)
    .map((e) => firstErrorLine(e.message))
    .join('; ');
}

/** Packer's `N error(s) occurred:` header says nothing; the first error under it does (e.g. which region copy failed). */
function firstErrorLine(message: string): string {
  const lines = message.split('\n').map((line) => line.replace(/^\*\s*/, '').trim());
  return lines.find((line) => line !== '' && !/^\d+ error\(s\) occurred:?$/.test(line)) ?? lines[0] ?? '';
}
