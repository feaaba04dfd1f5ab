// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are HCL source, where ${...} is HCL syntax
import { describe, expect, it } from 'vitest';
import { EditError } from '../../../src/edit/format.js';
import { parseHclDocument } from '../../../src/edit/formats/hcl-document.js';
import { tokenizeHcl } from '../../../src/edit/formats/hcl-tokenizer.js';
import { hclToJson } from './support.js';

function kinds(text: string): string[] {
  return tokenizeHcl(text).map((token) => (token.kind === 'punct' ? token.text : token.kind));
}

function syntaxError(text: string): EditError {
  try {
    parseHclDocument(text);
  } catch (error) {
    if (error instanceof EditError) return error;
    throw error;
  }
  throw new Error(`expected a syntax error for ${JSON.stringify(text)}`);
}

describe('tokenizeHcl', () => {
  it('drops all three comment kinds and keeps the line breaks that end attributes', () => {
    const text = '# hash\na = 1 // slashes\n/* block\n spanning */ b = [ /* inline */ 2 ]\r\n';
    expect(kinds(text)).toEqual([
      'newline',
      'ident',
      '=',
      'number',
      'newline',
      'ident',
      '=',
      '[',
      'number',
      ']',
      'newline',
      'eof',
    ]);
    expect(tokenizeHcl(text).at(-2)?.text).toBe('\r\n');
  });

  it('reads a string with nested interpolations, braces and quotes as one token', () => {
    const text = 'a = "x-${ lookup({ k = "}" }, "k", "${var.d}") }-%{ if true }y%{ endif }"\n';
    const strings = tokenizeHcl(text).filter((token) => token.kind === 'string');
    expect(strings).toHaveLength(1);
    expect(strings[0]?.text).toBe(text.slice(4, -1));
    expect(strings[0]?.value).toBeUndefined();
  });

  it('decodes escapes, template escapes and keeps a lone $ or %', () => {
    const [, , token] = tokenizeHcl('a = "C:\\\\win \\"22\\" \\u00e9\\U0001F600\\t$${x} %%{y} $ 100%"');
    expect(token?.value).toBe('C:\\win "22" é😀\t${x} %{y} $ 100%');
  });

  it('normalizes string values to NFC, as HCL does', async () => {
    const text = 'a = "e\u0301"\n';
    const [, , token] = tokenizeHcl(text);
    expect(token?.value).toBe('\u00e9');
    expect(await hclToJson(text)).toEqual({ a: token?.value });
  });

  it('reads heredocs up to the marker line, with interpolations spanning lines', async () => {
    const text =
      'a = <<EOT\nline ${join(",\\n",\n ["EOT"])}\nEOT not yet\n  EOT\nb = <<-EOF\r\n    one\r\n      two\r\n    EOF\r\n';
    const tokens = tokenizeHcl(text).filter((token) => token.kind === 'heredoc');
    expect(tokens.map((token) => token.text)).toEqual([
      '<<EOT\nline ${join(",\\n",\n ["EOT"])}\nEOT not yet\n  EOT',
      '<<-EOF\r\n    one\r\n      two\r\n    EOF',
    ]);
    expect(tokens[0]?.value).toBeUndefined();
    expect(tokens[1]?.value).toBe('one\r\n  two\r\n');
    expect(((await hclToJson(text)) as { b: string }).b).toBe(tokens[1]?.value);
  });

  it.each([
    '    a\n  \n      b\n',
    '\ta\n\t\tb\n',
    '  a\n\n    b\n',
    '    a\n  b\n',
    '      \n    x\n',
    '  x  \n',
  ])('strips <<- indentation as HCL does: %j', async (lines) => {
    const text = `v = <<-EOT\n${lines}    EOT\n`;
    const heredoc = tokenizeHcl(text).find((token) => token.kind === 'heredoc');
    expect(heredoc?.value).toBe(((await hclToJson(text)) as { v: string }).v);
  });

  it('treats identifiers with dashes as one name, as HCL does', () => {
    expect(tokenizeHcl('post-processor "manifest" {}').map((token) => token.text)).toEqual([
      'post-processor',
      '"manifest"',
      '{',
      '}',
      '',
    ]);
  });
});

