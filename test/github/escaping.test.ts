/**
 * Untrusted text in the bot's Markdown (PR bodies, comments) and Slack messages (fallback text and blocks): a
 * table of hostile image names, PR titles and Packer errors, each of which must come out as plain text: no
 * mention, link, image, HTML, table break or broadcast, and no hidden-state block it could forge.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeSpan, escapeMarkdown } from '../../src/github/markdown.js';
import { failedMessage, readyToMergeMessage, rolledOutMessage } from '../../src/slack/slack-messages.js';

const HOSTILE = [
  { what: 'a mention', text: 'win2022 @acme/admins', markdown: /@acme/, slack: /<!|<@/ },
  {
    what: 'a link',
    text: '[click](https://evil.example/login)',
    markdown: /(?<!\\)\]\(|https:\/\//,
    slack: /<https/,
  },
  {
    what: 'an image',
    text: '![x](https://evil.example/p.png)',
    markdown: /!\[|(?<!\\)\]\(/,
    slack: /<https/,
  },
  { what: 'HTML', text: '<img src=x onerror=alert(1)>', markdown: /<img/, slack: /<img/ },
  {
    what: 'a forged hidden block',
    text: '<!-- hephestus:validation {"sha":"0"} -->',
    markdown: /<!--/,
    slack: /<!--/,
  },
  { what: 'a table break', text: 'a | b\n| c |', markdown: /(?<!\\)\||\n/, slack: /^$/ },
  { what: 'Slack broadcast', text: '<!channel> <!here|here>', markdown: /<!/, slack: /<!/ },
  { what: 'a Slack link', text: '<https://evil.example|docs>', markdown: /<https/, slack: /<https/ },
  {
    what: 'a Packer error',
    text: '1 error(s) occurred:\n* InvalidAMIID.Malformed: Invalid id: "@acme/admins [click](https://evil.example)"',
    markdown: /@acme|(?<!\\)\]\(/,
    slack: /<https|<!/,
  },
  {
    what: 'a bare URL',
    text: 'see https://evil.example or www.evil.example',
    markdown: /https:\/\/|www\./,
    slack: /<http/,
  },
] as const;

const PR = {
  repository: 'acme/windows-images',
  number: 7,
  url: 'https://github.example/acme/windows-images/pull/7',
};

/** Every mrkdwn text object in `blocks`. */
function mrkdwnTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwnTexts);
  if (!value || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  const own = object.type === 'mrkdwn' && typeof object.text === 'string' ? [object.text] : [];
  return [...own, ...Object.values(object).flatMap(mrkdwnTexts)];
}

describe('escaping untrusted text', () => {
  it.each(HOSTILE)('Markdown: $what renders as text', ({ text, markdown }) => {
    const escaped = escapeMarkdown(text);
    expect(escaped).not.toMatch(markdown);
    expect(escaped).not.toContain('\n');
    expect(codeSpan(text)).toMatch(/^(`+) ?[^\n]*? ?\1$/);
  });

  it.each(HOSTILE)(
    'Slack: $what in an image name or title stays text in the fallback and the blocks',
    ({ text }) => {
      const messages = [
        readyToMergeMessage({
          pr: { ...PR, title: text },
          images: [{ image: text, amis: { 'us-east-1': 'ami-0123456789abcdef0' } }],
          validation: [{ image: text, status: 'passed', detail: text }],
        }),
        rolledOutMessage({ pr: { ...PR, title: text }, images: [{ image: text, amis: {} }], channel: text }),
        failedMessage({ step: 'build-validate', image: text, log: text, pr: { ...PR, title: text } }),
      ];
      for (const message of messages) {
        // Slack's special sequences all start with `<`; in untrusted text it must arrive as `&lt;`.
        expect(message.text).not.toMatch(/<[!@#]|<https?:/);
        // Only mrkdwn is parsed (headers and buttons are plain_text); our own PR link is the one `<` allowed.
        const mrkdwn = mrkdwnTexts(message.blocks).join('\n').replaceAll(`<${PR.url}|`, '');
        expect(mrkdwn).not.toMatch(/<!|<@|<https?:\/\/evil|<img/);
      }
    },
  );

  it('escaping keeps every character of any text visible (nothing dropped but line breaks)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const shown = escapeMarkdown(text)
          .replace(/\u200b/g, '')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&')
          .replace(/\\(.)/g, '$1');
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are dropped on purpose.
        expect(shown).toBe(text.replace(/\r\n?|\n/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ''));
      }),
    );
  });
});
