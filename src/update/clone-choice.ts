/**
 * The cheapest way to change a repository, from what it reports about itself (GitHub's `size`, in KB, of
 * `GET /repos/{owner}/{repo}`): a shallow clone of the tip, or, for a big one, a blobless clone that checks out
 * only the files the flow reads and edits (`--filter=blob:none`, `git sparse-checkout set --no-cone`).
 */
import type { HephestusConfig } from '../config/config-schema.js';

/**
 * Above this a repository is cloned blobless and sparse. The sparse way costs about four round trips more (the
 * contents come after the clone in two fetches of two requests each: the configuration, then the files it names;
 * ~0.4 s at 100 ms, and the stopped shallow clone's first round trip), the shallow way the tip's bytes, which a
 * repository's size bounds but does not tell: at 10 MiB of history a tip of a few MB already takes seconds at
 * 20 Mbit/s, and the round trips are the smaller price.
 */
export const SPARSE_CLONE_ABOVE_KB = 10 * 1024;

export interface CloneChoice {
  way: 'shallow' | 'sparse';
  /** Said in the log. */
  reason: string;
}

/** The way to clone a repository that reports `sizeKb` (undefined: it could not be read). */
export function chooseClone(sizeKb: number | undefined): CloneChoice {
  if (sizeKb === undefined)
    return { way: 'shallow', reason: 'its size could not be read, so the tip is cloned whole' };
  const size = sizeKb >= 1024 ? `${(sizeKb / 1024).toFixed(1)} MiB` : `${sizeKb} KiB`;
  const limit = `${SPARSE_CLONE_ABOVE_KB / 1024} MiB`;
  return sizeKb > SPARSE_CLONE_ABOVE_KB
    ? {
        way: 'sparse',
        reason: `it reports ${size}, above ${limit}: blobless, only the files to read and edit`,
      }
    : { way: 'shallow', reason: `it reports ${size}, within ${limit}: the tip cloned whole` };
}

/**
 * Every path of the repository a flow on `config` reads or edits: the configuration file, each image's template,
 * variable files, smoke tests and base AMI pin (the repository check reads them), and each `bump.files` entry.
 */
export function filesToCheckOut(config: HephestusConfig, configFile: string): string[] {
  const paths = [configFile];
  for (const image of config.images) {
    paths.push(image.template, ...image.var_files, ...image.smoke_tests);
    if (image.base_ami) paths.push(image.base_ami.pin.file);
  }
  for (const target of config.bump?.files ?? []) paths.push(target.file);
  return [...new Set(paths)];
}
