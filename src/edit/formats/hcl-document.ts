import { type HclToken, hclSyntaxError, tokenizeHcl } from './hcl-tokenizer.js';

// The structure of an HCL2 file as far as addressing values needs it: bodies of attributes and blocks,
// each attribute's expression as a span of source, and the items of object constructors (`{ k = v }`).

export interface HclExpression {
  readonly start: number;
  readonly end: number;
  readonly tokens: readonly HclToken[];
  /** The items when the expression is an object constructor with plain keys. */
  readonly object?: readonly HclObjectItem[];
}

export interface HclObjectItem {
  /** The key's value; for a computed key (`"${x}"`, `(var.k)`), its source text. */
  readonly key: string;
  /** Computed keys are known only when Packer evaluates them, so paths cannot name them. */
  readonly computed: boolean;
  readonly keyToken: HclToken;
  readonly expr: HclExpression;
}

export interface HclAttribute {
  readonly kind: 'attribute';
  readonly name: string;
  readonly nameToken: HclToken;
  readonly expr: HclExpression;
  /** The line ending after the expression (`\n` or `\r\n`); undefined at the end of the file or in a one-line block. */
  readonly newline?: HclToken;
}

export interface HclBlock {
  readonly kind: 'block';
  readonly type: string;
  readonly labels: readonly string[];
  readonly typeToken: HclToken;
  readonly open: HclToken;
  readonly close: HclToken;
  /** `name { }` or `name { a = 1 }` written on one line. */
  readonly oneLine: boolean;
  readonly body: HclBody;
}

export type HclItem = HclAttribute | HclBlock;

export interface HclBody {
  readonly items: readonly HclItem[];
}

const OPERANDS = new Set(['ident', 'number', 'string', 'heredoc']);
const CLOSERS: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Parses the body structure of an HCL2 file. Throws EditError 'syntax' with line and column. */
export function parseHclDocument(text: string): HclBody {
  return new Parser(text, tokenizeHcl(text)).body(undefined);
}

/** The address of a block as paths write it: type and labels joined by dots. */
export function blockAddress(block: HclBlock): string {
  return [block.type, ...block.labels].join('.');
}

function isPunct(token: HclToken | undefined, text: string): boolean {
  return token?.kind === 'punct' && token.text === text;
}

function describe(token: HclToken): string {
  if (token.kind === 'eof') return 'the end of the file';
  if (token.kind === 'newline') return 'a line break';
  return JSON.stringify(token.text.length > 20 ? `${token.text.slice(0, 20)}…` : token.text);
}

class Parser {
  private i = 0;

  constructor(
    private readonly text: string,
    private readonly tokens: readonly HclToken[],
  ) {}

  private fail(at: HclToken | number, message: string): never {
    throw hclSyntaxError(this.text, typeof at === 'number' ? at : at.start, message);
  }

  private peek(): HclToken {
    return this.tokens[this.i] as HclToken;
  }

  private next(): HclToken {
    return this.tokens[this.i++] as HclToken;
  }

  /** A body up to the `}` closing `open` (not consumed), or up to the end of the file. */
  body(open: HclToken | undefined): HclBody {
    const items: HclItem[] = [];
    const attributes = new Set<string>();
    for (;;) {
      const token = this.peek();
      if (token.kind === 'newline') {
        this.i++;
        continue;
      }
      if (token.kind === 'eof') {
        if (open !== undefined) this.fail(open, 'unclosed block: this { has no matching }');
        return { items };
      }
      if (isPunct(token, '}')) {
        if (open !== undefined) return { items };
        this.fail(token, 'unexpected }: no block is open');
      }
      if (token.kind !== 'ident')
        this.fail(token, `expected an attribute or block, found ${describe(token)}`);
      const item = this.item(false);
      if (item.kind === 'attribute') {
        // HCL rejects a second definition ("Attribute redefined"), and it would make paths ambiguous.
        if (attributes.has(item.name)) this.fail(item.nameToken, `attribute ${item.name} is defined twice`);
        attributes.add(item.name);
      }
      items.push(item);
    }
  }

  /** An attribute or block starting at the current identifier; `oneLine` inside `name { a = 1 }`. */
  private item(oneLine: boolean): HclItem {
    const nameToken = this.next();
    if (isPunct(this.peek(), '=')) {
      this.i++;
      const expr = this.expression();
      if (oneLine) return { kind: 'attribute', name: nameToken.text, nameToken, expr };
      const end = this.peek();
      if (end.kind === 'eof') return { kind: 'attribute', name: nameToken.text, nameToken, expr };
      if (end.kind !== 'newline')
        this.fail(end, `expected a line break after the value of ${nameToken.text}`);
      this.i++;
      return { kind: 'attribute', name: nameToken.text, nameToken, expr, newline: end };
    }
    const labels: string[] = [];
    while (this.peek().kind === 'ident' || this.peek().kind === 'string') {
      const label = this.next();
      if (label.kind === 'ident') labels.push(label.text);
      else if (label.value !== undefined) labels.push(label.value);
      else this.fail(label, 'a block label must be a plain string, without interpolation');
    }
    const open = this.next();
    if (!isPunct(open, '{')) {
      this.fail(
        open,
        `expected = or { after ${nameToken.text}${labels.length > 0 ? ' and its labels' : ''}, found ${describe(open)}`,
      );
    }
    if (oneLine) this.fail(nameToken, 'a one-line block cannot contain a block');
    let body: HclBody;
    const first = this.peek();
    const blockOnOneLine = first.kind !== 'newline';
    if (first.kind === 'newline') {
      body = this.body(open);
    } else if (isPunct(first, '}')) {
      body = { items: [] };
    } else {
      if (first.kind !== 'ident')
        this.fail(first, `expected an attribute or a line break, found ${describe(first)}`);
      body = { items: [this.item(true)] };
    }
    const close = this.next();
    if (!isPunct(close, '}')) this.fail(close, `expected } to close the one-line block ${nameToken.text}`);
    const after = this.peek();
    if (after.kind === 'newline') this.i++;
    else if (after.kind !== 'eof')
      this.fail(after, `expected a line break after the block ${nameToken.text}`);
    return {
      kind: 'block',
      type: nameToken.text,
      labels,
      typeToken: nameToken,
      open,
      close,
      oneLine: blockOnOneLine,
      body,
    };
  }

