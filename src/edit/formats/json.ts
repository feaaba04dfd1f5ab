import {
  applyEdits,
  type Edit,
  type FormattingOptions,
  type JSONPath,
  type Node as JsonNode,
  modify,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import { lineColumnAt } from '../../errors.js';
import { EditError, type FormatUpdater, type UpdateOptions } from '../format.js';
import { arrayIndex, formatJsonPointer, parseJsonPointer } from './json-pointer.js';

/*
 * Strict JSON (RFC 8259): comments and trailing commas are syntax errors, as they are for Packer's JSON
 * templates, and so are duplicate keys, which JSON.parse would silently resolve to the last one.
 * A byte order mark is accepted and kept.
 */

const strict = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };

function words(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** The syntax tree of strict JSON with offsets into `text`; syntax errors and duplicate keys as EditError. */
function parseStrict(text: string): JsonNode {
  // jsonc-parser reports a byte order mark as an invalid symbol; a space keeps every offset in place.
  const source = text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text;
  const errors: ParseError[] = [];
  const root = parseTree(source, errors, strict);
  const error = errors[0];
  if (error !== undefined) {
    throw new EditError(
      'syntax',
      `invalid JSON: ${words(printParseErrorCode(error.error))}`,
      lineColumnAt(text, error.offset),
    );
  }
  if (root === undefined)
    throw new EditError('syntax', 'invalid JSON: the file is empty', { line: 1, column: 1 });
  const duplicate = duplicateKey(root);
  if (duplicate !== undefined) {
    throw new EditError(
      'syntax',
      `invalid JSON: duplicate key ${JSON.stringify(duplicate.value)}`,
      lineColumnAt(text, duplicate.offset),
    );
  }
  return root;
}

/** The key node of the first repeated key in an object, depth first. */
function duplicateKey(node: JsonNode): JsonNode | undefined {
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const property of node.children ?? []) {
      const key = property.children?.[0];
      if (key === undefined) continue;
      if (seen.has(key.value)) return key;
      seen.add(key.value);
    }
  }
  for (const child of node.children ?? []) {
    const found = duplicateKey(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

function propertyNamed(object: JsonNode, key: string): JsonNode | undefined {
  return object.children?.find((property) => property.children?.[0]?.value === key);
}

function pointerOf(tokens: readonly string[]): string {
  return tokens.length === 0 ? 'the document root' : formatJsonPointer(tokens);
}

type Located =
  | { found: true; node: JsonNode; jsonPath: JSONPath }
  | { found: false; object: JsonNode; key: string; jsonPath: JSONPath };

/** Walks `tokens` from the root; a missing last key is returned only when `allowMissing`. */
function locate(text: string, root: JsonNode, tokens: readonly string[], allowMissing: boolean): Located {
  let node = root;
  const jsonPath: JSONPath = [];
  for (const [i, token] of tokens.entries()) {
    const at = pointerOf(tokens.slice(0, i));
    const where = lineColumnAt(text, node.offset);
    if (node.type === 'object') {
      const value = propertyNamed(node, token)?.children?.[1];
      if (value === undefined) {
        if (allowMissing && i === tokens.length - 1) {
          return { found: false, object: node, key: token, jsonPath: [...jsonPath, token] };
        }
        throw new EditError('path-not-found', `no key "${token}" in the object at ${at}`, where);
      }
      node = value;
      jsonPath.push(token);
    } else if (node.type === 'array') {
      const index = arrayIndex(token);
      const items = node.children ?? [];
      const item = index === undefined ? undefined : items[index];
      if (index === undefined || item === undefined) {
        const reason =
          index === undefined
            ? `"${token}" is not an index`
            : `there is no item ${index} (it has ${items.length})`;
        throw new EditError('path-not-found', `${at} is an array and ${reason}`, where);
      }
      node = item;
      jsonPath.push(index);
    } else {
      throw new EditError(
        'not-a-container',
        `${at} is a ${node.type}, not an object or array, so it has no "${token}"`,
        where,
      );
    }
  }
  return { found: true, node, jsonPath };
}

/** Indentation and line ending as the file already uses them, for jsonc-parser's formatter. */
function formattingOf(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  // JSON strings cannot span lines, so every indented line's indentation is structure.
  const indents = Array.from(text.matchAll(/^([ \t]+)\S/gm), (match) => match[1] ?? '');
  if (indents.some((indent) => indent.startsWith('\t'))) return { insertSpaces: false, tabSize: 1, eol };
  const widths = indents.map((indent) => indent.length);
  return { insertSpaces: true, tabSize: widths.length > 0 ? Math.min(...widths) : 2, eol };
}

/** The edit adding `"key": value` as the last property of `object`, formatted like its neighbours. */
function insertion(text: string, located: Extract<Located, { found: false }>, value: string): Edit[] {
  const { object, key, jsonPath } = located;
  const properties = object.children ?? [];
  const spansLines = /\n/.test(text.slice(object.offset, object.offset + object.length));
  if (spansLines) return modify(text, jsonPath, value, { formattingOptions: formattingOf(text) });
  // jsonc-parser's formatter would spread a one-line object over several lines: write it inline instead.
  const last = properties.at(-1);
  const lastKey = last?.children?.[0];
  const lastValue = last?.children?.[1];
  if (last === undefined || lastKey === undefined || lastValue === undefined) {
    return [
      { offset: object.offset + 1, length: 0, content: `${JSON.stringify(key)}: ${JSON.stringify(value)}` },
    ];
  }
  const colon = text.slice(lastKey.offset + lastKey.length, lastValue.offset);
  const previous = properties.at(-2);
  const comma = previous ? text.slice(previous.offset + previous.length, last.offset) : ', ';
  return [
    {
      offset: last.offset + last.length,
      length: 0,
      content: `${comma}${JSON.stringify(key)}${colon}${JSON.stringify(value)}`,
    },
  ];
}

/** Where two trees differ (values, key order, array items), or undefined. */
function nodeDifference(
  a: JsonNode | undefined,
  b: JsonNode | undefined,
  at: readonly string[],
): string | undefined {
  const changed = `${pointerOf(at)} changed`;
  if (a === undefined || b === undefined || a.type !== b.type) return a === b ? undefined : changed;
  if (a.type === 'object') {
    const ours = a.children ?? [];
    const theirs = b.children ?? [];
    if (ours.length !== theirs.length) return `${pointerOf(at)} gained or lost keys`;
    for (const [i, property] of ours.entries()) {
      const key = property.children?.[0]?.value;
      if (theirs[i]?.children?.[0]?.value !== key) return `${pointerOf(at)}: keys changed or moved`;
      const difference = nodeDifference(property.children?.[1], theirs[i]?.children?.[1], [
        ...at,
        String(key),
      ]);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  if (a.type === 'array') {
    const ours = a.children ?? [];
    const theirs = b.children ?? [];
    if (ours.length !== theirs.length) return `${pointerOf(at)} gained or lost items`;
    for (const [i, item] of ours.entries()) {
      const difference = nodeDifference(item, theirs[i], [...at, String(i)]);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  return a.value === b.value ? undefined : changed;
}

/** Like {@link nodeDifference}, except that the node at `rest` must now be the string `value` (added last if missing). */
function pathDifference(
  a: JsonNode | undefined,
  b: JsonNode | undefined,
  at: readonly string[],
  rest: readonly string[],
  value: string,
): string | undefined {
  const [token, ...deeper] = rest;
  if (token === undefined) {
    return b?.type === 'string' && b.value === value
      ? undefined
      : `${pointerOf(at)} does not read back as the new value`;
  }
  const here = [...at, token];
  if (a?.type === 'object' && b?.type === 'object') {
    const ours = a.children ?? [];
    const theirs = b.children ?? [];
    const index = ours.findIndex((property) => property.children?.[0]?.value === token);
    const added = index < 0 ? 1 : 0;
    if (theirs.length !== ours.length + added) return `${pointerOf(at)} gained or lost keys`;
    for (const [i, property] of ours.entries()) {
      const key = property.children?.[0]?.value;
      if (theirs[i]?.children?.[0]?.value !== key) return `${pointerOf(at)}: keys changed or moved`;
      const difference =
        i === index
          ? pathDifference(property.children?.[1], theirs[i]?.children?.[1], here, deeper, value)
          : nodeDifference(property.children?.[1], theirs[i]?.children?.[1], [...at, String(key)]);
      if (difference !== undefined) return difference;
    }
    if (!added) return undefined;
    const last = theirs.at(-1);
    if (deeper.length > 0 || last?.children?.[0]?.value !== token)
      return `${pointerOf(here)} was not added last`;
    return pathDifference(undefined, last.children?.[1], here, [], value);
  }
  if (a?.type === 'array' && b?.type === 'array') {
    const index = arrayIndex(token);
    const ours = a.children ?? [];
    const theirs = b.children ?? [];
    if (ours.length !== theirs.length || index === undefined) return `${pointerOf(at)} changed`;
    for (const [i, item] of ours.entries()) {
      const difference =
        i === index
          ? pathDifference(item, theirs[i], here, deeper, value)
          : nodeDifference(item, theirs[i], [...at, String(i)]);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  return `${pointerOf(at)} changed`;
}

function editDifference(
  before: JsonNode,
  after: string,
  tokens: readonly string[],
  value: string,
): string | undefined {
  let root: JsonNode;
  try {
    root = parseStrict(after);
  } catch (error) {
    if (error instanceof EditError)
      return `the result is not valid JSON (${error.message}, line ${error.location.line})`;
    throw error;
  }
  return pathDifference(before, root, [], tokens, value);
}

/** Format-preserving JSON edits: only the old value's text (or the new property) changes. */
export const jsonUpdater: FormatUpdater = {
  format: 'json',

  updateContent(text: string, path: string, value: string, options: UpdateOptions = {}): string {
    const tokens = parseJsonPointer(path);
    const root = parseStrict(text);
    const located = locate(text, root, tokens, options.create === true);
    let edits: Edit[];
    if (located.found) {
      const { node } = located;
      if (node.type === 'object' || node.type === 'array') {
        throw new EditError(
          'not-a-string',
          `${pointerOf(tokens)} is an ${node.type}, not a single value: only strings, numbers, booleans and null can be set`,
          lineColumnAt(text, node.offset),
        );
      }
      edits = [{ offset: node.offset, length: node.length, content: JSON.stringify(value) }];
    } else {
      edits = insertion(text, located, value);
    }
    const after = applyEdits(text, edits);
    const difference = editDifference(root, after, tokens, value);
    if (difference !== undefined) {
      throw new EditError('verification', `could not write the value at ${pointerOf(tokens)}: ${difference}`);
    }
    return after;
  },

  readString(text: string, path: string): string {
    const tokens = parseJsonPointer(path);
    const located = locate(text, parseStrict(text), tokens, false);
    if (located.found && located.node.type === 'string') return located.node.value;
    const where = located.found ? lineColumnAt(text, located.node.offset) : {};
    throw new EditError('not-a-string', `${pointerOf(tokens)} is not a string`, where);
  },

  verifyEdit(before: string, after: string, path: string, value: string): void {
    const tokens = parseJsonPointer(path);
    const difference = editDifference(parseStrict(before), after, tokens, value);
    if (difference !== undefined) {
      throw new EditError('verification', `the edit of ${pointerOf(tokens)} did not verify: ${difference}`);
    }
  },
};
