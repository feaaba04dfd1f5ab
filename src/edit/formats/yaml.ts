import { isDeepStrictEqual } from 'node:util';
// jsonc-parser's edits are plain offset/length splices of any text, checked for overlaps.
import { applyEdits, type Edit } from 'jsonc-parser';
import {
  type CST,
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  type Node,
  parseAllDocuments,
  Scalar,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import { type Location, lineColumnAt } from '../../errors.js';
import { EditError, type FormatUpdater, type UpdateOptions } from '../format.js';
import { arrayIndex, formatJsonPointer, parseJsonPointer } from './json-pointer.js';
import {
  type BlockMode,
  blockScalarBody,
  doubleQuotedScalar,
  plainScalar,
  singleQuotedScalar,
} from './yaml-scalar.js';

/*
 * Decisions:
 * - A stream with several documents (`---`): the path addresses the first one; the others must parse
 *   and stay unchanged.
 * - An alias on the way (`/services/web/<alias>/x`) is 'not-a-container': following it would edit the
 *   anchored node and so every other use of it. An alias at the end of the path is replaced by the
 *   new string; the anchored node keeps its value. An anchored scalar keeps its anchor and tag.
 * - Merge keys (`<<: *defaults`) are read as YAML 1.1 tools such as docker compose read them.
 * - Verification compares the documents' node trees, with aliases as references, keys in order,
 *   anchors and tags included, rather than the plain JavaScript values: there, editing an anchored
 *   scalar would also change every alias of it and look like a change elsewhere.
 */

type YamlDocument = Document.Parsed;

const parseOptions = { keepSourceTokens: true, merge: true, uniqueKeys: true, prettyErrors: true } as const;

/** Every document of the stream; the first syntax error, duplicate keys included, as an EditError. */
function parseStream(text: string): YamlDocument[] {
  const documents = Array.from(parseAllDocuments(text, parseOptions));
  for (const document of documents) {
    const error = document.errors[0];
    if (error !== undefined) throw syntaxError(error);
  }
  return documents;
}

function syntaxError(error: YAMLError): EditError {
  const where = error.linePos?.[0];
  // prettyErrors appends " at line L, column C:" and a code frame; the location goes in its own fields.
  const message = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
  return new EditError(
    'syntax',
    `invalid YAML: ${message}`,
    where ? { line: where.line, column: where.col } : {},
  );
}

function positionOf(text: string, node: unknown): Location {
  return isNode(node) && node.range ? lineColumnAt(text, node.range[0]) : {};
}

function pointerOf(tokens: readonly string[]): string {
  return tokens.length === 0 ? 'the document root' : formatJsonPointer(tokens);
}

/** Whether a map key is the JSON Pointer token: string keys exactly, numbers and booleans as written by String(). */
function keyMatches(key: unknown, token: string): boolean {
  if (!isScalar(key)) return false;
  const { value } = key;
  if (typeof value === 'string') return value === token;
  return ['number', 'bigint', 'boolean'].includes(typeof value) || value === null
    ? String(value) === token
    : false;
}

type Located =
  | { found: true; node: Node; inFlow: boolean }
  | { found: false; map: YAMLMap; key: string; inFlow: boolean };

/** Walks `tokens` from the document's root; a missing last key is returned only when `allowMissing`. */
function locate(
  text: string,
  document: YamlDocument,
  tokens: readonly string[],
  allowMissing: boolean,
): Located {
  let node: unknown = document.contents;
  let inFlow = false;
  for (const [i, token] of tokens.entries()) {
    const at = pointerOf(tokens.slice(0, i));
    if (node === null || node === undefined) {
      throw new EditError('path-not-found', `${at} has no value, so it has no "${token}"`);
    }
    if (isAlias(node)) {
      throw new EditError(
        'not-a-container',
        `${at} is the alias *${node.source}: edit the anchored node at its own path (a change through the alias would change every use of it)`,
        positionOf(text, node),
      );
    }
    if (isMap(node)) {
      inFlow ||= node.flow === true;
      const pair = node.items.find((item) => keyMatches(item.key, token));
      if (pair === undefined) {
        if (allowMissing && i === tokens.length - 1) return { found: false, map: node, key: token, inFlow };
        throw new EditError(
          'path-not-found',
          `no key "${token}" in the mapping at ${at}`,
          positionOf(text, node),
        );
      }
      node = pair.value;
    } else if (isSeq(node)) {
      inFlow ||= node.flow === true;
      const index = arrayIndex(token);
      if (index === undefined || index >= node.items.length) {
        const reason =
          index === undefined
            ? `"${token}" is not an index`
            : `there is no item ${index} (it has ${node.items.length})`;
        throw new EditError('path-not-found', `${at} is a sequence and ${reason}`, positionOf(text, node));
      }
      node = node.items[index];
    } else {
      throw new EditError(
        'not-a-container',
        `${at} is a scalar, not a mapping or sequence, so it has no "${token}"`,
        positionOf(text, node),
      );
    }
  }
  if (!isNode(node)) throw new EditError('path-not-found', `${pointerOf(tokens)} has no value`);
  return { found: true, node, inFlow };
}

function detectEol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** One candidate per rendering, each replacing `[start, end)`; an empty span after `key:` gets a space. */
function inlineCandidates(
  text: string,
  start: number,
  end: number,
  renderings: (string | undefined)[],
): Edit[][] {
  const prefix = start === end && start > 0 && !/\s/.test(text[start - 1] ?? '') ? ' ' : '';
  return renderings
    .filter((rendering) => rendering !== undefined)
    .map((rendering) => [{ offset: start, length: end - start, content: prefix + rendering }]);
}

/** The indentation of a block scalar body's first line with text, as YAML detects it. */
function detectBlockIndent(source: string): number | undefined {
  for (const line of source.split('\n')) {
    const match = /^( *)(.*?)\r?$/.exec(line);
    if (match?.[2]) return match[1]?.length;
  }
  return undefined;
}

/**
 * Candidates for a block scalar: the same block style (a folded one may also become literal), the
 * header's indentation indicator and comment kept, then double quotes. Only the header and body change.
 */
function blockCandidates(text: string, node: Scalar, value: string): Edit[][] {
  const token = node.srcToken;
  if (token?.type !== 'block-scalar' || !node.range) return [];
  const props = token.props.filter((prop): prop is CST.SourceToken => 'source' in prop);
  const header = props.find((prop) => prop.type === 'block-scalar-header');
  if (header === undefined) return [];
  const newline = props.find((prop) => prop.type === 'newline');
  const lastProp = props.at(-1);
  const bodyStart = newline
    ? newline.offset + newline.source.length
    : (lastProp?.offset ?? header.offset) + (lastProp?.source.length ?? 0);
  const eol = newline?.source ?? detectEol(text);
  const oldIndicator = Number(/[1-9]/.exec(header.source)?.[0] ?? 0);
  const indent = oldIndicator
    ? token.indent + oldIndicator
    : (detectBlockIndent(token.source) ?? Math.max(token.indent, 0) + 2);
  const oldMode = header.source[0] === '>' ? '>' : '|';
  const modes: BlockMode[] = oldMode === '>' ? ['>', '|'] : ['|'];
  // Without a final line break the file ended inside the scalar: keep it ending there.
  const endsAtEof = !newline || (token.source !== '' && !token.source.endsWith('\n'));
  const candidates: Edit[][] = [];
  for (const mode of modes) {
    const block = blockScalarBody(value, mode, indent, eol);
    if (block === undefined) continue;
    const indicator = oldIndicator || (block.needsIndentIndicator ? indent - token.indent : 0);
    if (indicator < 0 || indicator > 9 || (block.needsIndentIndicator && indicator === 0)) continue;
    let body = block.body;
    if (endsAtEof) body = body.endsWith(eol) ? body.slice(0, -eol.length) : body;
    if (!newline) body = eol + body;
    candidates.push([
      {
        offset: header.offset,
        length: header.source.length,
        content: `${mode}${indicator || ''}${block.chomp}`,
      },
      { offset: bodyStart, length: token.source.length, content: body },
    ]);
  }
  candidates.push([
    { offset: header.offset, length: header.source.length, content: doubleQuotedScalar(value) },
    { offset: bodyStart, length: token.source.length, content: '' },
  ]);
  return candidates;
}

/** The ways to write `value` in place of `node`, preferred first: the node's own style, then double quotes. */
function replacementCandidates(
  text: string,
  node: Node,
  value: string,
  inFlow: boolean,
  path: string,
): Edit[][] {
  if (isMap(node) || isSeq(node)) {
    throw new EditError(
      'not-a-string',
      `${path} is a ${isMap(node) ? 'mapping' : 'sequence'}, not a scalar: only scalars can be set`,
      positionOf(text, node),
    );
  }
  const [start, end] = node.range ?? [0, 0];
  const double = doubleQuotedScalar(value);
  if (!isScalar(node)) return inlineCandidates(text, start, end, [plainScalar(value, inFlow), double]);
  switch (node.type) {
    case Scalar.BLOCK_LITERAL:
    case Scalar.BLOCK_FOLDED:
      return blockCandidates(text, node, value);
    case Scalar.QUOTE_SINGLE:
      return inlineCandidates(text, start, end, [singleQuotedScalar(value), double]);
    case Scalar.QUOTE_DOUBLE:
      return inlineCandidates(text, start, end, [double]);
    default:
      return inlineCandidates(text, start, end, [plainScalar(value, inFlow), double]);
  }
}

/** Where a new key goes: after the last pair, on its own line at the siblings' indentation (or inline in a flow map). */
function insertionCandidates(
  text: string,
  map: YAMLMap,
  key: string,
  value: string,
  inFlow: boolean,
): Edit[][] {
  const lastPair = map.items.at(-1);
  const lastValue = lastPair?.value;
  const styleOf = isScalar(lastValue) ? lastValue.type : undefined;
  const values =
    styleOf === Scalar.QUOTE_DOUBLE
      ? [doubleQuotedScalar(value)]
      : [
          styleOf === Scalar.QUOTE_SINGLE ? singleQuotedScalar(value) : plainScalar(value, inFlow),
          doubleQuotedScalar(value),
        ];
  const keyText = plainScalar(key, inFlow) ?? doubleQuotedScalar(key);
  const last =
    isNode(lastValue) && lastValue.range ? lastValue : isNode(lastPair?.key) ? lastPair.key : undefined;
  const rendered = values.filter((rendering) => rendering !== undefined);

  if (map.flow) {
    if (last?.range) {
      const offset = last.range[1];
      return rendered.map((rendering) => [{ offset, length: 0, content: `, ${keyText}: ${rendering}` }]);
    }
    const offset = (map.range?.[0] ?? 0) + 1;
    return rendered.map((rendering) => [{ offset, length: 0, content: `${keyText}: ${rendering}` }]);
  }
  const firstKey = map.items[0]?.key;
  if (!last?.range || !isNode(firstKey) || !firstKey.range) return [];
  const keyStart = firstKey.range[0];
  const indent = keyStart - (text.lastIndexOf('\n', keyStart - 1) + 1);
  // valueEnd stops before a trailing comment: move on to the start of the next line.
  let offset = last.range[1];
  if (text[offset - 1] !== '\n') {
    const lineEnd = text.indexOf('\n', offset);
    offset = lineEnd < 0 ? text.length : lineEnd + 1;
  }
  const eol =
    text.slice(offset - 2, offset) === '\r\n' ? '\r\n' : text[offset - 1] === '\n' ? '\n' : detectEol(text);
  const atUnterminatedEnd = offset === text.length && !text.endsWith('\n');
  return rendered.map((rendering) => {
    const line = `${' '.repeat(indent)}${keyText}: ${rendering}`;
    return [{ offset, length: 0, content: atUnterminatedEnd ? eol + line : line + eol }];
  });
}

function keyLabel(key: unknown): string {
  return isScalar(key) ? String(key.value) : '?';
}

/** Values compare deeply (timestamps, binary); a merge key is a new Symbol('<<') in every parse. */
function scalarValuesEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'symbol' && typeof b === 'symbol') return a.description === b.description;
  return isDeepStrictEqual(a, b);
}

