import { lineColumnAt } from '../../errors.js';
import { EditError, type FormatUpdater, type UpdateOptions } from '../format.js';
import { blockAddress, type HclBody, type HclExpression, parseHclDocument } from './hcl-document.js';
import { type HclMissing, type HclTarget, missingHclPath, resolveHclPath } from './hcl-path.js';

/** `value` as an HCL quoted string whose template does not interpolate (`${` is written `$${`). */
export function quoteHclString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    const code = value.charCodeAt(i);
    if (c === '\\') out += '\\\\';
    else if (c === '"') out += '\\"';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if ((c === '$' || c === '%') && value[i + 1] === '{') out += `${c}${c}`;
    else out += c;
  }
  return `${out}"`;
}

/** Updates HCL2 files (Packer `.pkr.hcl`, `.pkrvars.hcl`) by dotted address: `variable.source_ami.default`. */
export const hclUpdater: FormatUpdater = {
  format: 'hcl',

  updateContent(text: string, path: string, value: string, options: UpdateOptions = {}): string {
    const body = parseHclDocument(text);
    const quoted = quoteHclString(value);
    const target = options.create ? missingHclPath(text, body, path) : resolveHclPath(text, body, path);
    if ('expr' in target) return text.slice(0, target.expr.start) + quoted + text.slice(target.expr.end);
    return insertAttribute(text, target, `${target.rest} = ${quoted}`);
  },

  readString(text: string, path: string): string {
    const target = resolveHclPath(text, parseHclDocument(text), path);
    const [token, ...others] = target.expr.tokens;
    if (token !== undefined && others.length === 0 && token.value !== undefined) return token.value;
    const kind =
      token?.kind === 'string' || token?.kind === 'heredoc' ? 'a template that interpolates' : 'not a string';
    throw new EditError(
      'not-a-string',
      `${target.address} is ${kind}`,
      lineColumnAt(text, target.expr.start),
    );
  },

  verifyEdit(before: string, after: string, path: string, value: string): void {
    const fail = (message: string) => new EditError('verification', `after editing ${path}: ${message}`);
    let afterBody: HclBody;
    try {
      afterBody = parseHclDocument(after);
    } catch (error) {
      throw fail(`the result no longer parses: ${error instanceof Error ? error.message : String(error)}`);
    }
    let target: HclTarget;
    try {
      target = resolveHclPath(after, afterBody, path);
    } catch (error) {
      throw fail(error instanceof Error ? error.message : String(error));
    }
    const [token, ...others] = target.expr.tokens;
    if (
      token === undefined ||
      others.length > 0 ||
      token.kind !== 'string' ||
      token.value !== value.normalize('NFC')
    ) {
      throw fail(
        `the value is ${after.slice(target.expr.start, target.expr.end)}, not the string ${JSON.stringify(value)}`,
      );
    }
    const beforeBody = parseHclDocument(before);
    const old = oldExpression(before, beforeBody, path);
    const within = (entry: Entry, expr: HclExpression | undefined) =>
      expr !== undefined && entry.start >= expr.start && entry.start < expr.end;
    const beforeEntries = entries(beforeBody).filter((entry) => !within(entry, old));
    const afterEntries = entries(afterBody).filter((entry) => !within(entry, target.expr));
    const length = Math.max(beforeEntries.length, afterEntries.length);
    for (let i = 0; i < length; i++) {
      const was = beforeEntries[i];
      const is = afterEntries[i];
      if (was?.address !== is?.address || was?.source !== is?.source) {
        const describe = (entry: Entry | undefined) =>
          entry ? `${entry.address} = ${entry.source}` : 'nothing';
        throw fail(`${describe(was)} became ${describe(is)}`);
      }
    }
  },
};

/** The value `path` had before the edit; undefined when the edit created it. */
function oldExpression(text: string, body: HclBody, path: string): HclExpression | undefined {
  try {
    return resolveHclPath(text, body, path).expr;
  } catch (error) {
    if (error instanceof EditError && error.kind === 'path-not-found') return undefined;
    throw error;
  }
}

interface Entry {
  readonly address: string;
  readonly source: string;
  /** Offset of the value; for objects whose items are listed separately, of the `{`. */
  readonly start: number;
}

/** Every block, attribute and object item in document order, each with its value's source text. */
function entries(body: HclBody, prefix = ''): Entry[] {
  const list: Entry[] = [];
  const expression = (address: string, expr: HclExpression) => {
    if (expr.object === undefined) {
      // Tokens rather than the raw slice: comments and line breaks inside a list carry no meaning.
      const source = expr.tokens
        .filter((token) => token.kind !== 'newline')
        .map((token) => token.text)
        .join(' ');
      list.push({ address, source, start: expr.start });
      return;
    }
    list.push({ address, source: '{object}', start: expr.start });
    for (const item of expr.object) expression(`${address}.${item.key}`, item.expr);
  };
  for (const item of body.items) {
    const name = item.kind === 'attribute' ? item.name : blockAddress(item);
    const address = prefix === '' ? name : `${prefix}.${name}`;
    if (item.kind === 'attribute') {
      expression(address, item.expr);
    } else {
      list.push({ address, source: '{block}', start: item.open.start });
      list.push(...entries(item.body, address));
    }
  }
  return list;
}

function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  return /^[ \t]*$/.test(before) ? before : '';
}

/** The indentation step the file uses: the leading blanks of its first indented line. */
function indentUnit(text: string): string {
  return /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
}

function lineEnding(text: string): string {
  const lf = text.indexOf('\n');
  return lf > 0 && text[lf - 1] === '\r' ? '\r\n' : '\n';
}

/** Adds `line` on its own line after the last attribute of the container, indented like its siblings. */
function insertAttribute(text: string, missing: HclMissing, line: string): string {
  const eol = lineEnding(text);
  const items = missing.body?.items ?? [];
  const { block } = missing;
  const attributes = items.filter((item) => item.kind === 'attribute');
  const last = attributes.at(-1);
  if (block?.oneLine) {
    if (items.length > 0) {
      throw new EditError(
        'path-not-found',
        `cannot add ${missing.rest} to the one-line block ${missing.address}: write it over several lines first`,
      );
    }
    const indent = lineIndent(text, block.typeToken.start);
    const inside = `${eol}${indent}${indentUnit(text)}${line}${eol}${indent}`;
    return text.slice(0, block.open.end) + inside + text.slice(block.close.start);
  }
  if (last !== undefined) {
    const indent = lineIndent(text, last.nameToken.start);
    if (last.newline === undefined)
      return `${text.slice(0, last.expr.end)}${eol}${indent}${line}${text.slice(last.expr.end)}`;
    const at = last.newline.end;
    return `${text.slice(0, at)}${indent}${line}${eol}${text.slice(at)}`;
  }
  if (block !== undefined) {
    const firstBlock = items[0];
    const indent =
      firstBlock !== undefined
        ? lineIndent(
            text,
            firstBlock.kind === 'block' ? firstBlock.typeToken.start : firstBlock.nameToken.start,
          )
        : lineIndent(text, block.typeToken.start) + indentUnit(text);
    const at = text.indexOf('\n', block.open.end) + 1;
    return `${text.slice(0, at)}${indent}${line}${eol}${text.slice(at)}`;
  }
  if (text === '' || text === '\ufeff') return `${text}${line}${eol}`;
  return text.endsWith('\n') ? `${text}${line}${eol}` : `${text}${eol}${line}`;
}
