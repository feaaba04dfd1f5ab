import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderBlocks, validateBlocks } from '../../src/sandbox/slack/slack-blocks.js';
import { LIMITS, limitBlocks, section } from '../../src/slack/block-kit.js';
import {
  failedMessage,
  type ImageAmis,
  type PullRequestInfo,
  readyToMergeMessage,
  rolledOutMessage,
  type SlackMessage,
  updateOpenedMessage,
  type ValidationSummary,
} from '../../src/slack/slack-messages.js';

const pr: PullRequestInfo = {
  repository: 'acme/windows-images',
  number: 42,
  url: 'https://github.com/acme/windows-images/pull/42',
  title: 'Update Windows images: win2022, win2019',
};

const images: ImageAmis[] = [
  {
    image: 'win2022',
    amis: { 'us-east-1': 'ami-0a1b2c3d4e5f60718', 'eu-west-1': 'ami-0f1e2d3c4b5a69788' },
    previous: { 'us-east-1': 'ami-0123456789abcdef0', 'eu-west-1': 'ami-0fedcba9876543210' },
  },
  { image: 'win2019', amis: { 'us-east-1': 'ami-0aaaabbbbccccdddd' } },
];

const validation: ValidationSummary[] = [
  { image: 'win2022', status: 'passed', tests: { total: 12, failed: 0 } },
  {
    image: 'win2019',
    status: 'failed',
    tests: { total: 12, failed: 2 },
    detail: 'Test-IIS <timeout> & Test-Dotnet',
  },
];

const packerLog = [
  '==> amazon-ebs.win2022: Provisioning with powershell script: scripts/install-iis.ps1',
  '    amazon-ebs.win2022: Installing Web-Server...',
  '    amazon-ebs.win2022: Success Restart Needed Exit Code      Feature Result',
  '==> amazon-ebs.win2022: Script exited with non-zero exit status: 1. Allowed exit codes are: [0]',
  '==> amazon-ebs.win2022: Terminating the source AWS instance...',
  "Build 'amazon-ebs.win2022' errored after 14 minutes 3 seconds: Script exited with non-zero exit status: 1",
].join('\n');

/** Slack's own checks (as the sandbox implements them) and the limits this module promises. */
function expectAcceptedBySlack(message: SlackMessage): void {
  expect(validateBlocks(message.blocks)).toEqual([]);
  expect(message.blocks.length).toBeLessThanOrEqual(LIMITS.blocksPerMessage);
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
}

