import { lineColumnAt } from '../../errors.js';
import { EditError } from '../format.js';

// No npm package tokenizes HCL2 native syntax with source positions (@cdktf/hcl2json only returns JSON),
// so this covers what locating an attribute's value needs: it follows HashiCorp's hclsyntax scanner
// for comments, strings, templates and heredocs, and reports operators as plain punctuation.

export type HclTokenKind = 'ident' | 'number' | 'string' | 'heredoc' | 'punct' | 'newline' | 'eof';

export interface HclToken {
  readonly kind: HclTokenKind;
  /** Offset of the first character (UTF-16 units, as `String.prototype.slice`). */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
  /** The source text of the token. */
  readonly text: string;
  /** Strings and heredocs only: the decoded value in NFC (as HCL reads it), or undefined when it interpolates. */
  readonly value?: string;
}

const IDENT = /[\p{ID_Start}_][\p{ID_Continue}-]*/uy;
const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const PUNCTUATION = ['...', '==', '!=', '<=', '>=', '&&', '||', '=>', ...'{}[]()=<>+-*/%!?:.,~'];
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** Splits HCL2 native syntax into tokens; comments and blanks are dropped, newlines kept. Throws EditError 'syntax'. */
export function tokenizeHcl(text: string): HclToken[] {
  const lexer = new Lexer(text);
  const tokens = lexer.expression(false);
  tokens.push({ kind: 'eof', start: text.length, end: text.length, text: '' });
  return tokens;
}

/** A syntax error at `offset` of `text`. */
export function hclSyntaxError(text: string, offset: number, message: string): EditError {
  return new EditError('syntax', message, lineColumnAt(text, offset));
}

class Lexer {
  private pos: number;

  constructor(private readonly text: string) {
    this.pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  private fail(offset: number, message: string): never {
    throw hclSyntaxError(this.text, offset, message);
  }

  private match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.pos;
    return pattern.exec(this.text)?.[0];
  }

  /**
   * Tokens up to the end of text, or, inside a template interpolation (`insideTemplate`),
   * up to and including the `}` that closes it.
   */
  expression(insideTemplate: boolean): HclToken[] {
    const { text } = this;
    const tokens: HclToken[] = [];
    const opened = this.pos;
    let braces = 0;
    const push = (kind: HclTokenKind, start: number, value?: string) => {
      tokens.push({ kind, start, end: this.pos, text: text.slice(start, this.pos), value });
    };
    while (this.pos < text.length) {
      const start = this.pos;
      const c = text[start] as string;
      if (c === ' ' || c === '\t') {
        this.pos++;
      } else if (c === '\n' || (c === '\r' && text[start + 1] === '\n')) {
        this.pos += c === '\r' ? 2 : 1;
        push('newline', start);
      } else if (c === '\r') {
        this.fail(start, 'a carriage return must be followed by a line feed');
      } else if (c === '#' || text.startsWith('//', start)) {
        while (this.pos < text.length && text[this.pos] !== '\n' && text[this.pos] !== '\r') this.pos++;
      } else if (text.startsWith('/*', start)) {
        const close = text.indexOf('*/', start + 2);
        if (close < 0) this.fail(start, 'unterminated /* comment');
        this.pos = close + 2;
      } else if (c === '"') {
        this.pos++;
        const value = this.template(start, undefined);
        push('string', start, value);
      } else if (text.startsWith('<<', start)) {
        const value = this.heredoc(start);
        push('heredoc', start, value);
      } else if (c >= '0' && c <= '9') {
        this.pos += (this.match(NUMBER) as string).length;
        push('number', start);
      } else if (this.match(IDENT) !== undefined) {
        this.pos += (this.match(IDENT) as string).length;
        push('ident', start);
      } else {
        const punct = PUNCTUATION.find((p) => text.startsWith(p, start));
        if (punct === undefined) this.fail(start, `unexpected character ${JSON.stringify(c)}`);
        this.pos += punct.length;
        if (insideTemplate && punct === '}' && braces === 0) return tokens;
        if (punct === '{') braces++;
        if (punct === '}') braces--;
        push('punct', start);
      }
    }
    if (insideTemplate) this.fail(opened - 2, 'unterminated template interpolation: missing }');
    return tokens;
  }