function propsDiffer(a: Node, b: Node): boolean {
  return a.anchor !== b.anchor || a.tag !== b.tag;
}

/** Where two node trees differ (aliases as references, key order, anchors and tags count), or undefined. */
function nodeDifference(a: unknown, b: unknown, at: readonly string[]): string | undefined {
  const changed = `${pointerOf(at)} changed`;
  if (isAlias(a) || isAlias(b))
    return isAlias(a) && isAlias(b) && a.source === b.source ? undefined : changed;
  if (isScalar(a) || isScalar(b)) {
    return isScalar(a) && isScalar(b) && scalarValuesEqual(a.value, b.value) && !propsDiffer(a, b)
      ? undefined
      : changed;
  }
  if (isMap(a) || isMap(b)) {
    if (!isMap(a) || !isMap(b) || propsDiffer(a, b) || a.items.length !== b.items.length) return changed;
    for (const [i, pair] of a.items.entries()) {
      const other = b.items[i];
      const where = [...at, keyLabel(pair.key)];
      const difference =
        nodeDifference(pair.key, other?.key, where) ?? nodeDifference(pair.value, other?.value, where);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  if (isSeq(a) || isSeq(b)) {
    if (!isSeq(a) || !isSeq(b) || propsDiffer(a, b) || a.items.length !== b.items.length) return changed;
    for (const [i, item] of a.items.entries()) {
      const difference = nodeDifference(item, b.items[i], [...at, String(i)]);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  return (a ?? null) === (b ?? null) ? undefined : changed;
}

/** Like {@link nodeDifference}, except that the node at `rest` must now be the scalar `value` (added last if it was missing). */
function pathDifference(
  a: unknown,
  b: unknown,
  at: readonly string[],
  rest: readonly string[],
  value: string,
): string | undefined {
  const [token, ...deeper] = rest;
  if (token === undefined) {
    if (!isScalar(b) || b.value !== value) return `${pointerOf(at)} does not read back as the new value`;
    if (isNode(a) && !isAlias(a) && propsDiffer(a, b)) return `${pointerOf(at)} lost its anchor or tag`;
    return undefined;
  }
  const here = [...at, token];
  if (isMap(a)) {
    if (!isMap(b) || propsDiffer(a, b)) return `${pointerOf(at)} changed`;
    const index = a.items.findIndex((pair) => keyMatches(pair.key, token));
    const added = index < 0 ? 1 : 0;
    if (b.items.length !== a.items.length + added) return `${pointerOf(at)} gained or lost keys`;
    for (const [i, pair] of a.items.entries()) {
      const other = b.items[i];
      const where = [...at, keyLabel(pair.key)];
      const difference =
        nodeDifference(pair.key, other?.key, where) ??
        (i === index
          ? pathDifference(pair.value, other?.value, here, deeper, value)
          : nodeDifference(pair.value, other?.value, where));
      if (difference !== undefined) return difference;
    }
    const last = b.items.at(-1);
    if (added && (deeper.length > 0 || !keyMatches(last?.key, token)))
      return `${pointerOf(here)} was not added last`;
    return added ? pathDifference(undefined, last?.value, here, [], value) : undefined;
  }
  if (isSeq(a)) {
    const index = arrayIndex(token);
    if (!isSeq(b) || propsDiffer(a, b) || a.items.length !== b.items.length || index === undefined) {
      return `${pointerOf(at)} changed`;
    }
    for (const [i, item] of a.items.entries()) {
      const difference =
        i === index
          ? pathDifference(item, b.items[i], here, deeper, value)
          : nodeDifference(item, b.items[i], [...at, String(i)]);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  return `${pointerOf(at)} is not a mapping or sequence`;
}

/** What differs between the documents before and `after` beyond setting `tokens` to `value`, or undefined. */
function editDifference(
  before: readonly YamlDocument[],
  after: string,
  tokens: readonly string[],
  value: string,
): string | undefined {
  let documents: YamlDocument[];
  try {
    documents = parseStream(after);
  } catch (error) {
    if (error instanceof EditError)
      return `the result is not valid YAML (${error.message}, line ${error.location.line})`;
    throw error;
  }
  if (documents.length !== before.length) return 'the number of documents changed';
  for (const [i, document] of before.entries()) {
    const difference =
      i === 0
        ? pathDifference(document.contents, documents[i]?.contents, [], tokens, value)
        : nodeDifference(document.contents, documents[i]?.contents, []);
    if (difference !== undefined) return i === 0 ? difference : `document ${i + 1}: ${difference}`;
  }
  return undefined;
}

/** Format-preserving YAML edits: only the old scalar's text (or the new key's line) changes. */
export const yamlUpdater: FormatUpdater = {
  format: 'yaml',

  updateContent(text: string, path: string, value: string, options: UpdateOptions = {}): string {
    const tokens = parseJsonPointer(path);
    const documents = parseStream(text);
    const first = documents[0];
    if (first === undefined)
      throw new EditError('path-not-found', `the file holds no YAML document, so no ${path}`);
    const located = locate(text, first, tokens, options.create === true);
    const candidates = located.found
      ? replacementCandidates(text, located.node, value, located.inFlow, pointerOf(tokens))
      : insertionCandidates(text, located.map, located.key, value, located.inFlow);
    // The parser is the judge of whether a style can hold the value: the first candidate that reads
    // back as exactly the intended edit wins, double quotes being the style that always can.
    let reason = 'no way to write it was found';
    for (const edits of candidates) {
      const after = applyEdits(text, edits);
      const difference = editDifference(documents, after, tokens, value);
      if (difference === undefined) return after;
      reason = difference;
    }
    throw new EditError('verification', `could not write the value at ${pointerOf(tokens)}: ${reason}`);
  },

  readString(text: string, path: string): string {
    const tokens = parseJsonPointer(path);
    const documents = parseStream(text);
    const first = documents[0];
    if (first === undefined)
      throw new EditError('path-not-found', `the file holds no YAML document, so no ${path}`);
    const located = locate(text, first, tokens, false);
    if (!located.found) throw new EditError('path-not-found', `no ${path}`);
    const node = isAlias(located.node) ? located.node.resolve(first) : located.node;
    if (isScalar(node) && typeof node.value === 'string') return node.value;
    throw new EditError(
      'not-a-string',
      `${pointerOf(tokens)} is not a string`,
      positionOf(text, located.node),
    );
  },

  verifyEdit(before: string, after: string, path: string, value: string): void {
    const tokens = parseJsonPointer(path);
    const difference = editDifference(parseStream(before), after, tokens, value);
    if (difference !== undefined) {
      throw new EditError('verification', `the edit of ${pointerOf(tokens)} did not verify: ${difference}`);
    }
  },
};
