/**
 * The cheapest way to change a repository, from what it reports about itself: the clone asks the server for the
 * tip without any file above LARGE_FILE_BYTES (`--filter=blob:limit=`), and what the server left out decides the
 * checkout. A tip of small files is checked out whole, as a shallow clone would; a tip with big ones (binaries a
 * bump never reads) only the files the flow reads and edits.
 *
 * Why not by the size GitHub reports (`GET /repos`)? It counts the history, which a clone of the tip never
 * fetches, and says nothing of the tip: a 300 MiB history may hold a tip of kilobytes. And asking first costs a
 * round trip before the clone, or a restarted clone; the filter costs neither (measured in bench/big-repo.ts).
 */
import type { HephestusConfig } from '../config/config-schema.js';

/**
 * Files above this stay on the server. A file a flow reads or edits (configuration, Packer templates, a Helm
 * chart) is text of kilobytes, so a mebibyte leaves room for any of them; one above it is still fetched, on
 * checkout, at the cost of one more request.
 */
export const LARGE_FILE_BYTES = 1024 * 1024;

const MIB = LARGE_FILE_BYTES / (1024 * 1024);

export interface CloneChoice {
  way: 'whole' | 'sparse';
  /** Said in the log. */
  reason: string;
}

/** How a clone that left `omitted` files of its tip on the server is checked out, and why. */
export function describeClone(omitted: number): CloneChoice {
  if (omitted === 0)
    return { way: 'whole', reason: `no file of its tip is above ${MIB} MiB, so all are checked out` };
  const files = omitted === 1 ? '1 file' : `${omitted} files`;
  return {
    way: 'sparse',
    reason: `${files} of its tip above ${MIB} MiB left on the server; only the files to read and edit are checked out`,
  };
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
