/**
 * Writing a string as a YAML scalar in a given style. Each function returns undefined when the style
 * cannot hold the string; the YAML updater then re-parses its output anyway, so these rules only have
 * to be conservative, not complete.
 *
 * Hand-written because the `yaml` package's stringifier picks its own style and line folding for the
 * whole node; we must write exactly the style the file already uses, at the file's own indentation.
 */

/**
 * Characters every style but double-quoted can carry as they are: YAML 1.2's c-printable, minus the
 * byte order mark and NEL/LS/PS, which YAML 1.1 readers take for line breaks.
 */
const printable = /^[\t\n\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/**
 * `value` as a plain scalar, or undefined when its characters would make it something else than one
 * scalar. Whether the word reads as a string (`true`, `1e3`, `null`, YAML 1.1's `yes`) depends on the
 * document's schema, so the updater's re-parse decides that.
 */
export function plainScalar(value: string, inFlow: boolean): string | undefined {
  if (value === '' || !printable.test(value) || /[\t\n]/.test(value)) return undefined;
  if (/^\s|\s$/.test(value)) return undefined;
  // Indicators that start another kind of node, and `-`, `?`, `:` when followed by a space.
  if (/^[,[\]{}#&*!|>'"%@`]/.test(value) || /^[-?:](\s|$)/.test(value)) return undefined;
  // A mapping value indicator or a comment inside the text, and document markers.
  if (/:(\s|$)| #/.test(value) || /^(---|\.\.\.)/.test(value)) return undefined;
  if (inFlow && /[,[\]{}]/.test(value)) return undefined;
  return value;
}

/** `value` in single quotes (`'` doubled), or undefined for line breaks and unprintable characters. */
export function singleQuotedScalar(value: string): string | undefined {
  // A line break inside single quotes is folded to a space, so a newline cannot be written as one.
  if (!printable.test(value) || value.includes('\n')) return undefined;
  return `'${value.replaceAll("'", "''")}'`;
}

const namedEscapes: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
};

/** `value` in double quotes, escaping `\`, `"` and every character that is not printable. Always possible. */
export function doubleQuotedScalar(value: string): string {
  let out = '"';
  for (const char of value) {
    const named = namedEscapes[char];
    if (named !== undefined) out += named;
    else if (printable.test(char)) out += char;
    else {
      const code = char.codePointAt(0) ?? 0;
      const hex = code.toString(16).toUpperCase();
      if (code <= 0xff) out += `\\x${hex.padStart(2, '0')}`;
      else if (code <= 0xffff) out += `\\u${hex.padStart(4, '0')}`;
      else out += `\\U${hex.padStart(8, '0')}`;
    }
  }
  return `${out}"`;
}

export type BlockMode = '|' | '>';

export interface BlockBody {
  /** `-` strip, `` clip, `+` keep: whichever gives back the value's trailing newlines. */
  chomp: '-' | '' | '+';
  /** The content lines, each ending in `eol`. */
  body: string;
  /** The first content line starts with a space, so the indentation cannot be detected from it. */
  needsIndentIndicator: boolean;
}

/** The body of a block scalar holding `value`, with content lines indented by `indent` spaces. */
export function blockScalarBody(
  value: string,
  mode: BlockMode,
  indent: number,
  eol: string,
): BlockBody | undefined {
  // A carriage return inside the value cannot survive: line breaks in the body are normalized.
  if (!printable.test(value)) return undefined;
  const core = value.replace(/\n+$/, '');
  const trailing = value.length - core.length;
  if (core === '') {
    // Only newlines: clip would read back as '', keep gives one newline per empty line.
    return { chomp: trailing === 0 ? '-' : '+', body: eol.repeat(trailing), needsIndentIndicator: false };
  }
  // Lines of spaces only are read as empty lines unless a line with text sets the indentation.
  if (!/[^ \n]/.test(core)) return undefined;
  const lines = core.split('\n');
  const written = mode === '|' ? lines : foldedLines(lines);
  const pad = ' '.repeat(indent);
  const body =
    written.map((line) => (line === '' ? '' : pad + line)).join(eol) + eol.repeat(Math.max(1, trailing));
  const firstText = lines.find((line) => line !== '');
  return {
    chomp: trailing === 0 ? '-' : trailing === 1 ? '' : '+',
    body,
    needsIndentIndicator: firstText?.startsWith(' ') ?? false,
  };
}

/**
 * Source lines of a folded scalar that reads back as `lines` joined by newlines: a line break between
 * two lines that do not start with white space folds into a space, so it is written as an empty line.
 */
function foldedLines(lines: readonly string[]): string[] {
  const out: string[] = [];
  let previous: 'none' | 'text' | 'indented' = 'none';
  for (const line of lines) {
    if (line === '') {
      out.push('');
      continue;
    }
    const kind = /^[ \t]/.test(line) ? 'indented' : 'text';
    if (kind === 'text' && previous === 'text') out.push('');
    out.push(line);
    previous = kind;
  }
  return out;
}
