/**
 * Reads the file of Packer's `manifest` post-processor. The post-processor appends to the file on every run, so
 * only the builds of the last run (`packer_run_uuid === last_run_uuid`) are taken.
 *
 * Validated by hand rather than with zod: this module is on the start-up path of `hephestus packer parse`,
 * which imports node builtins only.
 */
import { InputError, lineColumnAt } from '../errors.js';
import { makeArtifact, type PackerResult, PackerResultCollector } from './artifacts.js';

/**
 * The builder ids Packer prints for the builders whose type the manifest names, so that a manifest and a log
 * give the same `builderId`. Other builders keep their type.
 */
const BUILDER_IDS: Record<string, string> = {
  'amazon-ebs': 'mitchellh.amazonebs',
  'amazon-chroot': 'mitchellh.amazon.chroot',
  'amazon-ebssurrogate': 'mitchellh.amazon.ebssurrogate',
  'amazon-ebsvolume': 'mitchellh.amazon.ebsvolume',
  'amazon-instance': 'mitchellh.amazon.instance',
  docker: 'packer.docker',
  file: 'packer.file',
  null: 'fnoeding.null',
};

/** Parses a manifest's text; `file` names it in errors. */
export function parseManifest(text: string, file?: string): PackerResult {
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const position = /position (\d+)/.exec(String(error))?.[1];
    const where = position === undefined ? {} : lineColumnAt(text, Number(position));
    throw new InputError(`the Packer manifest is not valid JSON: ${(error as Error).message}`, {
      file,
      ...where,
    });
  }
  if (!isObject(document) || !Array.isArray(document.builds)) {
    throw new InputError('not a Packer manifest: expected an object with a "builds" list', { file });
  }
  const lastRun = typeof document.last_run_uuid === 'string' ? document.last_run_uuid : undefined;
  const collector = new PackerResultCollector();
  document.builds.forEach((build, index) => {
    const setting = `builds[${index}]`;
    if (!isObject(build)) throw new InputError('expected an object', { file, setting });
    if (lastRun !== undefined && build.packer_run_uuid !== lastRun) return;
    const name = requireString(build, 'name', file, setting);
    const type = requireString(build, 'builder_type', file, setting);
    const id =
      build.artifact_id === undefined || build.artifact_id === null
        ? ''
        : requireString(build, 'artifact_id', file, setting);
    const files = Array.isArray(build.files)
      ? build.files
          .map((entry) => (isObject(entry) && typeof entry.name === 'string' ? entry.name : undefined))
          .filter((name) => name !== undefined)
      : [];
    collector.addArtifact(`${type}.${name}`, makeArtifact(BUILDER_IDS[type] ?? type, id, files));
  });
  return collector.result();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(
  object: Record<string, unknown>,
  key: string,
  file: string | undefined,
  setting: string,
): string {
  const value = object[key];
  if (typeof value !== 'string')
    throw new InputError(`expected "${key}" to be a string`, { file, setting: `${setting}.${key}` });
  return value;
}
