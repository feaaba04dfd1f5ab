import type { SyntaxNode } from '@lezer/common';
import type { EDNVal } from 'edn-data';
import { lineColumnAt } from '../../errors.js';
import { EditError, type FormatUpdater, type UpdateOptions } from '../format.js';
import type { EdnDocument } from './edn-document.js';
import { indexOfKey, parseEdnPath } from './edn-path.js';
import { formsOf, parseEdnDocument, rootForm, throughTags } from './edn-syntax.js';
import { ednDifference, ednEqual, ednStringLiteral, ednText, ednValueOf, ednValuesOf } from './edn-value.js';

/** Forms a string may replace: EDN's scalars (the grammar's `DefLike`/`NS` are symbols at the head of a list). */
const scalars = new Set([
  'String',
  'Keyword',
  'Symbol',
  'Number',
  'Boolean',
  'Nil',
  'Character',
  'SymbolicValue',
  'DefLike',
  'NS',
]);

type Lookup = { found: SyntaxNode } | { missing: SyntaxNode; depth: number };

/**
 * Edits `config.edn`-style files: lezer-clojure finds the exact span of the value, edn-data checks the
 * meaning afterwards. Reader tags (aero's `#profile`, `#env`, `#ref`) and metadata are transparent to paths.
 */
export const ednUpdater: FormatUpdater = {
  format: 'edn',

  updateContent(text: string, path: string, value: string, options: UpdateOptions = {}): string {
    const doc = parseEdnDocument(text);
    const keys = parseEdnPath(path);
    const lookup = lookUp(doc, keys, path);
    if ('found' in lookup) {
      const node = lookup.found;
      if (!scalars.has(node.name)) {
        throw pathError(
          'not-a-string',
          doc,
          node,
          path,
          `the value is a ${kindOf(node)}; only a scalar can be replaced`,
        );
      }
      return text.slice(0, node.from) + ednStringLiteral(value) + text.slice(node.to);
    }
    const missingKey = keys[lookup.depth] as EDNVal;
    if (!options.create || lookup.depth !== keys.length - 1) {
      throw pathError(
        'path-not-found',
        doc,
        lookup.missing,
        path,
        `key ${ednText(missingKey)} is not in this map`,
      );
    }
    return insertEntry(doc, lookup.missing, `${ednText(missingKey)} ${ednStringLiteral(value)}`);
  },

  readString(text: string, path: string): string {
    const doc = parseEdnDocument(text);
    const keys = parseEdnPath(path);
    const lookup = lookUp(doc, keys, path);
    if ('missing' in lookup) {
      const key = keys[lookup.depth] as EDNVal;
      throw pathError('path-not-found', doc, lookup.missing, path, `key ${ednText(key)} is not in this map`);
    }
    if (lookup.found.name !== 'String') {
      throw pathError(
        'not-a-string',
        doc,
        lookup.found,
        path,
        `the value is a ${kindOf(lookup.found)}, not a string`,
      );
    }
    return ednValueOf(doc, lookup.found) as string;
  },

  verifyEdit(before: string, after: string, path: string, value: string): void {
    const keys = parseEdnPath(path);
    const original = ednValuesOf(parseEdnDocument(before));
    let edited: EDNVal[];
    try {
      edited = ednValuesOf(parseEdnDocument(after));
    } catch (error) {
      throw new EditError('verification', `the edited document does not read back: ${messageOf(error)}`, {
        setting: path,
      });
    }
    const [root, ...rest] = original;
    if (root === undefined) {
      throw new EditError('verification', 'the original document holds no form', { setting: path });
    }
    const expected = [setIn(root, keys, value, path), ...rest];
    const difference = ednDifference(edited, expected, '');
    if (difference !== undefined) {
      throw new EditError(
        'verification',
        `the edited document differs from the expected one at [${difference.replace(/^ 0 ?/, '')}]`,
        { setting: path },
      );
    }
  },
};

function lookUp(doc: EdnDocument, keys: EDNVal[], path: string): Lookup {
  let current = rootForm(doc);
  if (!current) throw new EditError('path-not-found', 'the document holds no EDN form', { setting: path });
  for (const [depth, key] of keys.entries()) {
    const container = throughTags(current);
    const forms = formsOf(container);
    let next: SyntaxNode | undefined;
    if (container.name === 'Map') {
      const at = forms.findIndex((form, i) => i % 2 === 0 && ednEqual(ednValueOf(doc, form), key));
      if (at < 0) return { missing: container, depth };
      next = forms[at + 1];
    } else if (container.name === 'Vector' || container.name === 'List') {
      const index = indexOfKey(key);
      next = index === undefined ? undefined : forms[index];
      if (!next) {
        const why = index === undefined ? 'only integers index it' : `it has ${forms.length} elements`;
        throw pathError(
          'path-not-found',
          doc,
          container,
          path,
          `${ednText(key)} is not in this ${kindOf(container)}: ${why}`,
        );
      }
    } else {
      throw pathError('not-a-container', doc, container, path, notAContainer(container, key));
    }
    current = next as SyntaxNode;
  }
  return { found: throughTags(current) };
}

