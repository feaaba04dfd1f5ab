import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockLimits,
  plainMrkdwn,
  renderBlocks,
  validateBlocks,
} from '../../../src/sandbox/slack/slack-blocks.js';

const text = (type: string, length: number) => ({ type, text: 'x'.repeat(length) });

/** Lengths from 0 to `max`, with the values around `bound` drawn often: that is where off-by-one errors live. */
const around = (bound: number, max: number) =>
  fc.oneof(fc.constantFrom(0, 1, bound - 1, bound, bound + 1), fc.integer({ min: 0, max }));

describe('validateBlocks', () => {
  it('accepts a message iff it has at most 50 blocks', () => {
    fc.assert(
      fc.property(around(blockLimits.blocksPerMessage, 120), (count) => {
        const errors = validateBlocks(Array.from({ length: count }, () => ({ type: 'divider' })));
        expect(errors.length === 0).toBe(count <= blockLimits.blocksPerMessage);
      }),
    );
  });

  it('accepts section text iff it is 1 to 3000 characters, in either text type', () => {
    fc.assert(
      fc.property(
        around(blockLimits.sectionText, 6000),
        fc.constantFrom('mrkdwn', 'plain_text'),
        (length, type) => {
          const errors = validateBlocks([{ type: 'section', text: text(type, length) }]);
          expect(errors.length === 0).toBe(length >= 1 && length <= blockLimits.sectionText);
        },
      ),
    );
  });

  it('accepts a header iff its plain_text is 1 to 150 characters', () => {
    fc.assert(
      fc.property(around(blockLimits.headerText, 400), (length) => {
        const errors = validateBlocks([{ type: 'header', text: text('plain_text', length) }]);
        expect(errors.length === 0).toBe(length >= 1 && length <= blockLimits.headerText);
      }),
    );
  });

  it("names the offending block with Slack's json-pointer", () => {
    const blocks = [
      { type: 'divider' },
      { type: 'divider' },
      { type: 'header', text: text('plain_text', 151) },
    ];
    expect(validateBlocks(blocks)).toEqual([
      'failed to match all allowed schemas [json-pointer:/blocks/2/text]',
      'must be less than 151 characters [json-pointer:/blocks/2/text/text]',
    ]);
  });

  it('checks section fields, context and actions element counts', () => {
    const fields = (n: number) => ({
      type: 'section',
      fields: Array.from({ length: n }, () => text('mrkdwn', 5)),
    });
    const context = (n: number) => ({
      type: 'context',
      elements: Array.from({ length: n }, () => text('mrkdwn', 5)),
    });
    const button = { type: 'button', text: text('plain_text', 5), url: 'https://example.com' };
    const actions = (n: number) => ({ type: 'actions', elements: Array.from({ length: n }, () => button) });

    expect(validateBlocks([fields(10), context(10), actions(25)])).toEqual([]);
    expect(validateBlocks([fields(11), context(11), actions(26)])).toEqual([
      'no more than 10 items allowed [json-pointer:/blocks/0/fields]',
      'no more than 10 items allowed [json-pointer:/blocks/1/elements]',
      'no more than 25 items allowed [json-pointer:/blocks/2/elements]',
    ]);
  });

  it('rejects blocks without a known type and sections without text or fields', () => {
    expect(validateBlocks([{}, { type: 'fancy' }, { type: 'section' }])).toEqual([
      'missing required field: type [json-pointer:/blocks/0]',
      'unsupported type: fancy [json-pointer:/blocks/1/type]',
      'must provide either text or fields [json-pointer:/blocks/2]',
    ]);
  });
});

describe('renderBlocks', () => {
  it('falls back to the text, with mrkdwn links made readable', () => {
    expect(renderBlocks(undefined, 'job <https://ci.example/1|failed>, see <https://ci.example/1>')).toBe(
      'job failed (https://ci.example/1), see https://ci.example/1',
    );
  });

  it('prints rich text leaves in order', () => {
    const richText = {
      type: 'rich_text',
      elements: [
        {
          type: 'rich_text_section',
          elements: [
            { type: 'text', text: 'Build ' },
            { type: 'link', url: 'https://ci.example/7' },
          ],
        },
      ],
    };
    expect(renderBlocks([richText])).toBe('Build https://ci.example/7');
  });

  it('keeps any text without mrkdwn links unchanged', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('<')),
        (s) => {
          expect(plainMrkdwn(s)).toBe(s);
        },
      ),
    );
  });
});
