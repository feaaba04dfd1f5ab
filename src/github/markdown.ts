/**
 * Untrusted text (image names from a branch's configuration, base AMI names, Packer's error text, titles) as
 * GitHub Markdown that renders as the same characters and nothing more: no link, image, HTML, heading, table
 * break, @mention or autolink. Pure.
 *
 * GitHub's Markdown (GFM) lets a backslash escape any ASCII punctuation; escaping `[ ] \` * ~ | $`, `\\` and `_` outside words
 * is enough inside a line (no link, image, code, emphasis, strikethrough, math or table cell can start, and
 * `(`, `!` or `.` mean nothing without them); `<`, `>` and `&` become entities so no HTML (or HTML comment, where hidden state lives) can start.
 * @mentions and bare-URL autolinks are not Markdown syntax and ignore backslashes, so a zero-width space breaks
 * them up: `@\u200bname`, `https:\u200b//`, `www\u200b.`.
 */

const ZWSP = '\u200b';

/** `text` as inline Markdown on one line: every character literal. */
export function escapeMarkdown(text: string): string {
  return (
    oneLine(text)
      .replace(/[\\`*[\]|~$]/g, (c) => `\\${c}`)
      // GFM never emphasises with `_` inside a word (`Windows_Server`): only an outer `_` is escaped.
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/@/g, `@${ZWSP}`)
      .replace(/:\/\//g, `:${ZWSP}//`)
      .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`)
  );
}

/**
 * `text` as an inline code span on one line: nothing inside is interpreted, not even mentions. The fence is
 * one backtick longer than the longest run inside, with spaces so a leading or trailing backtick stays inside.
 */
export function codeSpan(text: string): string {
  const line = oneLine(text);
  const longest = Math.max(0, ...[...line.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = line.startsWith('`') || line.endsWith('`') || line === '' ? ' ' : '';
  // `|` ends a table cell even inside a code span (GFM), so it is escaped there too.
  return `${fence}${pad}${line.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** Line breaks (which would end a table row or a list item) as spaces; control characters dropped. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
  return text.replace(/\r\n?|\n/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}
