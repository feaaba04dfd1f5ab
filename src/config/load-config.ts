/**
 * Reads `hephestus.yml`: YAML with source positions, validated with the zod schema, every problem reported
 * with its file, line, column and setting, and unknown keys with a did-you-mean.
 */
import { readFile, stat } from 'node:fs/promises';
import { isMap, LineCounter, type Node, parseDocument } from 'yaml';
import { type ZodType, z } from 'zod';
import { InputError, type Location, lineColumnAt } from '../errors.js';
import { type HephestusConfig, HephestusConfigSchema } from './config-schema.js';
import { closestMatch } from './did-you-mean.js';

export const DEFAULT_CONFIG_FILE = 'hephestus.yml';

/** Larger files are refused before reading: a configuration is a few kilobytes, and YAML parsing is not streaming. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads and validates a configuration file. Throws {@link InputError} (exit 2) naming file, line and setting. */
export async function loadConfig(file: string = DEFAULT_CONFIG_FILE): Promise<HephestusConfig> {
  return (await loadConfigSource(file)).config;
}

/** {@link loadConfig}, with the file's text for {@link configPosition}. */
export async function loadConfigSource(file: string): Promise<{ config: HephestusConfig; text: string }> {
  let bytes: Buffer;
  try {
    const { size } = await stat(file);
    if (size > MAX_CONFIG_BYTES) {
      throw new InputError(`file is ${size} bytes; a configuration is at most ${MAX_CONFIG_BYTES} bytes`, {
        file,
      });
    }
    bytes = await readFile(file);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      code === 'ENOENT' ? 'configuration file not found' : `cannot read configuration (${code})`,
      {
        file,
      },
    );
  }
  const text = decodeText(bytes, file);
  return { config: parseConfig(text, file), text };
}

/** Line and column of the setting at `path` (`['images', 0, 'template']`) in valid configuration text. */
export function configPosition(text: string, path: PropertyKey[]): { line?: number; column?: number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false });
  for (let depth = path.length; depth >= 0; depth--) {
    const node = (depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)) as Node | undefined;
    if (node?.range) return position(node, lineCounter);
  }
  return {};
}

/** The file's text; binary content and invalid UTF-8 are bad input, not characters to replace silently. */
function decodeText(bytes: Buffer, file: string): string {
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    throw new InputError('file holds binary content (a NUL byte); not a text file', {
      file,
      ...lineColumnAt(bytes.toString('utf8'), bytes.subarray(0, nul).toString('utf8').length),
    });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const lossy = bytes.toString('utf8');
    throw new InputError('file is not valid UTF-8', {
      file,
      ...lineColumnAt(lossy, lossy.indexOf('\uFFFD')),
    });
  }
}

/** Validates configuration text; `file` is only used in messages. */
export function parseConfig(text: string, file: string): HephestusConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = lineCounter.linePos(firstError.pos[0]);
    throw new InputError(`YAML syntax: ${firstError.message.split('\n')[0]}`, {
      file,
      line: pos.line,
      column: pos.col,
    });
  }
  let data: unknown;
  try {
    data = doc.toJS() ?? {};
  } catch (error) {
    // The yaml library refuses alias expansions that grow without bound ("billion laughs").
    throw new InputError(`YAML: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
  const result = HephestusConfigSchema.safeParse(data);
  if (result.success) return result.data;

  const messages = result.error.issues.map((issue) => describeIssue(issue, doc, lineCounter, file));
  const first = messages[0] as { message: string; location: Location };
  const more =
    messages.length > 1
      ? `\n${messages
          .slice(1)
          .map((m) => `  ${formatShort(m)}`)
          .join('\n')}`
      : '';
  throw new InputError(`${first.message}${more}`, first.location);
}

function formatShort(m: { message: string; location: Location }): string {
  const { line, column, setting } = m.location;
  return `${line !== undefined ? `${line}:${column}: ` : ''}${setting ? `${setting}: ` : ''}${m.message}`;
}

type Doc = ReturnType<typeof parseDocument>;

function describeIssue(
  issue: z.core.$ZodIssue,
  doc: Doc,
  lineCounter: LineCounter,
  file: string,
): { message: string; location: Location } {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] as string;
    const known = knownKeys(HephestusConfigSchema, path);
    const suggestion = closestMatch(key, known);
    const node = keyNode(doc, path, key);
    const hint = suggestion
      ? `; did you mean "${suggestion}"?`
      : known.length
        ? ` (known: ${known.join(', ')})`
        : '';
    return {
      message: `unknown setting "${key}"${hint}`,
      location: { file, ...position(node, lineCounter), setting: settingName([...path, key]) },
    };
  }
  const node = doc.getIn(path, true) as Node | undefined;
  const parent = node ?? (doc.getIn(path.slice(0, -1), true) as Node | undefined);
  return {
    message: issue.message,
    location: { file, ...position(parent, lineCounter), setting: settingName(path) || '(top level)' },
  };
}

function position(node: Node | undefined, lineCounter: LineCounter): { line?: number; column?: number } {
  const offset = node?.range?.[0];
  if (offset === undefined) return {};
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function keyNode(doc: Doc, path: PropertyKey[], key: string): Node | undefined {
  const parent = path.length ? doc.getIn(path, true) : doc.contents;
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((item) => (item.key as { value?: unknown })?.value === key);
  return pair?.key as Node | undefined;
}

/** `images[0].base_ami.owners`, the way people write settings. */
export function settingName(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** The keys an object schema accepts at `path`, looking through optional, default, array and record wrappers. */
function knownKeys(schema: ZodType, path: PropertyKey[]): string[] {
  let current: ZodType | undefined = schema;
  for (const segment of [...path, undefined]) {
    current = unwrap(current);
    if (segment === undefined) break;
    if (current instanceof z.ZodObject) current = (current.shape as Record<string, ZodType>)[String(segment)];
    else if (current instanceof z.ZodArray) current = current.element as ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as ZodType;
    else return [];
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: ZodType | undefined): ZodType | undefined {
  let current = schema;
  while (
    current instanceof z.ZodOptional ||
    current instanceof z.ZodDefault ||
    current instanceof z.ZodNullable
  ) {
    current = current.unwrap() as ZodType;
  }
  return current;
}
