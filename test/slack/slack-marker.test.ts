import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemoryMessageMemory, MarkerMessageMemory } from '../../src/slack/message-memory.js';
import {
  decodeSlackMarkers,
  encodeSlackMarker,
  type SlackMessageRef,
  withSlackMarker,
} from '../../src/slack/slack-marker.js';

const prBody = `## Windows image update

| image   | region    | AMI                   |
| ------- | --------- | --------------------- |
| win2022 | us-east-1 | ami-0a1b2c3d4e5f60718 |

<!-- hephestus:state {"base":"ami-0123456789abcdef0"} -->
`;

const opened: SlackMessageRef = {
  event: 'update_opened',
  channel: '#execution-teams',
  id: 'C0SBX00001',
  ts: '1700000000.000100',
};

describe('Slack markers in a pull request body', () => {
  it('encodes a message as one hidden HTML comment', () => {
    expect(encodeSlackMarker(opened)).toBe(
      '<!-- hephestus:slack {"event":"update_opened","channel":"#execution-teams","id":"C0SBX00001","ts":"1700000000.000100"} -->',
    );
  });

  it('appends a marker after the body, leaving the body and other comments as they were', () => {
    const body = withSlackMarker(prBody, opened);
    expect(body.startsWith(prBody.trimEnd())).toBe(true);
    expect(body).toContain('<!-- hephestus:state {"base":"ami-0123456789abcdef0"} -->');
    expect(decodeSlackMarkers(body)).toEqual([opened]);
  });

  it('replaces the marker of the same event and channel in place, and keeps the others', () => {
    const rollout: SlackMessageRef = {
      event: 'rollout',
      channel: '#investigation',
      id: 'C0SBX00003',
      ts: '1700000001.000200',
    };
    const twice = withSlackMarker(withSlackMarker(prBody, opened), rollout);
    const again = withSlackMarker(twice, { ...opened, ts: '1700000099.000001' });
    expect(decodeSlackMarkers(again)).toEqual([{ ...opened, ts: '1700000099.000001' }, rollout]);
    expect(again.length).toBe(twice.length);
  });

  it('skips markers someone edited into something else', () => {
    const body = `${prBody}\n<!-- hephestus:slack {"event":"update_opened","channel":"#x"} -->\n<!-- hephestus:slack {not json} -->\n${encodeSlackMarker(opened)}`;
    expect(decodeSlackMarkers(body)).toEqual([opened]);
  });

  it('keeps a channel name holding --> from ending the comment early', () => {
    const odd: SlackMessageRef = { ...opened, channel: 'weird-->name' };
    const marker = encodeSlackMarker(odd);
    expect(marker.indexOf('-->')).toBe(marker.length - 3);
    expect(decodeSlackMarkers(`text ${marker} more`)).toEqual([odd]);
  });

  it('round-trips any set of messages through a body', () => {
    const ref = fc.record({
      event: fc.constantFrom(
        'update_opened' as const,
        'ready_to_merge' as const,
        'rollout' as const,
        'failed' as const,
      ),
      channel: fc.string({ minLength: 1, maxLength: 40 }),
      id: fc.stringMatching(/^C[A-Z0-9]{8,10}$/),
      ts: fc
        .tuple(fc.integer({ min: 1e9, max: 2e9 }), fc.integer({ min: 0, max: 999_999 }))
        .map(([s, us]) => `${s}.${String(us).padStart(6, '0')}`),
    });
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.array(ref, { maxLength: 8 }), (body, refs) => {
        fc.pre(!body.includes('hephestus:slack'));
        const written = refs.reduce(withSlackMarker, body);
        const expected = new Map(refs.map((r) => [`${r.event}/${r.channel}`, r]));
        expect(decodeSlackMarkers(written)).toEqual([...expected.values()]);
      }),
    );
  });
});

describe('message memories', () => {
  it('remembers per event and channel in memory', async () => {
    const memory = new InMemoryMessageMemory();
    await memory.set(opened);
    expect(await memory.get('update_opened', '#execution-teams')).toEqual(opened);
    expect(await memory.get('update_opened', '#investigation')).toBeUndefined();
    expect(await memory.get('rollout', '#execution-teams')).toBeUndefined();
  });

  it('keeps its markers in a text stored elsewhere, re-reading it before each write', async () => {
    let stored = prBody;
    let writes = 0;
    const memory = new MarkerMessageMemory(
      async () => stored,
      async (text) => {
        stored = text;
        writes++;
      },
    );
    await memory.set(opened);
    // Another step edits the body meanwhile; its change must survive the next write.
    stored = stored.replace('## Windows image update', '## Windows image update (edited)');
    await memory.set({ ...opened, event: 'failed' });
    await memory.set({ ...opened, event: 'failed' });
    expect(writes).toBe(2);
    expect(stored).toContain('(edited)');
    expect(await memory.get('failed', '#execution-teams')).toEqual({ ...opened, event: 'failed' });
    expect(await memory.get('update_opened', '#execution-teams')).toEqual(opened);
  });
});
