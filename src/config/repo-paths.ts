/**
 * Paths from configuration, resolved inside a checkout. Branch content is an attacker's: a committed symbolic
 * link (`tests/smoke.ps1 -> /proc/self/environ`, `images.lock.json -> /elsewhere/file`) must not make us read or
 * write outside the clone. Every path is resolved with each link followed (`realpath`), and one that leads out of
 * the checkout, or is a link to nothing (writing would create its target), is refused with exit 2 naming the setting.
 */
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { HephestusConfig } from './config-schema.js';

/** `file` (relative to `dir`) as an absolute path inside `dir`; refused when it, or a link on its way, leads out. */
export function repoPath(dir: string, file: string, setting: string): string {
  const full = resolve(dir, file);
  if (!inside(resolve(dir), full)) {
    throw new InputError(`${JSON.stringify(file)} lies outside the repository`, { setting });
  }
  const real = realTarget(full, file, setting);
  if (real !== undefined && !inside(realpathSync(dir), real)) {
    throw new InputError(
      `${JSON.stringify(file)} is a symbolic link (or lies under one) that leads outside the repository`,
      { setting, file },
    );
  }
  return full;
}

/**
 * Checks every path the configuration names (templates and the files of template directories, variable files,
 * inputs that are not globs, smoke tests, base AMI pins, the lock file, bump files, and the configuration file
 * itself), so a link out is refused before anything is built, read or written.
 */
export function assertPathsInside(dir: string, config: HephestusConfig, configFile: string): void {
  repoPath(dir, configFile, '--config');
  for (const [index, image] of config.images.entries()) {
    const at = `images[${index}]`;
    const template = repoPath(dir, image.template, `${at}.template`);
    if (isDirectory(template)) {
      for (const entry of readdirSync(template)) repoPath(dir, join(image.template, entry), `${at}.template`);
    }
    for (const [i, file] of image.var_files.entries()) repoPath(dir, file, `${at}.var_files[${i}]`);
    for (const [i, file] of image.smoke_tests.entries()) repoPath(dir, file, `${at}.smoke_tests[${i}]`);
    for (const [i, file] of image.inputs.entries())
      if (!/[*?[{]/.test(file)) repoPath(dir, file, `${at}.inputs[${i}]`);
    if (image.base_ami) repoPath(dir, image.base_ami.pin.file, `${at}.base_ami.pin.file`);
  }
  repoPath(dir, config.lock_file, 'lock_file');
  for (const [index, entry] of (config.bump?.files ?? []).entries())
    repoPath(dir, entry.file, `bump.files[${index}].file`);
}

/** Whether `path` lies in `root` (or is it). */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && resolve(root, rel) === path && !rel.startsWith('/'));
}

/**
 * The real path `full` leads to: its own when it exists; for a path that does not exist yet, its nearest
 * existing ancestor's real path joined with the rest. A link to nothing is refused: writing through it would
 * create the link's target wherever it points.
 */
function realTarget(full: string, file: string, setting: string): string | undefined {
  try {
    return realpathSync(full);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
  }
  if (isLink(full)) {
    throw new InputError(`${JSON.stringify(file)} is a symbolic link to nothing`, { setting, file });
  }
  const parent = dirname(full);
  if (parent === full) return full;
  const realParent = realTarget(parent, file, setting);
  return realParent === undefined ? undefined : join(realParent, basename(full));
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
