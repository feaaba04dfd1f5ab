/**
 * Block Kit building blocks that always fit Slack's documented limits (docs.slack.dev/reference/block-kit):
 * text that would be rejected is cut, with a note saying so, because a shortened notice beats none.
 *
 * Pure: no I/O. The block types come from `@slack/web-api` (which re-exports `@slack/types`).
 */
import type { ContextBlock, DividerBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/web-api';

/** The limits Slack enforces on `chat.postMessage` and `chat.update`. */
export const LIMITS = {
  blocksPerMessage: 50,
  headerText: 150,
  sectionText: 3000,
  contextText: 3000,
  buttonText: 75,
  url: 3000,
  /** Slack's limit for the top-level `text` is 40,000; the fallback only shows in notifications, so keep it short. */
  fallbackText: 3000,
} as const;

/** Escapes the three characters Slack's mrkdwn gives meaning to (docs.slack.dev "Formatting text for app surfaces"). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A mrkdwn link; the label is escaped, and `|` in it would end the URL part, so it is replaced. In the URL,
 * `&` is escaped as Slack asks and `<`, `>`, `|` (which would end the link or start another) percent-encoded.
 */
export function link(url: string, label: string): string {
  const href = url.replace(/&/g, '&amp;').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/\|/g, '%7C');
  return `<${href}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`;
}

/**
 * The fallback `text` of a message: Slack parses it as mrkdwn too (`<!channel>` pings everyone, `<url|label>`
 * links anywhere), so every character that could start such a sequence is escaped.
 */
export function fallbackText(text: string): string {
  return cutStart(escapeMrkdwn(text), LIMITS.fallbackText);
}

/**
 * The first `max` characters of `text`: never half a surrogate pair, never half an `&amp;` entity.
 * Slack counts characters; UTF-16 units are an upper bound, so a cut by units is always accepted.
 */
export function cutStart(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return text.slice(0, end).replace(/&[a-z]{0,4}$/, '');
}

/** The last `max` characters of `text`, never half a surrogate pair. */
export function cutEnd(text: string, max: number): string {
  if (text.length <= max) return text;
  let start = text.length - Math.max(0, max);
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start++;
  return text.slice(start);
}

/** `text` cut to `max` characters with a trailing note saying how much was left out. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = (omitted: number) => `… _(${omitted} more characters not shown)_`;
  // The note's own length depends on the count; reserving room for the longest count keeps the result under max.
  const kept = cutStart(text, max - note(text.length).length);
  return `${kept}${note(text.length - kept.length)}`;
}

/** A header block; Slack allows plain text only, at most 150 characters. */
export function header(text: string): HeaderBlock {
  const plain = text.length <= LIMITS.headerText ? text : `${cutStart(text, LIMITS.headerText - 1)}…`;
  return { type: 'header', text: { type: 'plain_text', text: plain, emoji: true } };
}

/** A mrkdwn section, truncated to Slack's 3000 characters; an optional link button beside it. */
export function section(mrkdwn: string, button?: { text: string; url: string }): SectionBlock {
  const block: SectionBlock = {
    type: 'section',
    text: { type: 'mrkdwn', text: truncate(nonEmpty(mrkdwn), LIMITS.sectionText) },
  };
  if (button && button.url.length <= LIMITS.url) {
    block.accessory = {
      type: 'button',
      text: { type: 'plain_text', text: cutStart(button.text, LIMITS.buttonText), emoji: true },
      url: button.url,
    };
  }
  return block;
}

/**
 * A section holding the end of a log in a code block. The end of a log is where the error is, so the start
 * is what gets cut; the log must already be redacted.
 */
export function logSection(log: string, maxLines: number): SectionBlock {
  const lines = log.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  const shown = lines.slice(-maxLines);
  // A ``` inside the log would close the code block early; a zero-width space between the backticks keeps it.
  const body = escapeMrkdwn(shown.join('\n')).replace(/```/g, '`\u200b``');
  const noteFor = (cut: boolean) => (lines.length > shown.length || cut ? `_(last lines of the log)_\n` : '');
  const fence = (text: string, cut: boolean) => `${noteFor(cut)}\`\`\`\n${text}\n\`\`\``;
  let text = fence(body, false);
  if (text.length > LIMITS.sectionText) {
    const room = LIMITS.sectionText - fence('', true).length;
    text = fence(cutEnd(body, room).replace(/^[^\n]*\n/, ''), true);
  }
  return { type: 'section', text: { type: 'mrkdwn', text: body === '' ? '_(the log is empty)_' : text } };
}

/** A context block of one mrkdwn line. */
export function context(mrkdwn: string): ContextBlock {
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: truncate(nonEmpty(mrkdwn), LIMITS.contextText) }],
  };
}

export const divider: DividerBlock = { type: 'divider' };

/** At most 50 blocks: the last kept one says how many were left out. */
export function limitBlocks(blocks: KnownBlock[]): KnownBlock[] {
  if (blocks.length <= LIMITS.blocksPerMessage) return blocks;
  const kept = blocks.slice(0, LIMITS.blocksPerMessage - 1);
  return [
    ...kept,
    context(
      `_${blocks.length - kept.length} more blocks not shown: Slack allows ${LIMITS.blocksPerMessage}._`,
    ),
  ];
}

/** Slack rejects empty text objects. */
function nonEmpty(text: string): string {
  return text.trim() === '' ? '_(none)_' : text;
}
