/**
 * What Hephestus needs to know of a Packer template before running it: whether it declares
 * `required_plugins` (so `packer init` must run first) and which build names `-only` can select. Pure: it
 * reads the files' text through the project's HCL reader (JSON templates through JSON.parse).
 */

import { EditError } from '../edit/format.js';
import { type HclBlock, type HclBody, parseHclDocument } from '../edit/formats/hcl-document.js';
import { InputError, lineColumnAt } from '../errors.js';

export interface TemplateFile {
  /** The file's path as messages should show it. */
  file: string;
  text: string;
}

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Where the first `packer { required_plugins { … } }` block is, or undefined when none is declared. */
export function requiredPluginsAt(files: readonly TemplateFile[]): SourcePosition | undefined {
  for (const { file, text } of files) {
    if (!isHcl(file)) continue;
    for (const packer of blocks(parseIn(file, text), 'packer')) {
      const plugins = blocks(packer.body, 'required_plugins')[0];
      if (plugins) return { file, ...lineColumnAt(text, plugins.typeToken.start) };
    }
  }
  return undefined;
}

/**
 * The build names `packer build -only=` matches: `type.name` for every source a build uses (its own `name`
 * when the build block renames it), prefixed with the build's `name` when it has one; for JSON templates each
 * builder's `name`, else its `type`.
 */
export function buildNames(files: readonly TemplateFile[]): string[] {
  const names = new Set<string>();
  for (const { file, text } of files) {
    if (isHcl(file)) for (const name of hclBuildNames(parseIn(file, text))) names.add(name);
    else for (const name of jsonBuildNames(file, text)) names.add(name);
  }
  return [...names];
}

/** True when `pattern` (a name, or a glob with `*` as `-only` takes it) selects one of `names`. */
export function selectsBuild(pattern: string, names: readonly string[]): boolean {
  if (!pattern.includes('*')) return names.includes(pattern);
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return names.some((name) => regex.test(name));
}

function hclBuildNames(body: HclBody): string[] {
  const names: string[] = [];
  for (const build of blocks(body, 'build')) {
    const prefix = stringAttribute(build.body, 'name');
    const sources: string[] = [];
    const listed = build.body.items.find((item) => item.kind === 'attribute' && item.name === 'sources');
    if (listed?.kind === 'attribute') {
      for (const token of listed.expr.tokens) if (token.value !== undefined) sources.push(token.value);
    }
    for (const nested of blocks(build.body, 'source')) {
      const [address] = nested.labels;
      if (address === undefined) continue;
      const renamed = stringAttribute(nested.body, 'name');
      const [, type] = address.split('.');
      sources.push(renamed && type ? `source.${type}.${renamed}` : address);
    }
    for (const source of sources) {
      const name = source.replace(/^source\./, '');
      names.push(prefix ? `${prefix}.${name}` : name);
    }
  }
  return names;
}

function jsonBuildNames(file: string, text: string): string[] {
  let template: { builders?: Array<{ name?: unknown; type?: unknown }> };
  try {
    template = JSON.parse(text) as typeof template;
  } catch (error) {
    throw new InputError(`not a JSON template: ${(error as Error).message}`, { file });
  }
  return (template.builders ?? [])
    .map((builder) => (typeof builder.name === 'string' ? builder.name : builder.type))
    .filter((name): name is string => typeof name === 'string');
}

function blocks(body: HclBody, type: string): HclBlock[] {
  return body.items.filter((item): item is HclBlock => item.kind === 'block' && item.type === type);
}

function stringAttribute(body: HclBody, name: string): string | undefined {
  const attribute = body.items.find((item) => item.kind === 'attribute' && item.name === name);
  if (attribute?.kind !== 'attribute') return undefined;
  const [token, ...rest] = attribute.expr.tokens;
  return rest.length === 0 ? token?.value : undefined;
}

/** The file's HCL body; a syntax error names the file as well as the line and column. */
function parseIn(file: string, text: string): HclBody {
  try {
    return parseHclDocument(text);
  } catch (error) {
    throw error instanceof EditError ? error.inFile(file) : error;
  }
}

function isHcl(file: string): boolean {
  return file.endsWith('.hcl');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