  /** An expression: tokens up to a line break or `}` outside brackets. */
  private expression(): HclExpression {
    const from = this.i;
    const stack: HclToken[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === 'eof') {
        const unclosed = stack.at(-1);
        if (unclosed !== undefined)
          this.fail(unclosed, `unclosed ${unclosed.text}: missing ${CLOSERS[unclosed.text]}`);
        break;
      }
      if (stack.length === 0 && (token.kind === 'newline' || isPunct(token, '}'))) break;
      if (stack.length === 0)
        this.checkAdjacent(this.tokens[this.i - 1], token, 'a line break after the value');
      if (token.kind === 'punct' && CLOSERS[token.text] !== undefined) stack.push(token);
      else if (token.kind === 'punct' && Object.values(CLOSERS).includes(token.text)) {
        const opener = stack.pop();
        if (opener === undefined || CLOSERS[opener.text] !== token.text) {
          this.fail(token, `unexpected ${token.text}${opener ? `: ${opener.text} is still open` : ''}`);
        }
      }
      this.i++;
    }
    const tokens = this.tokens.slice(from, this.i);
    const first = tokens[0];
    const last = tokens.at(-1);
    if (first === undefined || last === undefined) this.fail(this.peek(), 'expected an expression after =');
    return { start: first.start, end: last.end, tokens, object: this.objectItems(tokens) };
  }

  /**
   * Without an expression parser, two operands in a row (`a = 1 b = 2`) would pass as one value;
   * outside brackets (where `for x in y` cannot occur) no HCL expression has them, nor a bare `=`.
   */
  private checkAdjacent(previous: HclToken | undefined, token: HclToken, expected: string): void {
    const ends =
      previous !== undefined && (OPERANDS.has(previous.kind) || [')', ']', '}'].includes(previous.text));
    if ((ends && OPERANDS.has(token.kind)) || isPunct(token, '='))
      this.fail(token, `expected ${expected}, found ${describe(token)}`);
  }

  /** The items of `{ key = value, ... }`; undefined for anything else, including `{ for ... }`. */
  private objectItems(tokens: readonly HclToken[]): HclObjectItem[] | undefined {
    const last = tokens.length - 1;
    if (!isPunct(tokens[0], '{') || !isPunct(tokens[last], '}') || !this.closesAt(tokens, 0, last))
      return undefined;
    const items: HclObjectItem[] = [];
    let j = 1;
    for (;;) {
      while (j < last && (tokens[j]?.kind === 'newline' || isPunct(tokens[j], ','))) j++;
      if (j >= last) return items;
      const keyToken = tokens[j] as HclToken;
      if (items.length === 0 && keyToken.kind === 'ident' && keyToken.text === 'for') return undefined;
      let keyEnd = j;
      if (isPunct(keyToken, '(')) {
        while (!this.closesAt(tokens, j, keyEnd)) keyEnd++;
      } else if (keyToken.kind !== 'ident' && keyToken.kind !== 'string') {
        this.fail(keyToken, `expected an object key, found ${describe(keyToken)}`);
      }
      const source = this.text.slice(keyToken.start, (tokens[keyEnd] as HclToken).end);
      const computed = !(
        keyToken.kind === 'ident' ||
        (keyToken.kind === 'string' && keyToken.value !== undefined)
      );
      const key = keyToken.kind === 'ident' ? keyToken.text : (keyToken.value ?? source);
      const separator = tokens[keyEnd + 1] as HclToken;
      if (!isPunct(separator, '=') && !isPunct(separator, ':')) {
        this.fail(separator, `expected = or : after the object key ${source}, found ${describe(separator)}`);
      }
      j = keyEnd + 2;
      const from = j;
      let depth = 0;
      while (j < last) {
        const token = tokens[j] as HclToken;
        if (depth === 0 && (token.kind === 'newline' || isPunct(token, ','))) break;
        if (depth === 0 && j > from)
          this.checkAdjacent(tokens[j - 1], token, 'a comma or a line break between items');
        if (token.kind === 'punct' && CLOSERS[token.text] !== undefined) depth++;
        else if (token.kind === 'punct' && Object.values(CLOSERS).includes(token.text)) depth--;
        j++;
      }
      const value = tokens.slice(from, j);
      const first = value[0];
      const end = value.at(-1);
      if (first === undefined || end === undefined)
        this.fail(tokens[j] as HclToken, `expected a value for ${key}`);
      items.push({
        key,
        computed,
        keyToken,
        expr: { start: first.start, end: end.end, tokens: value, object: this.objectItems(value) },
      });
    }
  }

  /** Whether the bracket at `open` closes exactly at `close` (tokens are known to be balanced). */
  private closesAt(tokens: readonly HclToken[], open: number, close: number): boolean {
    let depth = 0;
    for (let j = open; j <= close; j++) {
      const token = tokens[j] as HclToken;
      if (token.kind !== 'punct') continue;
      if (CLOSERS[token.text] !== undefined) depth++;
      else if (Object.values(CLOSERS).includes(token.text)) depth--;
      if (depth === 0) return j === close;
    }
    return false;
  }
}
