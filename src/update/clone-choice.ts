/**
 * The cheapest way to change a repository, from what it reports about itself (GitHub's `size`, in KB, of
 * `GET /repos/{owner}/{repo}`): a shallow clone of the tip, or, for a big one, a blobless clone that checks out
 * only the files the flow reads and edits (`--filter=blob:none`, `git sparse-checkout set --no-cone`).
 */
import type { HephestusConfig } from '../config/config-schema.js';
import { InputError } from '../errors.js';

/**
 * Above this a repository is cloned blobless and sparse. The sparse way costs round trips (the contents come
 * after the clone in two fetches, each git process on a connection of its own: measured 13-16 sequential requests
 * against a shallow clone's 7 at 100 ms), the shallow way the tip's bytes. GitHub's size counts the whole history,
 * which a depth-1 clone never downloads, so a long history of small files (the benchmark's 20,000 commits,
 * 300 MiB) is still cheapest cloned shallow: only a size past GitHub's own 1 GB recommendation says the tip itself
 * is likely big. `HEPHESTUS_SPARSE_CLONE_ABOVE_MB` moves the line for a repository whose tip is known to be big.
 */
export const SPARSE_CLONE_ABOVE_KB = 1024 * 1024;

/** `HEPHESTUS_SPARSE_CLONE_ABOVE_MB` in KB, else the default; a value that is no whole number of MB is refused. */
export function sparseCloneAboveKb(env: Record<string, string | undefined>): number {
  const value = env.HEPHESTUS_SPARSE_CLONE_ABOVE_MB;
  if (value === undefined || value === '') return SPARSE_CLONE_ABOVE_KB;
  if (!/^\d{1,7}$/.test(value))
    throw new InputError(
      `HEPHESTUS_SPARSE_CLONE_ABOVE_MB is not a whole number of MB: ${JSON.stringify(value)}`,
      {
        setting: 'HEPHESTUS_SPARSE_CLONE_ABOVE_MB',
      },
    );
  return Number(value) * 1024;
}

export interface CloneChoice {
  way: 'shallow' | 'sparse';
  /** Said in the log. */
  reason: string;
}

/** The way to clone a repository that reports `sizeKb` (undefined: it could not be read). */
export function chooseClone(sizeKb: number | undefined, aboveKb = SPARSE_CLONE_ABOVE_KB): CloneChoice {
  if (sizeKb === undefined)
    return { way: 'shallow', reason: 'its size could not be read, so the tip is cloned whole' };
  const size = sizeKb >= 1024 ? `${(sizeKb / 1024).toFixed(1)} MiB` : `${sizeKb} KiB`;
  const limit = `${aboveKb / 1024} MiB`;
  return sizeKb > aboveKb
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