describe('Slack messages', () => {
  it('builds the update-opened notice: images, AMIs per region, validation, PR link', () => {
    const message = updateOpenedMessage({ pr, images, validation });
    expectAcceptedBySlack(message);
    expect(message).toMatchSnapshot();
    const rendered = renderBlocks(message.blocks);
    expect(rendered).toContain('eu-west-1: `ami-0f1e2d3c4b5a69788` (was `ami-0fedcba9876543210`)');
    expect(rendered).toContain('[View pull request](https://github.com/acme/windows-images/pull/42)');
    // Slack reads <, > and & as markup: a test name holding them must arrive escaped.
    expect(rendered).toContain('Test-IIS &lt;timeout&gt; &amp; Test-Dotnet');
  });

  it("says a consumer's update is validated already and rolls out on merge, not that it is built next", () => {
    const rendered = renderBlocks(updateOpenedMessage({ pr, images, validation, kind: 'consumer' }).blocks);
    expect(rendered).toContain('validated by the images pipeline; merging this pull request rolls them out');
    expect(rendered).not.toContain('built and validated on this branch next');
  });

  it('builds the ready-to-merge notice', () => {
    const passed = validation.map(
      (v): ValidationSummary => ({ image: v.image, status: 'passed', tests: { total: 12, failed: 0 } }),
    );
    const message = readyToMergeMessage({ pr, images, validation: passed });
    expectAcceptedBySlack(message);
    expect(message).toMatchSnapshot();
  });

  it('builds the rolled-out notice with the image channel and the consumers told', () => {
    const message = rolledOutMessage({
      pr,
      images,
      channel: 'stable',
      consumers: [
        { repository: 'acme/fleet', url: 'https://app.circleci.com/pipelines/gh/acme/fleet/77' },
        { repository: 'acme/build-agents' },
      ],
    });
    expectAcceptedBySlack(message);
    expect(message).toMatchSnapshot();
  });

  it('builds the failure notice: the step, a link to the job, and the end of the log in a code block', () => {
    const message = failedMessage({
      step: 'packer build',
      image: 'win2022',
      jobUrl: 'https://app.circleci.com/pipelines/gh/acme/windows-images/310/workflows/abc/jobs/1234',
      log: packerLog,
      pr,
      logLines: 4,
    });
    expectAcceptedBySlack(message);
    expect(message).toMatchSnapshot();
    const rendered = renderBlocks(message.blocks);
    expect(rendered).toContain('_(last lines of the log)_');
    expect(rendered).not.toContain('install-iis.ps1');
    expect(rendered).toContain('errored after 14 minutes 3 seconds');
  });

  it('keeps the code block closed when the log itself holds ``` fences', () => {
    const message = failedMessage({ step: 'validate', log: 'before\n```\ninside\n```\nafter' });
    const text = (message.blocks[2] as { text: { text: string } }).text.text;
    expect(text.startsWith('```\n')).toBe(true);
    expect(text.endsWith('\n```')).toBe(true);
    expect(text.slice(4, -4)).not.toContain('```');
  });

  it('says so when the log is empty', () => {
    const message = failedMessage({ step: 'validate', log: '' });
    expectAcceptedBySlack(message);
    expect(renderBlocks(message.blocks)).toContain('the log is empty');
  });

  it('cuts a huge log from the start, keeping its last line whole, under the section limit', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i}: ${'x'.repeat(60)}`);
    const message = failedMessage({ step: 'packer build', log: lines.join('\n'), logLines: 400 });
    expectAcceptedBySlack(message);
    const text = (message.blocks[2] as { text: { text: string } }).text.text;
    expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(text).toContain(lines[399]);
    expect(text).not.toContain('line 0:');
    expect(text).toMatch(/^_\(last lines of the log\)_\n```\nline \d+: x+\n/);
  });

  it('truncates a header to 150 characters and a section to 3000 with a note, instead of being rejected', () => {
    const many: ImageAmis[] = [
      {
        image: 'a'.repeat(200),
        amis: Object.fromEntries(
          Array.from({ length: 120 }, (_, i) => [`us-east-${i}`, 'ami-0123456789abcdef0']),
        ),
      },
    ];
    const message = updateOpenedMessage({ pr, images: many, validation: [] });
    expectAcceptedBySlack(message);
    const head = message.blocks[0] as { text: { text: string } };
    expect(head.text.text).toHaveLength(150);
    expect(head.text.text.endsWith('…')).toBe(true);
    expect(renderBlocks(message.blocks)).toMatch(/… _\(\d+ more characters not shown\)_/);
  });

  it('lists at most 40 images, so the validation results and the PR link after them still fit', () => {
    const lots: ImageAmis[] = Array.from({ length: 80 }, (_, i) => ({
      image: `img${i}`,
      amis: { 'us-east-1': 'ami-0123456789abcdef0' },
    }));
    const message = updateOpenedMessage({ pr, images: lots, validation });
    expectAcceptedBySlack(message);
    const rendered = renderBlocks(message.blocks);
    expect(rendered).toContain('*img38*');
    expect(rendered).not.toContain('*img39*');
    expect(rendered).toContain('_41 more images not listed._');
    expect(rendered).toContain('*Validation*');
    expect(renderBlocks(message.blocks.slice(-1))).toBe(
      '> acme/windows-images · #42 (https://github.com/acme/windows-images/pull/42)',
    );
  });

  it('keeps at most 50 blocks and says how many were left out', () => {
    const blocks = Array.from({ length: 60 }, (_, i) => section(`block ${i}`));
    const limited = limitBlocks(blocks);
    expect(validateBlocks(limited)).toEqual([]);
    expect(limited).toHaveLength(50);
    expect(renderBlocks(limited.slice(-2))).toBe('block 48\n> _11 more blocks not shown: Slack allows 50._');
    expect(limitBlocks(blocks.slice(0, 50))).toEqual(blocks.slice(0, 50));
  });

  it('never builds a message Slack would reject, whatever the input', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 400 });
    const image = fc.record({
      image: text,
      amis: fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ maxLength: 30 }), {
        maxKeys: 30,
      }),
    });
    const prArb = fc.record({
      repository: text,
      number: fc.nat(),
      url: fc.webUrl(),
      title: fc.string({ unit: 'grapheme', maxLength: 5000 }),
    });
    const summary = fc.record({
      image: text,
      status: fc.constantFrom('passed' as const, 'failed' as const, 'skipped' as const),
      detail: fc.option(fc.string({ maxLength: 5000 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        prArb,
        fc.array(image, { maxLength: 70 }),
        fc.array(summary, { maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 20_000 }),
        (p, imgs, results, log) => {
          for (const message of [
            updateOpenedMessage({ pr: p, images: imgs, validation: results }),
            readyToMergeMessage({ pr: p, images: imgs, validation: results }),
            rolledOutMessage({ pr: p, images: imgs, channel: p.title }),
            failedMessage({ step: p.title, image: p.repository, log, jobUrl: p.url, pr: p }),
          ]) {
            expectAcceptedBySlack(message);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
