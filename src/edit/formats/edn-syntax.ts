import type { SyntaxNode, Tree } from '@lezer/common';
import { parser } from '@nextjournal/lezer-clojure';
import { lineColumnAt } from '../../errors.js';
import { EditError } from '../format.js';
import type { EdnDocument } from './edn-document.js';
import { ednText, ednValueOf } from './edn-value.js';

/** Node names of the Clojure grammar that are layout, not forms: brackets, comments and `#_` discards. */
const notForms = new Set(['{', '}', '[', ']', '(', ')', 'LineComment', 'Discard']);
/** Wrappers the Clojure grammar puts around plain forms inside lists (`(def x "doc" 1)`). */
const formWrappers = new Set(['DocString', 'VarName', 'Operator']);
/** Prefixes that do not change which form a path reaches: reader tags (aero's `#profile`, `#env`) and metadata. */
const transparent = new Set(['TaggedLiteral', 'Meta']);

const openers: Record<string, string> = { Map: '{', Vector: '[', List: '(', Set: '#{', NamespacedMap: '{' };
const closers: Record<string, string> = { Map: '}', Vector: ']', List: ')', Set: '}', NamespacedMap: '}' };

/** Parses `text` with the lezer Clojure grammar; throws a 'syntax' {@link EditError} on any error in it. */
export function parseEdnDocument(text: string): EdnDocument {
  const tree = parseTree(text);
  const doc = { text, tree };
  const error = firstErrorNode(doc);
  if (error) throw describeSyntaxError(doc, error);
  checkEdnRules(doc);
  return doc;
}

/**
 * Rules of EDN that the Clojure grammar leaves to the reader: maps hold pairs, map keys and set members
 * are unique, and strings use only the escapes EDN readers accept.
 */
function checkEdnRules(doc: EdnDocument): void {
  const problems: EditError[] = [];
  doc.tree.iterate({
    enter: (ref) => {
      if (problems.length > 0) return false;
      if (ref.name === 'String') {
        const problem = badEscape(doc, ref.node);
        if (problem) problems.push(problem);
        return false;
      }
      if (ref.name === 'Map' && ref.node.parent?.name !== 'Set') {
        const problem = badMap(doc, ref.node);
        if (problem) problems.push(problem);
      }
      if (ref.name === 'Set') {
        const members = ref.node.getChild('Map');
        const problem = members && firstDuplicate(doc, formsOf(members), 'set member');
        if (problem) problems.push(problem);
      }
      return undefined;
    },
  });
  if (problems[0]) throw problems[0];
}

function badMap(doc: EdnDocument, map: SyntaxNode): EditError | undefined {
  const forms = formsOf(map);
  if (forms.length % 2 === 1) {
    const last = forms.at(-1) as SyntaxNode;
    return syntaxErrorAt(
      doc.text,
      last.from,
      `map has an odd number of forms: \`${sourceOf(doc, last)}\` has no value`,
    );
  }
  return firstDuplicate(
    doc,
    forms.filter((_, i) => i % 2 === 0),
    'map key',
  );
}

function firstDuplicate(doc: EdnDocument, forms: SyntaxNode[], what: string): EditError | undefined {
  const seen = new Map<string, SyntaxNode>();
  for (const form of forms) {
    const identity = ednText(ednValueOf(doc, form));
    const first = seen.get(identity);
    if (first) {
      const at = lineColumnAt(doc.text, first.from);
      return syntaxErrorAt(
        doc.text,
        form.from,
        `duplicate ${what} ${identity} (first at line ${at.line}, column ${at.column})`,
      );
    }
    seen.set(identity, form);
  }
  return undefined;
}

function badEscape(doc: EdnDocument, string: SyntaxNode): EditError | undefined {
  const { text } = doc;
  for (let i = string.from + 1; i < string.to - 1; i++) {
    if (text[i] !== '\\') continue;
    const next = text[i + 1] ?? '';
    const unicode = next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6));
    if (!unicode && !'trnbf"\\'.includes(next)) {
      return syntaxErrorAt(text, i, `unsupported escape \`\\${next}\` in string`);
    }
    i += unicode ? 5 : 1;
  }
  return undefined;
}

