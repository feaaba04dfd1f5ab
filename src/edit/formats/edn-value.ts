import type { SyntaxNode } from '@lezer/common';
import { type EDNVal, parseEDNString, toEDNString } from 'edn-data';
import type { EdnDocument } from './edn-document.js';

/**
 * Options that keep every distinction EDN makes and compare deeply: keywords `{key}` apart from strings,
 * maps as ordered `{map: [[k, v]]}` (keys may be keywords or vectors, which a JS object or Map cannot key by),
 * tags as `{tag, val}` (including `#inst`, which edn-data would otherwise turn into a Date).
 */
const options: Parameters<typeof parseEDNString>[1] = {
  mapAs: 'doubleArray',
  setAs: 'object',
  listAs: 'object',
  keywordAs: 'object',
  symbolAs: 'object',
  charAs: 'object',
  tagHandlers: { inst: (val: unknown) => ({ tag: 'inst', val }) },
};

const characterNames: Record<string, number> = {
  newline: 10,
  space: 32,
  tab: 9,
  formfeed: 12,
  backspace: 8,
  return: 13,
};

/** The meaning of one form of the document, as edn-data reads it. */
export function ednValueOf(doc: EdnDocument, node: SyntaxNode): EDNVal {
  return parseEDNString(textForEdnData(doc, node.from, node.to), options) as EDNVal;
}

/** Every top-level form of the document, as edn-data reads them. */
export function ednValuesOf(doc: EdnDocument): EDNVal[] {
  // The newline ends a comment on the last line before the closing bracket.
  return parseEDNString(`[${textForEdnData(doc, 0, doc.text.length)}\n]`, options) as EDNVal[];
}

/** Reads a standalone EDN text (a path) with the same options as documents. */
export function readEdn(text: string): EDNVal {
  return parseEDNString(text, options) as EDNVal;
}

/** A string written as an EDN string literal. */
export function ednStringLiteral(value: string): string {
  // edn-data writes strings as JSON does; JSON's escapes (\" \\ \n \r \t \b \f \uXXXX) are all valid in EDN.
  return toEDNString(value);
}

/** A value written as EDN, for messages and for new keys. */
export function ednText(value: EDNVal): string {
  return toEDNString(value);
}

/** Whether two edn-data values are equal; map entries and set members compare in order, as written. */
export function ednEqual(a: EDNVal, b: EDNVal): boolean {
  return ednDifference(a, b, '') === undefined;
}

/** Where the first difference between two edn-data values is, as a path of EDN keys; undefined if equal. */
export function ednDifference(a: EDNVal, b: EDNVal, where: string): string | undefined {
  if (a === b) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return where || '[]';
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime() ? undefined : where;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return where;
    return sequenceDifference(a, b, where);
  }
  const left = a as unknown as Record<string, unknown>;
  const right = b as unknown as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length || keys.some((k) => !(k in right))) return where;
  if ('map' in left)
    return mapDifference(left.map as [EDNVal, EDNVal][], right.map as [EDNVal, EDNVal][], where);
  for (const key of keys) {
    const inner = ednDifference(left[key] as EDNVal, right[key] as EDNVal, where);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function sequenceDifference(a: EDNVal[], b: EDNVal[], where: string): string | undefined {
  if (a.length !== b.length) return where || '[]';
  for (let i = 0; i < a.length; i++) {
    const inner = ednDifference(a[i] as EDNVal, b[i] as EDNVal, `${where} ${i}`);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function mapDifference(a: [EDNVal, EDNVal][], b: [EDNVal, EDNVal][], where: string): string | undefined {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [keyA, valueA] = a[i] ?? [];
    const [keyB, valueB] = b[i] ?? [];
    if (keyA === undefined || keyB === undefined || !ednEqual(keyA, keyB)) {
      return `${where} ${ednText((keyA ?? keyB) as EDNVal)}`;
    }
    const inner = ednDifference(valueA as EDNVal, valueB as EDNVal, `${where} ${ednText(keyA)}`);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/**
 * The source between `from` and `to`, rewritten so that edn-data reads it as an EDN reader would.
 * edn-data does not end a token at `;`, does not know metadata, `##Inf` or most character literals, and
 * chokes on some forms inside `#_`; those are semantically blank or have a `\uXXXX` spelling it reads.
 */
function textForEdnData(doc: EdnDocument, from: number, to: number): string {
  const { text, tree } = doc;
  const parts: string[] = [];
  let at = from;
  const replace = (node: { from: number; to: number }, by: string) => {
    parts.push(text.slice(at, node.from), by);
    at = node.to;
  };
  tree.iterate({
    from,
    to,
    enter: (ref) => {
      if (ref.from < from || ref.to > to) return undefined;
      switch (ref.name) {
        case 'LineComment':
        case 'Discard':
        case 'Metadata':
        case 'ReaderMetadata':
          replace(ref, ' ');
          return false;
        case 'Character':
          replace(ref, characterAsUnicode(text.slice(ref.from + 1, ref.to)));
          return false;
        case 'SymbolicValue':
          replace(ref, ` #edn/symbolic-value ${text.slice(ref.from + 2, ref.to)} `);
          return false;
        default:
          if (ref.type.isError) replace(ref, ' ');
          return undefined;
      }
    },
  });
  parts.push(text.slice(at, to));
  return parts.join('');
}

function characterAsUnicode(spelling: string): string {
  let code = characterNames[spelling];
  if (code === undefined && /^u[0-9a-fA-F]{4}$/.test(spelling)) code = Number.parseInt(spelling.slice(1), 16);
  if (code === undefined && /^o[0-7]{1,3}$/.test(spelling)) code = Number.parseInt(spelling.slice(1), 8);
  code ??= spelling.codePointAt(0) ?? 0;
  // A character outside the BMP has no \uXXXX spelling; edn-data reads it fine as written.
  if (code > 0xffff) return ` \\${spelling} `;
  return ` \\u${code.toString(16).padStart(4, '0')} `;
}
