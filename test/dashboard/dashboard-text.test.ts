import { describe, expect, it } from 'vitest';
import { boxLine, type DashboardAction, tickedActions, untick } from '../../src/dashboard/dashboard-boxes.js';
import { actionComment } from '../../src/dashboard/dashboard-comment.js';
import { type DashboardModel, dashboardText } from '../../src/dashboard/dashboard-text.js';

const DAY = 24 * 60 * 60 * 1000;
const now = Date.parse('2026-12-02T06:00:00Z');

const actions: DashboardAction[] = [
  { kind: 'rebuild', image: 'win2022' },
  { kind: 'promote', image: 'win2022', from: 'canary', to: 'edge' },
  { kind: 'revoke', image: 'win2022', channel: 'canary' },
  { kind: 'revoke', image: 'win2022', channel: 'stable' },
  { kind: 'rebuild', image: 'win2019' },
];

const model: DashboardModel = {
  now,
  maxAgeDays: 45,
  images: [
    {
      image: 'win2022',
      channels: [
        {
          channel: 'canary',
          amis: [
            {
              region: 'us-east-1',
              imageId: 'ami-0f1e2d3c4b5a69788',
              createdAt: now - 3 * DAY,
              baseAmi: {
                imageId: 'ami-08944a3ea2df6a9f9',
                name: 'Windows_Server-2022-English-Full-Base-2026.11.12',
                createdAt: Date.parse('2026-11-12T08:11:00Z'),
              },
              validation: { run: 'wf-4711', url: 'https://app.circleci.com/pipelines/gh/acme/images/88' },
            },
            {
              region: 'us-west-2',
              imageId: 'ami-0e1e2d3c4b5a69788',
              createdAt: now - 3 * DAY,
              baseAmi: { imageId: 'ami-01234567890abcdef' },
              validation: { run: 'wf-4711' },
            },
          ],
        },
        { channel: 'edge', amis: [] },
        {
          channel: 'stable',
          amis: [
            {
              region: 'us-east-1',
              imageId: 'ami-0a0a0a0a0a0a0a0a0',
              createdAt: now - 61 * DAY,
              // A tag value someone set: escaped, and the link dropped.
              validation: { run: '[click](javascript:alert) @team', url: 'javascript:alert(1)' },
            },
          ],
        },
      ],
      revoked: [{ region: 'us-east-1', imageId: 'ami-0bad0bad0bad0bad0', name: 'win2022-<b>bad</b>' }],
    },
    { image: 'win2019', channels: [{ channel: 'canary', amis: [] }], revoked: [] },
  ],
  pullRequests: [
    {
      number: 12,
      url: 'https://github.com/acme/images/pull/12',
      branch: 'windows-update/win2022',
      state: 'checks success, reviews approved, validation validated, mergeable true; merge disabled',
    },
  ],
  actions,
};

describe('the dashboard text', () => {
  it('shows every channel and region, flags old images, escapes tag values and ends with its state block', () => {
    expect(dashboardText(model)).toMatchSnapshot();
  });

  it('says so when no update pull request is open', () => {
    expect(dashboardText({ ...model, pullRequests: [] })).toContain('## Open update pull requests\n\nNone.');
  });

  it('renders the same bytes for the same model', () => {
    expect(dashboardText(model)).toBe(dashboardText(structuredClone(model)));
  });
});

describe('the check boxes', () => {
  const text = dashboardText(model);
  const tick = (body: string, action: DashboardAction) =>
    body.replace(boxLine(action), boxLine(action).replace('- [ ]', '- [x]'));

  it('reads the boxes monitor wrote and a person ticked', () => {
    const body = tick(tick(text, actions[0] as DashboardAction), actions[1] as DashboardAction);
    expect(tickedActions(body, actions)).toEqual({ actions: [actions[0], actions[1]], ignored: [] });
    expect(tickedActions(text, actions)).toEqual({ actions: [], ignored: [] });
  });

  it('ignores boxes monitor did not write, however they are labelled', () => {
    const forged = [
      '- [x] Rebuild **win2022** now (an update PR with the current base AMI)',
      '- [x] Promote stable <!-- hephestus:dashboard-box {"id":"promote/win2022/stable"} -->',
    ].join('\n');
    const body = text.replace('## Actions', `## Actions\n\n${forged}`);
    expect(tickedActions(body, actions)).toEqual({ actions: [], ignored: ['promote/win2022/stable'] });
  });

  it('ignores a box monitor offers now but did not write in this issue', () => {
    const promoteStable: DashboardAction = { kind: 'promote', image: 'win2019', from: 'canary', to: 'edge' };
    const body = text.replace('## Actions', `## Actions\n\n${boxLine(promoteStable).replace('[ ]', '[x]')}`);
    expect(tickedActions(body, [...actions, promoteStable]).ignored).toEqual(['promote/win2019/canary']);
  });

  it('unticks only the boxes acted on', () => {
    const body = tick(tick(text, actions[0] as DashboardAction), actions[2] as DashboardAction);
    const after = untick(body, ['rebuild/win2022']);
    expect(tickedActions(after, actions).actions).toEqual([actions[2]]);
    expect(untick(after, ['revoke/win2022/canary'])).toBe(text);
  });

  it('answers with one line per box', () => {
    expect(
      actionComment(
        [
          { action: actions[0] as DashboardAction, outcome: 'done', message: 'open-update updated #12' },
          {
            action: actions[1] as DashboardAction,
            outcome: 'refused',
            message: 'refusing to announce: ami-0f1e2d3c4b5a69788 (win2022, us-east-1) is tagged failed',
          },
        ],
        'https://app.circleci.com/pipelines/gh/acme/images/90',
      ),
    ).toMatchInlineSnapshot(`
      "Hephestus acted on the ticked boxes ([monitor run](https://app.circleci.com/pipelines/gh/acme/images/90)):

      - Rebuild **win2022** now (an update PR with the current base AMI): **done**: open-update updated #12
      - Promote **win2022** from canary to edge: **refused**: refusing to announce: ami-0f1e2d3c4b5a69788 (win2022, us-east-1) is tagged failed
      "
    `);
  });
});