/** A syntax error placed at a character offset of the document. */
export function syntaxErrorAt(text: string, offset: number, message: string): EditError {
  return new EditError('syntax', message, lineColumnAt(text, offset));
}

/** The forms directly inside a collection or the document, without brackets, comments and discards. */
export function formsOf(node: SyntaxNode): SyntaxNode[] {
  const forms: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (notForms.has(child.name) || child.type.isError) continue;
    forms.push(unwrapGrammarWrapper(child));
  }
  return forms;
}

/** The form a path reaches through `node`: reader tags and metadata are skipped, as aero reads through them. */
export function throughTags(node: SyntaxNode): SyntaxNode {
  let current = node;
  while (transparent.has(current.name)) {
    const inner = formsOf(current).at(-1);
    if (!inner) break;
    current = inner;
  }
  return current;
}

/** The source text of a node. */
export function sourceOf(doc: EdnDocument, node: SyntaxNode): string {
  return doc.text.slice(node.from, node.to);
}

/** The first form of the document, which is what an EDN reader returns. */
export function rootForm(doc: EdnDocument): SyntaxNode | undefined {
  return formsOf(doc.tree.topNode)[0];
}

/**
 * lezer-clojure's string token lets a backslash be plain content or start an escape and takes the longest
 * match, so in `"C:\\dir\\"` it reads the final `\"` as an escaped quote and runs the string on. Hiding the
 * `\\` pairs of each string (two characters for two, so positions hold) and parsing again fixes the
 * tokens; node texts are always taken from the real text.
 */
function parseTree(text: string): Tree {
  let input = text;
  for (;;) {
    const tree = parser.parse(input);
    const masked = maskBackslashPairs(input, tree);
    if (masked === input) return tree;
    input = masked;
  }
}

function maskBackslashPairs(input: string, tree: Tree): string {
  const pairs: number[] = [];
  let aligned = true;
  tree.iterate({
    enter: (ref) => {
      if (!aligned) return false;
      if (ref.name !== 'String') return undefined;
      let i = ref.from + 1;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && input[i + 1] === '\\') pairs.push(i);
        i += input[i] === '\\' ? 2 : 1;
      }
      // Strings after a mis-read one start at the wrong place; fix this one first and parse again.
      aligned = i + 1 === ref.to;
      return false;
    },
  });
  if (pairs.length === 0) return input;
  let masked = '';
  let at = 0;
  for (const pair of pairs) {
    masked += `${input.slice(at, pair)}__`;
    at = pair + 2;
  }
  return masked + input.slice(at);
}

function unwrapGrammarWrapper(node: SyntaxNode): SyntaxNode {
  if (formWrappers.has(node.name)) return node.lastChild ?? node;
  return node;
}

function firstErrorNode(doc: EdnDocument): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  doc.tree.iterate({
    enter: (ref) => {
      if (found) return false;
      if (!ref.type.isError) return undefined;
      // A byte-order mark is not in the grammar's whitespace; it is not an error in the file.
      if (ref.from === 0 && ref.to === 1 && doc.text.charCodeAt(0) === 0xfeff) return false;
      found = ref.node;
      return false;
    },
  });
  return found;
}

function describeSyntaxError(doc: EdnDocument, error: SyntaxNode): EditError {
  const { text } = doc;
  const parent = error.parent;
  if (parent?.name === 'String') return syntaxErrorAt(text, parent.from, 'string is not terminated');
  const atEnd = error.from >= text.length;
  const found = text.slice(error.from, error.from + 1);
  if (parent && parent.name in openers && error.from === error.to) {
    const opened = lineColumnAt(text, parent.from);
    const opener = `\`${openers[parent.name]}\` opened at line ${opened.line}, column ${opened.column}`;
    if (atEnd) return syntaxErrorAt(text, parent.from, `${opener} is never closed`);
    return syntaxErrorAt(
      text,
      error.from,
      `unexpected \`${found}\`: ${opener} must be closed with \`${closers[parent.name]}\``,
    );
  }
  if (atEnd) return syntaxErrorAt(text, error.from, 'unexpected end of file: a form is missing');
  if ('}])'.includes(found))
    return syntaxErrorAt(text, error.from, `unexpected \`${found}\` without an opener`);
  return syntaxErrorAt(text, error.from, `unexpected \`${found}\``);
}