describe('parseHclDocument', () => {
  it('finds the full extent of expressions that span lines', () => {
    const text = 'a = [\n  1,\n  { b = (2\n  + 3) },\n]\nc = f(\n"x")\n';
    const [a, c] = parseHclDocument(text).items;
    expect(a?.kind === 'attribute' && text.slice(a.expr.start, a.expr.end)).toBe(
      '[\n  1,\n  { b = (2\n  + 3) },\n]',
    );
    expect(c?.kind === 'attribute' && text.slice(c.expr.start, c.expr.end)).toBe('f(\n"x")');
  });

  it('reads block headers with quoted and bare labels, and one-line blocks', () => {
    const body = parseHclDocument('source "amazon-ebs" win {\n  x = 1\n}\nlocals { y = 2 }\nempty {}\n');
    expect(
      body.items.map((item) =>
        item.kind === 'block' ? [item.type, ...item.labels, item.oneLine] : item.name,
      ),
    ).toEqual([
      ['source', 'amazon-ebs', 'win', false],
      ['locals', true],
      ['empty', true],
    ]);
  });

  // Each case must also be rejected by HashiCorp's parser, so none of them is an invention of ours.
  const invalid: [string, string, number, number, RegExp][] = [
    ['unclosed block', 'build {\n  name = "x"\n', 1, 7, /unclosed block/],
    ['unclosed list', 'a = [\n  "x",\n', 1, 5, /unclosed \[/],
    ['mismatched bracket', 'a = [1, 2)\n', 1, 10, /unexpected \)/],
    ['stray closing brace', 'a = 1\n}\n', 2, 1, /unexpected }/],
    ['unterminated string', 'a = "ami-123\n', 1, 5, /unterminated string/],
    ['unterminated heredoc', 'a = <<EOF\ntext\nEO\n', 1, 5, /unterminated heredoc/],
    ['heredoc marker not alone', 'a = <<EOF text\nEOF\n', 1, 10, /followed by a newline/],
    ['invalid escape', 'a = "C:\\images"\n', 1, 8, /invalid escape/],
    ['unterminated interpolation', 'a = "${var.x"\n', 1, 13, /unterminated string/],
    ['two attributes on a line', 'a = 1 b = 2\n', 1, 7, /expected a line break/],
    ['two object items on a line', 'a = { b = 1 c = 2 }\n', 1, 13, /expected a comma/],
    ['object item with two values', 'a = {\n  b = "x" "y"\n}\n', 2, 11, /expected a comma/],
    ['value missing', 'a =\n', 1, 4, /expected an expression/],
    ['attribute without a name', '= 1\n', 1, 1, /expected an attribute or block/],
    ['block without a brace', 'variable "x"\n', 1, 13, /expected = or {/],
    ['unterminated comment', 'a = 1 /* note\n', 1, 7, /unterminated \/\*/],
    ['attribute defined twice', 'a = 1\n  a = 2\n', 2, 3, /defined twice/],
    ['label with interpolation', 'variable "${x}" {\n}\n', 1, 10, /block label/],
    ['stray character', 'a = 1\n@b = 2\n', 2, 1, /unexpected character "@"/],
    ['line break inside a string after CRLF lines', 'a = 1\r\nb = "x\r\n"\r\n', 2, 5, /unterminated string/],
  ];

  it.each(invalid)('reports %s at its line and column', async (_name, text, line, column, message) => {
    const error = syntaxError(text);
    expect(error.kind).toBe('syntax');
    expect(error.message).toMatch(message);
    expect(error.location).toEqual({ line, column });
    await expect(hclToJson(text)).rejects.toThrow();
  });
});
