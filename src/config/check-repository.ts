/**
 * Checks hephestus.yml against the repository it lives in: the templates, variable files and smoke tests it
 * names exist, each base AMI pin and each bump path resolves in its file, and each Packer build name is in its
 * template. Regions are checked with the schema. Every problem names the setting, where it is in hephestus.yml,
 * and a fix. `config check` prints them all; a flow stops at them (exit 2) before it builds or writes anything.
 */
import { readdir, readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve } from 'node:path';
import { updaterFor, updaterForFormat } from '../edit/updaters.js';
import { type HephestusError, InputError, type Location } from '../errors.js';
import { buildNames, selectsBuild } from '../packer/template-facts.js';
import { readTemplateFiles } from '../packer/template-files.js';
import type { FileTarget, HephestusConfig } from './config-schema.js';
import { closestMatch } from './did-you-mean.js';
import { configPosition, settingName } from './load-config.js';

export interface RepositoryProblem {
  /** The setting's path in hephestus.yml: `['images', 0, 'template']`. */
  path: Array<string | number>;
  message: string;
  /** What to change. */
  fix: string;
}

/** Every problem of `config` in the repository at `root`; empty when the repository matches it. */
export async function checkRepository(config: HephestusConfig, root: string): Promise<RepositoryProblem[]> {
  const problems: RepositoryProblem[] = [];
  for (const [i, image] of config.images.entries()) {
    const at = (...rest: Array<string | number>) => ['images', i, ...rest];
    const template = await checkPath(root, image.template, at('template'), problems, 'template');
    if (template && image.build !== undefined)
      await checkBuild(root, template, image.build, at('build'), problems);
    for (const [j, file] of image.var_files.entries())
      await checkPath(root, file, at('var_files', j), problems, 'variable file');
    for (const [j, file] of image.smoke_tests.entries())
      await checkPath(root, file, at('smoke_tests', j), problems, 'smoke test');
    if (image.base_ami) await checkTarget(root, image.base_ami.pin, at('base_ami', 'pin'), problems);
  }
  for (const [k, target] of (config.bump?.files ?? []).entries())
    await checkTarget(root, target, ['bump', 'files', k], problems);
  return problems;
}

/** The problems as one InputError (exit 2) located at the first, listing the others under it. */
export function repositoryError(
  problems: readonly RepositoryProblem[],
  file: string,
  text: string,
): InputError {
  const located = problems.map((problem) => ({
    ...problem,
    location: { file, ...configPosition(text, problem.path), setting: settingName(problem.path) } as Location,
  }));
  const [first, ...others] = located as [(typeof located)[number], ...typeof located];
  const more = others.map(
    (p) => `\n  ${p.location.line}:${p.location.column}: ${p.location.setting}: ${p.message}; ${p.fix}`,
  );
  return new InputError(`${first.message}; ${first.fix}${more.join('')}`, first.location);
}

/** The path inside the repository, or undefined (and a problem) when it leads out of it or does not exist. */
async function checkPath(
  root: string,
  file: string,
  path: Array<string | number>,
  problems: RepositoryProblem[],
  what: string,
): Promise<string | undefined> {
  const full = resolve(root, file);
  const rel = relative(root, full);
  if (rel.startsWith('..') || resolve(root, rel) !== full) {
    problems.push({
      path,
      message: `${JSON.stringify(file)} lies outside the repository`,
      fix: 'give a path inside the repository, relative to its root',
    });
    return undefined;
  }
  const real = await realpath(full).catch(() => undefined);
  if (real === undefined) {
    problems.push({ path, message: `${what} ${file} does not exist`, fix: await pathFix(root, file) });
    return undefined;
  }
  // Branch content is untrusted: a link out of the clone (to /proc/self/environ, say) must not be read.
  if (relative(await realpath(root), real).startsWith('..')) {
    problems.push({
      path,
      message: `${what} ${file} is a link out of the repository`,
      fix: 'commit the file itself, not a link to a place outside the repository',
    });
    return undefined;
  }
  return full;
}

/** A did-you-mean among the names in the file's directory, else what to do. */
async function pathFix(root: string, file: string): Promise<string> {
  const dir = dirname(file);
  const names = await readdir(resolve(root, dir)).catch(() => undefined);
  if (!names)
    return `there is no directory ${dir}/ either; correct the path (relative to the repository root)`;
  const suggestion = closestMatch(basename(file), names);
  return suggestion
    ? `did you mean ${posix.join(dir, suggestion)}?`
    : `correct the path, or add the file (${dir}/ holds ${names.slice(0, 5).join(', ') || 'nothing'})`;
}

async function checkBuild(
  root: string,
  template: string,
  build: string,
  path: Array<string | number>,
  problems: RepositoryProblem[],
): Promise<void> {
  let names: string[];
  try {
    names = buildNames(await readTemplateFiles(template, root));
  } catch (error) {
    problems.push({
      path: path.slice(0, -1).concat('template'),
      message: `the template does not parse: ${describe(error)}`,
      fix: 'fix the template (packer validate shows the same)',
    });
    return;
  }
  if (selectsBuild(build, names)) return;
  const suggestion = closestMatch(build, names);
  problems.push({
    path,
    message: `no build ${build} in ${relative(root, template)} (it has ${names.join(', ') || 'no build'})`,
    fix: suggestion
      ? `did you mean ${suggestion}?`
      : 'name one of its builds, as packer build -only takes it',
  });
}

/** A pin or bump target: its file exists and its path resolves there to a string. */
async function checkTarget(
  root: string,
  target: FileTarget,
  path: Array<string | number>,
  problems: RepositoryProblem[],
): Promise<void> {
  const file = await checkPath(root, target.file, [...path, 'file'], problems, 'file');
  if (!file) return;
  const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  try {
    const value = updaterFor(target.file, target.format).readString(text, target.path);
    if (target.embedded !== undefined && target.inner_path !== undefined)
      updaterForFormat(target.embedded, settingName([...path, 'embedded'])).readString(
        value,
        target.inner_path,
      );
  } catch (error) {
    problems.push({
      path: [...path, target.embedded !== undefined ? 'inner_path' : 'path'],
      message: `${target.path} does not resolve in ${target.file}: ${describe(error, target.file)}`,
      fix: `give the path of the value in ${target.file}, as \`hephestus edit --path\` takes it`,
    });
  }
}

function describe(error: unknown, file?: string): string {
  if (error instanceof Error && 'location' in error) {
    const located = error as HephestusError;
    const { line, column } = located.location;
    return line !== undefined
      ? `${located.location.file ?? file}:${line}:${column}: ${located.message}`
      : located.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** {@link checkRepository} for a flow: throws the problems as one InputError (exit 2). */
export async function assertRepositoryMatches(
  config: HephestusConfig,
  root: string,
  configFile: string,
): Promise<void> {
  const problems = await checkRepository(config, root);
  if (problems.length === 0) return;
  throw repositoryError(problems, configFile, await readFile(join(root, configFile), 'utf8'));
}