function notAContainer(node: SyntaxNode, key: EDNVal): string {
  if (node.name === 'Set') return `a set has no keys to follow (${ednText(key)})`;
  if (node.name === 'NamespacedMap') return `namespaced maps (#:ns{...}) are not supported in paths`;
  return `the path goes on with ${ednText(key)}, but the value here is a ${kindOf(node)}, not a map or vector`;
}

/** Adds `entry` after the last entry of `map`, on its own line indented like the keys, or inline. */
function insertEntry(doc: EdnDocument, map: SyntaxNode, entry: string): string {
  const { text } = doc;
  const forms = formsOf(map);
  const lastValue = forms.at(-1);
  if (!lastValue) return splice(text, map.from + 1, entry);
  const mapText = text.slice(map.from, map.to);
  const lineBreak = mapText.indexOf('\n');
  if (lineBreak < 0) return splice(text, lastValue.to, inlineSeparator(text, forms) + entry);
  const eol = mapText[lineBreak - 1] === '\r' ? '\r\n' : '\n';
  return splice(text, insertionPoint(doc, map, lastValue), eol + keyIndent(text, forms) + entry);
}

/** After the last value, or at the end of its line when a comment follows it and the brace is further down. */
function insertionPoint(doc: EdnDocument, map: SyntaxNode, lastValue: SyntaxNode): number {
  const { text } = doc;
  let lineEnd = text.indexOf('\n', lastValue.to);
  if (lineEnd < 0) return lastValue.to;
  if (text[lineEnd - 1] === '\r') lineEnd--;
  const closeBrace = map.to - 1;
  if (closeBrace < lineEnd) return lastValue.to;
  // A discarded form may run past the end of the line; inserting there would land inside it.
  for (let child = lastValue.nextSibling; child && child.from < lineEnd; child = child.nextSibling) {
    if (child.to > lineEnd) return lastValue.to;
  }
  return lineEnd;
}

function inlineSeparator(text: string, forms: SyntaxNode[]): string {
  const lastKey = forms.at(-2);
  const previousValue = forms.at(-3);
  if (!lastKey || !previousValue) return ' ';
  const between = text.slice(previousValue.to, lastKey.from);
  return /^[\s,]+$/.test(between) ? between : ' ';
}

function keyIndent(text: string, forms: SyntaxNode[]): string {
  for (let i = forms.length - 2; i >= 0; i -= 2) {
    const key = forms[i] as SyntaxNode;
    const lineStart = text.lastIndexOf('\n', key.from - 1) + 1;
    const before = text.slice(lineStart, key.from);
    if (/^[\s,]*$/.test(before)) return before.replaceAll(',', ' ');
  }
  const first = forms[0] as SyntaxNode;
  return ' '.repeat(lineColumnAt(text, first.from).column - 1);
}

function splice(text: string, at: number, insert: string): string {
  return text.slice(0, at) + insert + text.slice(at);
}

/** `value` set at `keys` inside an edn-data value; tags are transparent, a missing last map key is appended. */
function setIn(node: EDNVal, keys: EDNVal[], value: string, path: string): EDNVal {
  if (isObject(node) && 'tag' in node && 'val' in node) {
    return { tag: node.tag as string, val: setIn(node.val as EDNVal, keys, value, path) };
  }
  const [key, ...rest] = keys;
  if (key === undefined) return value;
  const fail = () =>
    new EditError('verification', `the original document has no value at the path`, { setting: path });
  if (Array.isArray(node) || (isObject(node) && 'list' in node)) {
    const items = [...(Array.isArray(node) ? node : (node.list as EDNVal[]))];
    const index = indexOfKey(key);
    if (index === undefined || index >= items.length) throw fail();
    items[index] = setIn(items[index] as EDNVal, rest, value, path);
    return Array.isArray(node) ? items : { list: items };
  }
  if (isObject(node) && 'map' in node) {
    const entries = [...(node.map as [EDNVal, EDNVal][])];
    const at = entries.findIndex(([k]) => ednEqual(k, key));
    if (at >= 0) {
      const [k, v] = entries[at] as [EDNVal, EDNVal];
      entries[at] = [k, setIn(v, rest, value, path)];
    } else if (rest.length === 0) {
      entries.push([key, value]);
    } else {
      throw fail();
    }
    return { map: entries };
  }
  throw fail();
}

function isObject(value: EDNVal): value is EDNVal & Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof Date);
}

function pathError(
  kind: EditError['kind'],
  doc: EdnDocument,
  node: SyntaxNode,
  path: string,
  message: string,
) {
  return new EditError(kind, message, { ...lineColumnAt(doc.text, node.from), setting: path });
}

function kindOf(node: SyntaxNode): string {
  const names: Record<string, string> = {
    NamespacedMap: 'namespaced map',
    TaggedLiteral: 'tagged literal',
    SymbolicValue: 'symbolic value',
    AnonymousFunction: 'function literal',
    RegExp: 'regular expression',
    ReaderConditional: 'reader conditional',
  };
  return names[node.name] ?? node.name.toLowerCase();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
