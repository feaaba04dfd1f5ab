import { lineColumnAt } from '../../errors.js';
import { EditError } from '../format.js';
import {
  blockAddress,
  type HclBlock,
  type HclBody,
  type HclExpression,
  type HclItem,
} from './hcl-document.js';

// Paths are dotted (`source.amazon-ebs.win2022.instance_type`), but labels and object keys may themselves
// contain dots, so segments are matched against the names actually present instead of splitting the path.

/** Where the path ends: the expression to replace. */
export interface HclTarget {
  readonly address: string;
  readonly expr: HclExpression;
  /** Offset of the attribute name or object key. */
  readonly at: number;
}

/** The deepest body or object the path reached, and what was missing in it. */
export interface HclMissing {
  /** Address of the container; '' for the top level. */
  readonly address: string;
  readonly rest: string;
  readonly body?: HclBody;
  readonly block?: HclBlock;
  readonly names: readonly string[];
}

interface Located {
  readonly address: string;
  readonly at: number;
}

interface Walk {
  readonly found: HclTarget[];
  readonly blocks: Located[];
  readonly scalars: Located[];
  readonly missing: HclMissing[];
}

/** Resolves `path` to exactly one expression. Throws EditError 'invalid-path', 'not-a-container' or 'path-not-found'. */
export function resolveHclPath(text: string, body: HclBody, path: string): HclTarget {
  const walk = walkHclPath(text, body, path);
  if (walk.found.length === 1) return walk.found[0] as HclTarget;
  throw pathError(text, path, walk);
}

/**
 * The single container the path reaches when it is missing its last, attribute-name segment, for `--create`.
 * Throws the same errors as {@link resolveHclPath} when the path cannot be created.
 */
export function missingHclPath(text: string, body: HclBody, path: string): HclMissing | HclTarget {
  const walk = walkHclPath(text, body, path);
  if (walk.found.length === 1) return walk.found[0] as HclTarget;
  const only = walk.missing[0];
  if (
    walk.found.length === 0 &&
    walk.blocks.length === 0 &&
    walk.scalars.length === 0 &&
    walk.missing.length === 1
  ) {
    if (
      only !== undefined &&
      only.body !== undefined &&
      /^[\p{ID_Start}_][\p{ID_Continue}-]*$/u.test(only.rest)
    ) {
      return only;
    }
  }
  throw pathError(text, path, walk);
}

function walkHclPath(text: string, body: HclBody, path: string): Walk {
  if (path === '' || path.startsWith('.') || path.endsWith('.') || path.includes('..')) {
    throw new EditError(
      'invalid-path',
      `invalid HCL path ${JSON.stringify(path)}: expected names joined by dots`,
    );
  }
  const walk: Walk = { found: [], blocks: [], scalars: [], missing: [] };
  walkBody(text, body, undefined, '', path, walk);
  return walk;
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function itemName(item: HclItem): string {
  return item.kind === 'attribute' ? item.name : blockAddress(item);
}

function walkBody(
  text: string,
  body: HclBody,
  block: HclBlock | undefined,
  prefix: string,
  rest: string,
  walk: Walk,
) {
  let matched = false;
  for (const item of body.items) {
    const name = itemName(item);
    const address = join(prefix, name);
    const at = item.kind === 'attribute' ? item.nameToken.start : item.typeToken.start;
    if (rest === name) {
      matched = true;
      if (item.kind === 'attribute') walk.found.push({ address, expr: item.expr, at });
      else walk.blocks.push({ address, at });
    } else if (rest.startsWith(`${name}.`)) {
      matched = true;
      const inner = rest.slice(name.length + 1);
      if (item.kind === 'attribute') walkExpression(text, item.expr, address, at, inner, walk);
      else walkBody(text, item.body, item, address, inner, walk);
    }
  }
  if (!matched) walk.missing.push({ address: prefix, rest, body, block, names: body.items.map(itemName) });
}

function walkExpression(
  text: string,
  expr: HclExpression,
  address: string,
  at: number,
  rest: string,
  walk: Walk,
) {
  if (expr.object === undefined) {
    walk.scalars.push({ address, at });
    return;
  }
  let matched = false;
  const named = expr.object.filter((item) => !item.computed);
  for (const item of named) {
    const itemAddress = join(address, item.key);
    if (rest === item.key) {
      matched = true;
      walk.found.push({ address: itemAddress, expr: item.expr, at: item.keyToken.start });
    } else if (rest.startsWith(`${item.key}.`)) {
      matched = true;
      walkExpression(
        text,
        item.expr,
        itemAddress,
        item.keyToken.start,
        rest.slice(item.key.length + 1),
        walk,
      );
    }
  }
  if (!matched) walk.missing.push({ address, rest, names: named.map((item) => item.key) });
}

function lines(text: string, located: readonly Located[]): string {
  return located.map(({ address, at }) => `${address} (line ${lineColumnAt(text, at).line})`).join(', ');
}

function pathError(text: string, path: string, walk: Walk): EditError {
  const matches = [...walk.found, ...walk.blocks];
  if (walk.found.length > 1 || (walk.found.length > 0 && walk.blocks.length > 0)) {
    return new EditError('invalid-path', `path ${path} is ambiguous: it matches ${lines(text, matches)}`);
  }
  if (walk.blocks.length > 0) {
    const which =
      walk.blocks.length > 1
        ? `the blocks ${lines(text, walk.blocks)}`
        : `the block ${lines(text, walk.blocks)}`;
    return new EditError(
      'invalid-path',
      `path ${path} names ${which}, not an attribute: add the attribute name`,
      lineColumnAt(text, (walk.blocks[0] as Located).at),
    );
  }
  if (walk.scalars.length > 0) {
    return new EditError(
      'not-a-container',
      `path ${path} goes through ${lines(text, walk.scalars)}, whose value is not an object with plain keys`,
      lineColumnAt(text, (walk.scalars[0] as Located).at),
    );
  }
  if (walk.missing.length > 1) {
    const containers = walk.missing.map((missing) => missing.address).join(', ');
    return new EditError(
      'invalid-path',
      `path ${path} is ambiguous: it reaches ${containers}, which all lack ${walk.missing[0]?.rest}`,
    );
  }
  const missing = walk.missing[0] as HclMissing;
  const where = missing.address === '' ? 'at the top level' : `in ${missing.address}`;
  // Listing the siblings that share the first segment points at the likely typo (`variable.amis` for `variable.ami`).
  const head = missing.rest.split('.')[0] as string;
  const names = [...new Set(missing.names)];
  const similar = names.filter((name) => name === head || name.startsWith(`${head}.`));
  const shown = (similar.length > 0 ? similar : names).slice(0, 12);
  const known = shown.length > 0 ? `; there is ${shown.join(', ')}` : '';
  return new EditError(
    'path-not-found',
    `path ${path}: no attribute or block ${missing.rest} ${where}${known}`,
  );
}
