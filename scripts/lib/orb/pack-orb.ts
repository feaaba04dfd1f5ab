/**
 * Packs an orb's source tree into one orb document, following `circleci orb pack` (classic): `@orb.yml` at the
 * root, one file per component in `commands/`, `executors/`, `jobs/` and `examples/` keyed by its base name, and
 * `<<include(path)>>` values replaced by the named file's text with `<<` escaped as `\<<`
 * (CircleCI-Public/circleci-cli `process/process.go`, `MaybeIncludeFile`).
 *
 * Pure: the caller reads the files and writes the result.
 */
import { isMap, parseDocument, stringify } from 'yaml';
import { InputError, lineColumnAt } from '../../../src/errors.js';

export const COMPONENT_FOLDERS = ['commands', 'executors', 'jobs', 'examples'] as const;
export type ComponentFolder = (typeof COMPONENT_FOLDERS)[number];

export const ROOT_FILE = '@orb.yml';

/** One component file: `jobs/open_update.yml` is the job `open_update`. */
export interface OrbComponent {
  folder: ComponentFolder;
  name: string;
  /** The path inside the orb source directory, `/`-separated. */
  file: string;
  value: Record<string, unknown>;
}

/** The parsed, not yet packed, source of an orb. */
export interface OrbSource {
  root: Record<string, unknown>;
  components: OrbComponent[];
  /** Every file of the source directory by `/`-separated relative path; includes are read from here. */
  files: ReadonlyMap<string, string>;
}

/** The packed orb, as a value and as the YAML text `circleci orb publish` takes. */
export interface PackedOrb {
  orb: Record<string, unknown>;
  text: string;
}

// The CLI's own pattern: no hyphen in include paths, and the closing parenthesis optional.
const INCLUDE = /<<\s*include\(([\w/.]+)\)?\s*>>/g;
const COMPONENT_FILE = /^(commands|executors|jobs|examples)\/([^/]+)\.ya?ml$/;

/** Parses the files of an orb source directory (relative paths) into its root and components. */
export function readOrbSource(files: ReadonlyMap<string, string>): OrbSource {
  const rootText = files.get(ROOT_FILE);
  if (rootText === undefined) {
    throw new InputError(`${ROOT_FILE} file not found, are you sure this is the Orb root?`, {
      file: ROOT_FILE,
    });
  }
  const root = parseMapping(rootText, ROOT_FILE);
  const components: OrbComponent[] = [];
  const seen = new Map<string, string>();
  for (const [file, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const match = COMPONENT_FILE.exec(file);
    if (!match) continue;
    const folder = match[1] as ComponentFolder;
    const name = match[2] as string;
    if (name.startsWith('.')) continue;
    const key = `${folder}/${name}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new InputError(`${folder} "${name}" is defined twice, also in ${earlier}`, { file });
    }
    seen.set(key, file);
    components.push({ folder, name, file, value: parseMapping(text, file) });
  }
  return { root, components, files };
}

/** Packs a parsed orb source: components merged under their folder keys, includes inlined. */
export function packOrb(source: OrbSource): PackedOrb {
  const orb: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source.root)) {
    orb[key] = resolveIncludes(value, source.files, { file: ROOT_FILE, setting: key });
  }
  for (const folder of COMPONENT_FOLDERS) {
    const inline = orb[folder];
    if (inline !== undefined && !isRecord(inline)) {
      throw new InputError(`"${folder}" must be a mapping`, { file: ROOT_FILE, setting: folder });
    }
    const merged: Record<string, unknown> = { ...(inline ?? {}) };
    for (const component of source.components.filter((c) => c.folder === folder)) {
      if (component.name in merged) {
        throw new InputError(
          `${folder} "${component.name}" is defined in ${ROOT_FILE} and in ${component.file}`,
          {
            file: component.file,
          },
        );
      }
      merged[component.name] = resolveIncludes(component.value, source.files, {
        file: component.file,
        setting: '',
      });
    }
    if (Object.keys(merged).length > 0) orb[folder] = merged;
  }
  return { orb, text: stringify(orb, { lineWidth: 0 }) };
}

/** The path named by an `<<include(path)>>` that is the whole of `value`, or undefined. */
export function includePath(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const matches = [...value.matchAll(INCLUDE)];
  return matches.length === 1 && matches[0]?.[0] === value ? matches[0][1] : undefined;
}

function resolveIncludes(
  value: unknown,
  files: ReadonlyMap<string, string>,
  where: { file: string; setting: string },
): unknown {
  if (typeof value === 'string') return inlineInclude(value, files, where);
  if (Array.isArray(value)) {
    return value.map((item, index) =>
      resolveIncludes(item, files, { ...where, setting: `${where.setting}[${index}]` }),
    );
  }
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = resolveIncludes(item, files, {
        ...where,
        setting: where.setting ? `${where.setting}.${key}` : key,
      });
    }
    return out;
  }
  return value;
}

function inlineInclude(
  value: string,
  files: ReadonlyMap<string, string>,
  where: { file: string; setting: string },
): string {
  const matches = [...value.matchAll(INCLUDE)];
  if (matches.length === 0) return value;
  const location = { file: where.file, setting: where.setting || undefined };
  if (matches.length > 1) throw new InputError(`multiple include statements: '${value}'`, location);
  const [whole, path] = matches[0] as RegExpMatchArray;
  if (whole !== value) throw new InputError(`entire string must be include statement: '${value}'`, location);
  const text = files.get(normalizePath(path as string));
  if (text === undefined) throw new InputError(`could not open ${path} for inclusion`, location);
  return text.replaceAll('<<', '\\<<');
}

function normalizePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

function parseMapping(text: string, file: string): Record<string, unknown> {
  const document = parseDocument(text, { uniqueKeys: true });
  const error = document.errors[0];
  if (error) {
    const { line, column } = lineColumnAt(text, error.pos[0]);
    throw new InputError(error.message.split('\n')[0] ?? 'invalid YAML', { file, line, column });
  }
  if (!isMap(document.contents)) throw new InputError('an orb file must hold a mapping', { file });
  return document.toJS() as Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