  /** `<<EOF` or `<<-EOF` at `start`; leaves the position just after the closing marker. */
  private heredoc(start: number): string | undefined {
    const { text } = this;
    this.pos = start + 2;
    const flush = text[this.pos] === '-';
    if (flush) this.pos++;
    const marker = this.match(IDENT);
    if (marker === undefined) this.fail(start, 'expected a heredoc marker after <<');
    this.pos += marker.length;
    if (text.startsWith('\r\n', this.pos)) this.pos += 2;
    else if (text[this.pos] === '\n') this.pos++;
    else this.fail(this.pos, `the heredoc marker ${marker} must be followed by a newline`);
    const value = this.template(start, marker);
    if (value === undefined || !flush) return value;
    return flushIndent(value);
  }

  /**
   * The body of a quoted string (closed by `"`) or of a heredoc (closed by a line holding only `marker`),
   * starting at the current position. Returns the decoded value, or undefined when it interpolates.
   */
  private template(start: number, marker: string | undefined): string | undefined {
    const { text } = this;
    let value = '';
    let literal = true;
    let lineStart = true;
    for (;;) {
      if (marker !== undefined && lineStart) {
        const end = closingMarker(text, this.pos, marker);
        if (end !== undefined) {
          this.pos = end;
          return literal ? value.normalize('NFC') : undefined;
        }
      }
      lineStart = false;
      if (this.pos >= text.length) {
        this.fail(
          start,
          marker === undefined ? 'unterminated string' : `unterminated heredoc: no line ${marker}`,
        );
      }
      const c = text[this.pos] as string;
      if (marker === undefined && c === '"') {
        this.pos++;
        return literal ? value.normalize('NFC') : undefined;
      }
      if (marker === undefined && (c === '\n' || c === '\r')) {
        this.fail(start, 'unterminated string: quoted strings may not span lines (use \\n or a heredoc)');
      }
      if (marker === undefined && c === '\\') {
        value += this.escape();
      } else if (text.startsWith('$${', this.pos) || text.startsWith('%%{', this.pos)) {
        value += `${c}{`;
        this.pos += 3;
      } else if (text.startsWith('${', this.pos) || text.startsWith('%{', this.pos)) {
        literal = false;
        this.pos += 2;
        this.expression(true);
      } else {
        value += c;
        this.pos++;
        lineStart = c === '\n';
      }
    }
  }

  /** A backslash escape in a quoted string, at the current position. */
  private escape(): string {
    const { text } = this;
    const at = this.pos;
    const selector = text[at + 1] ?? '';
    const simple = ESCAPES[selector];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    const digits = selector === 'u' ? 4 : selector === 'U' ? 8 : 0;
    const hex = text.slice(at + 2, at + 2 + digits);
    if (digits === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) {
      this.fail(at, `invalid escape sequence \\${selector}`);
    }
    const code = Number.parseInt(hex, 16);
    if (code > 0x10ffff) this.fail(at, `invalid escape sequence \\${selector}${hex}`);
    this.pos += 2 + digits;
    return String.fromCodePoint(code);
  }
}

/** The end of the heredoc closing line at `pos` (leading blanks, the marker, then a newline or the end), if it is one. */
function closingMarker(text: string, pos: number, marker: string): number | undefined {
  let i = pos;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (!text.startsWith(marker, i)) return undefined;
  const end = i + marker.length;
  const next = text[end];
  return next === undefined || next === '\n' || text.startsWith('\r\n', end) ? end : undefined;
}

/** `<<-` heredocs drop the indentation common to their non-blank lines; blank lines stay as written, as in HCL. */
function flushIndent(value: string): string {
  const lines = value.split('\n');
  const last = lines.pop();
  const indents = lines
    .filter((line) => line.trim() !== '')
    .map((line) => (/^[ \t]*/.exec(line) as RegExpExecArray)[0].length);
  const strip = indents.length > 0 ? Math.min(...indents) : 0;
  return [...lines.map((line) => (line.trim() === '' ? line : line.slice(strip))), last].join('\n');
}
