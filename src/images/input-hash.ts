/**
 * The content hash of an image's inputs, tagged on its AMIs (`hephestus:input-hash`) so that an image whose
 * inputs did not change is not rebuilt: a validated AMI with the same hash is reused.
 *
 * The inputs are the files the image's configuration names (template, `inputs` globs, smoke tests), taken
 * from git's index (`git ls-files -s`: path and blob id, so no file is read twice and the hash matches
 * what is committed), plus the image's own base AMI pin and its configuration. The shared variable files are
 * not hashed whole: they pin every image's base AMI, and one image's new pin must not rebuild the others;
 * list a variable file in `inputs` to hash all of it.
 */
import { createHash } from 'node:crypto';
import type { ImageConfig } from '../config/config-schema.js';
import { localGit } from '../git/git-environment.js';

export interface HashedFile {
  path: string;
  /** git's blob id of the committed content. */
  blob: string;
}

/** The hash of `files` and `extra`, as `sha256:<hex>`; independent of the order the files come in. */
export function inputHash(files: readonly HashedFile[], extra: Record<string, unknown>): string {
  const hash = createHash('sha256');
  const sorted = [...new Map(files.map((f) => [f.path, f])).values()].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  for (const file of sorted) hash.update(`${file.blob} ${file.path}\n`);
  hash.update(JSON.stringify(extra, Object.keys(extra).sort()));
  return `sha256:${hash.digest('hex')}`;
}

/** The pathspecs of an image's inputs, git's `:(glob)` magic so `scripts/**\/*.ps1` means what it says. */
export function inputPathspecs(image: ImageConfig): string[] {
  return [image.template, ...image.inputs, ...image.smoke_tests].map((spec) => `:(glob)${spec}`);
}

/** The committed files matching the image's inputs in the clone at `dir`. */
export async function listInputFiles(dir: string, image: ImageConfig): Promise<HashedFile[]> {
  const out = await localGit(dir).raw(['ls-files', '-s', '-z', '--', ...inputPathspecs(image)]);
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      // `<mode> <blob> <stage>\t<path>`
      const [meta, path] = line.split('\t') as [string, string];
      return { path, blob: meta.split(' ')[1] as string };
    });
}

/** The input hash of `image` in the clone at `dir`, with its base AMI pin `pin` (when it has one). */
export async function imageInputHash(
  dir: string,
  image: ImageConfig,
  pin: string | undefined,
): Promise<string> {
  const files = await listInputFiles(dir, image);
  return inputHash(files, {
    name: image.name,
    build: image.build ?? null,
    template: image.template,
    regions: image.regions,
    pin: pin ?? null,
  });
}
