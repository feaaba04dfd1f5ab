/** The pure texts of updates: promote's comment, the stale reminder, and the commit and PR texts of both kinds of update. */
import { describe, expect, it } from 'vitest';
import { rollbackNoteOf } from '../../src/flows/bump-consumer.js';
import type { BaseAmiCheck } from '../../src/images/base-ami-check.js';
import { baseAmiCommitMessage, baseAmiPullRequestBody } from '../../src/update/base-ami-update-text.js';
import type { FileBump } from '../../src/update/consumer-bump.js';
import {
  consumerCommitMessage,
  consumerPullRequestBody,
  consumerPullRequestTitle,
} from '../../src/update/consumer-bump-text.js';
import { imagesOfBody } from '../../src/update/images-marker.js';
import { promotedComment, triggeredPipelines } from '../../src/update/promoted-comment.js';
import { reminderComment, reminderMessage, reminderRefs } from '../../src/update/stale-reminder-text.js';

const images = {
  win2022: { 'us-east-1': 'ami-0a1b2c3d4e5f60718', 'eu-west-1': 'ami-0f1e2d3c4b5a69788' },
  win2019_core: { 'us-east-1': 'ami-0123456789abcdef0' },
};

describe("promote's comment", () => {
  it('lists the AMIs and consumers, and remembers the pipelines it triggered', () => {
    const triggered = {
      'gh/acme/payments@main': { id: '5f1b2c3d-0000-4000-8000-00000000a001', images: JSON.stringify(images) },
    };
    const text = promotedComment(
      {
        channel: 'canary',
        images: Object.entries(images).map(([image, amis]) => ({ image, amis })),
        consumers: [
          { repository: 'acme/payments', mode: 'trigger', projectSlug: 'gh/acme/payments' },
          { repository: 'acme/edge_*proxy*', mode: 'pull-request' },
        ],
      },
      triggered,
    );
    expect(text).toMatchSnapshot();
    expect(triggeredPipelines(text)).toEqual(triggered);
  });

  it('remembers nothing without a block', () => {
    expect(triggeredPipelines(undefined)).toEqual({});
    expect(triggeredPipelines('### Hephestus: promoted to canary')).toEqual({});
  });
});

describe('stale reminder', () => {
  const pr = {
    number: 42,
    url: 'https://github.com/acme/windows-images/pull/42',
    title: 'Windows image update: win2019_core, win2022',
  };

  it('says how long the update has been open and what it waits for', () => {
    expect(
      reminderMessage('acme/windows-images', pr, {
        ageDays: 9.7,
        blockers: ['not approved', 'checks <pending>'],
      }),
    ).toMatchSnapshot();
  });

  it("keeps each reminder's channel and message in the comment", () => {
    const refs = [
      {
        event: 'ready_to_merge' as const,
        channel: '#windows-images',
        id: 'C024BE91L',
        ts: '1718000000.000100',
      },
      { event: 'ready_to_merge' as const, channel: '#platform', id: 'C0PLATFORM', ts: '1718000001.000200' },
    ];
    const text = reminderComment(refs);
    expect(text).toMatchSnapshot();
    expect(reminderRefs({ body: text })).toEqual(refs);
  });
});

describe('base AMI update (open-update)', () => {
  const checks: BaseAmiCheck[] = [
    {
      image: 'win2022',
      region: 'us-east-1',
      pinned: 'ami-0aaaaaaaaaaaaaaaa',
      latest: 'ami-0bbbbbbbbbbbbbbbb',
      latestName: 'Windows_Server-2022-English-Full-Base-2024.06.12 | *vendor*',
      outcome: 'newer-available',
    },
    {
      image: 'win2019_core',
      region: 'us-east-1',
      pinned: 'ami-0cccccccccccccccc',
      latest: 'ami-0cccccccccccccccc',
      latestName: 'Windows_Server-2019-English-Core-Base-2024.06.12',
      outcome: 'current',
    },
  ];

  it('names each bumped pin in the commit message', () => {
    expect(baseAmiCommitMessage(checks.slice(0, 1))).toMatchSnapshot();
  });

  it('tabulates the pins, escaping the publisher’s names', () => {
    expect(baseAmiPullRequestBody(checks, false)).toMatchSnapshot();
  });

  it('says when the update is a rebuild asked for by hand', () => {
    expect(baseAmiPullRequestBody(checks, true).split('\n')[0]).toMatchInlineSnapshot(
      `"A rebuild of these images was asked for by hand (\`--force\`); every base AMI pin is current."`,
    );
  });
});

describe("consumer's update (bump-consumer)", () => {
  const bumps: FileBump[] = [
    {
      file: 'config.edn',
      path: ':aws/:ami',
      image: 'win2022',
      before: 'ami-0aaaaaaaaaaaaaaaa',
      after: 'ami-0a1b2c3d4e5f60718',
    },
    {
      file: 'chart/values.yaml',
      path: 'worker.config',
      innerPath: 'image.ami',
      image: 'win2019_core',
      before: 'ami-0dddddddddddddddd',
      after: 'ami-0123456789abcdef0',
    },
  ];

  it('names each edit in the commit message', () => {
    expect(consumerCommitMessage(bumps)).toMatchSnapshot();
  });

  it('tabulates the edits and carries the images for announce', () => {
    const body = consumerPullRequestBody(bumps, images);
    expect(body).toMatchSnapshot();
    expect(imagesOfBody(body)).toEqual(images);
  });

  it('words a rollback after revoke with its reason, escaped, and the job link', () => {
    const rollback = rollbackNoteOf({
      rollbackReason: 'KB5034441 <breaks> *RDP*\n[click](https://evil.example)',
      rollbackUrl: 'https://circleci.com/gh/acme/windows-images/42',
    });
    expect(consumerPullRequestTitle(['win2022'], rollback)).toBe('Windows image rollback: win2022');
    const body = consumerPullRequestBody(bumps, images, rollback);
    expect(body.split('\n').slice(0, 2).join('\n')).toMatchInlineSnapshot(`
      "**Rollback.** The images these places named were revoked: KB5034441 &lt;breaks&gt; \\*RDP\\* \\[click\\](https:​//evil.example)
      Hephestus puts back the images their channels hold again (validated earlier). [Revoke job](https://circleci.com/gh/acme/windows-images/42)"
    `);
    expect(imagesOfBody(body)).toEqual(images);
  });

  it('takes rollback parameters as untrusted: hidden characters go, a link that is not http(s) is dropped', () => {
    expect(rollbackNoteOf({ rollbackReason: ' \u0007\n ' })).toBeUndefined();
    expect(rollbackNoteOf({ rollbackReason: 'bad', rollbackUrl: 'javascript:alert(1)' })).toEqual({
      reason: 'bad',
      url: undefined,
    });
    expect([...(rollbackNoteOf({ rollbackReason: 'é'.repeat(300) })?.reason ?? '')]).toHaveLength(256);
  });
});
