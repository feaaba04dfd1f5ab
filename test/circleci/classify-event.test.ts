import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClassifyContext,
  classifyEvent,
  type EventInputs,
  eventInputsFromEnv,
  type MergedPullRequest,
  pullRequestNumber,
} from '../../src/circleci/classify-event.js';
import { InputError } from '../../src/errors.js';

const SHA = '3f9c2a7b1e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b';

/** The PRs commits came from, as GitHub's commits/{sha}/pulls would answer; records which shas were asked. */
function lookup(prs: Record<string, MergedPullRequest>) {
  const asked: string[] = [];
  const find = async (sha: string) => {
    asked.push(sha);
    return prs[sha];
  };
  return { asked, find };
}

const context = (find?: ClassifyContext['findMergedPullRequest']): ClassifyContext => ({
  defaultBranch: 'main',
  branchPrefix: 'windows-update/',
  ...(find ? { findMergedPullRequest: find } : {}),
});

interface Case {
  name: string;
  inputs: EventInputs;
  prs?: Record<string, MergedPullRequest>;
  kind: string;
  looksUp: boolean;
}

const cases: Case[] = [
  {
    name: 'the monthly update schedule',
    inputs: {
      triggerSource: 'scheduled_pipeline',
      scheduleName: 'windows-update',
      gitBranch: 'main',
      sha: SHA,
    },
    kind: 'scheduled',
    looksUp: false,
  },
  {
    name: 'the update schedule as a schedule trigger of a GitHub-App pipeline',
    inputs: { triggerType: 'schedule', scheduleName: 'windows-update', circleBranch: 'main' },
    kind: 'scheduled',
    looksUp: false,
  },
  {
    name: 'the reminders-only schedule',
    inputs: {
      triggerSource: 'scheduled_pipeline',
      scheduleName: 'windows-update-monitor',
      gitBranch: 'main',
    },
    kind: 'monitor',
    looksUp: false,
  },
  {
    name: "another team's schedule on the same project",
    inputs: { triggerSource: 'scheduled_pipeline', scheduleName: 'nightly-ami-check', gitBranch: 'main' },
    kind: 'other',
    looksUp: false,
  },
  {
    name: 'an API trigger whose declared parameters all have their defaults (a setup pipeline)',
    inputs: {
      triggerSource: 'api',
      gitBranch: 'main',
      parameters: { run_update: false, images: '', force: false },
      sha: SHA,
    },
    kind: 'other',
    looksUp: false,
  },
  {
    name: 'an API trigger with run_update and force set (a manual run through the setup pipeline)',
    inputs: {
      triggerSource: 'api',
      gitBranch: 'main',
      parameters: { run_update: true, images: 'win2022', force: true },
      sha: SHA,
    },
    kind: 'manual',
    looksUp: false,
  },
  {
    name: 'an API trigger with parameters',
    inputs: {
      triggerSource: 'api',
      gitBranch: 'main',
      parameters: { image: 'win2022', force: true, note: '' },
      sha: SHA,
    },
    kind: 'manual',
    looksUp: false,
  },
  {
    name: 'an API trigger without parameters on the default branch',
    inputs: { triggerSource: 'api', gitBranch: 'main', parameters: { image: '' }, sha: SHA },
    kind: 'other',
    looksUp: false,
  },
  {
    name: 'a push to an update branch with an open PR',
    inputs: {
      triggerSource: 'webhook',
      gitBranch: 'windows-update/win2022',
      pullRequestUrl: 'https://github.com/acme/windows-images/pull/42',
      sha: SHA,
    },
    kind: 'update-branch-push',
    looksUp: false,
  },
  {
    name: 'a push to an update branch, seen through CIRCLE_BRANCH only',
    inputs: { circleBranch: 'windows-update/all', sha: SHA },
    kind: 'update-branch-push',
    looksUp: false,
  },
  {
    name: 'a merge of an update PR into the default branch',
    inputs: { triggerSource: 'webhook', gitBranch: 'main', circleBranch: 'main', sha: SHA },
    prs: { [SHA]: { number: 42, headRef: 'windows-update/win2022' } },
    kind: 'update-merged',
    looksUp: true,
  },
  {
    name: 'a GitHub-App push of an update merge',
    inputs: { triggerType: 'github_app', gitBranch: 'main', sha: SHA },
    prs: { [SHA]: { number: 43, headRef: 'windows-update/win2019' } },
    kind: 'update-merged',
    looksUp: true,
  },
  {
    name: 'a merge of an on-demand PR into the default branch',
    inputs: { triggerSource: 'webhook', gitBranch: 'main', sha: SHA },
    prs: { [SHA]: { number: 9, headRef: 'feature/iis' } },
    kind: 'update-merged',
    looksUp: true,
  },
  {
    name: "a merge of the lock file's own PR",
    inputs: { triggerSource: 'webhook', gitBranch: 'main', sha: SHA },
    prs: { [SHA]: { number: 10, headRef: 'windows-update/lock' } },
    kind: 'other',
    looksUp: true,
  },
  {
    name: 'a direct push to the default branch',
    inputs: { triggerSource: 'webhook', gitBranch: 'main', sha: SHA },
    kind: 'other',
    looksUp: true,
  },
  {
    name: "a push to a person's branch (an on-demand change to build)",
    inputs: { triggerSource: 'webhook', gitBranch: 'feature/x', sha: SHA },
    kind: 'update-branch-push',
    looksUp: false,
  },
  {
    name: 'the bare prefix as a branch name',
    inputs: { triggerSource: 'webhook', gitBranch: 'windows-update/', sha: SHA },
    kind: 'update-branch-push',
    looksUp: false,
  },
  {
    name: 'a tag (no branch)',
    inputs: { triggerSource: 'webhook', gitBranch: '', circleBranch: '', sha: SHA },
    kind: 'other',
    looksUp: false,
  },
];

describe('classifyEvent', () => {
  it.each(cases)('$name -> $kind', async ({ inputs, prs, kind, looksUp }) => {
    const { asked, find } = lookup(prs ?? {});
    const event = await classifyEvent(inputs, context(find));
    expect(event.kind).toBe(kind);
    expect(asked).toEqual(looksUp ? [SHA] : []);
    expect(event).toMatchSnapshot();
  });

  it('classifies a default-branch push without a lookup as other, and says why', async () => {
    const event = await classifyEvent({ triggerSource: 'webhook', gitBranch: 'main', sha: SHA }, context());
    expect(event).toMatchObject({ kind: 'other', branch: 'main' });
    expect(event.reasons.at(-1)).toBe('no pull request lookup available');
  });

  it('takes a default-branch build without trigger values for a push, and says so', async () => {
    const { find } = lookup({ [SHA]: { number: 5, headRef: 'windows-update/win2022' } });
    const event = await classifyEvent({ circleBranch: 'main', sha: SHA }, context(find));
    expect(event.kind).toBe('update-merged');
    expect(event.reasons).toContain(
      'the default branch; no trigger values were passed, so it is taken for a push',
    );
  });

  it('asks GitHub only for a push to the default branch, and always gives reasons', async () => {
    const branch = fc.oneof(
      fc.constantFrom('main', 'windows-update/win2022', 'feature/x', ''),
      fc.string({ maxLength: 30 }),
    );
    const inputs = fc.record(
      {
        triggerSource: fc.constantFrom('webhook', 'api', 'scheduled_pipeline', ''),
        triggerType: fc.constantFrom('github_app', 'schedule', 'api', 'webhook', ''),
        scheduleName: fc.oneof(
          fc.constantFrom('windows-update', 'windows-update-monitor'),
          fc.string({ maxLength: 10 }),
        ),
        gitBranch: branch,
        circleBranch: branch,
        pullRequestUrl: fc.constantFrom('', 'https://github.com/acme/x/pull/3'),
        sha: fc.constantFrom(SHA, ''),
        parameters: fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }),
          fc.oneof(fc.string({ maxLength: 5 }), fc.boolean()),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(inputs, fc.boolean(), async (given, fromUpdate) => {
        const { asked, find } = lookup({
          [SHA]: { number: 1, headRef: fromUpdate ? 'windows-update/a' : 'feature/a' },
        });
        const event = await classifyEvent(given, context(find));
        const branchUsed = given.gitBranch?.trim() || given.circleBranch?.trim();
        expect(event.reasons.length).toBeGreaterThan(0);
        if (asked.length > 0) expect(branchUsed).toBe('main');
        if (event.kind === 'update-merged') expect(asked).toEqual([SHA]);
        if (given.triggerSource === 'scheduled_pipeline' || given.triggerType === 'schedule') {
          const name = given.scheduleName?.trim();
          expect(event.kind).toBe(
            name === 'windows-update' ? 'scheduled' : name === 'windows-update-monitor' ? 'monitor' : 'other',
          );
        }
        // Offline classification: the same inputs without a lookup differ only where the lookup was asked.
        const offline = await classifyEvent(given, context());
        if (asked.length === 0) expect(offline).toEqual(event);
      }),
      { numRuns: 300 },
    );
  });
});

describe('eventInputsFromEnv', () => {
  it('reads CircleCI variables and the pipeline values the orb passes as parameters', () => {
    const inputs = eventInputsFromEnv({
      CIRCLE_BRANCH: 'windows-update/win2022',
      CIRCLE_PULL_REQUEST: 'https://github.com/acme/windows-images/pull/42',
      CIRCLE_SHA1: SHA,
      PARAM_TRIGGER_SOURCE: 'webhook',
      PARAM_TRIGGER_TYPE: '',
      PARAM_SCHEDULE_NAME: '',
      PARAM_GIT_BRANCH: 'windows-update/win2022',
      PARAM_PIPELINE_PARAMETERS: '{"image":"win2022","force":false,"nested":{"no":1}}',
    });
    expect(inputs).toEqual({
      triggerSource: 'webhook',
      gitBranch: 'windows-update/win2022',
      circleBranch: 'windows-update/win2022',
      pullRequestUrl: 'https://github.com/acme/windows-images/pull/42',
      sha: SHA,
      parameters: { image: 'win2022', force: false },
    });
  });

  it('refuses pipeline parameters that are not a JSON object', () => {
    expect(() => eventInputsFromEnv({ PARAM_PIPELINE_PARAMETERS: '[1,2]' })).toThrow(InputError);
    expect(() => eventInputsFromEnv({ PARAM_PIPELINE_PARAMETERS: 'image=win2022' })).toThrow(
      /PARAM_PIPELINE_PARAMETERS/,
    );
  });

  it('finds the PR number in CIRCLE_PULL_REQUEST', () => {
    expect(pullRequestNumber('https://github.com/acme/windows-images/pull/42')).toBe(42);
    expect(pullRequestNumber('https://github.com/acme/windows-images/pull/42/')).toBe(42);
    expect(pullRequestNumber('https://github.com/acme/windows-images/tree/main')).toBeUndefined();
    expect(pullRequestNumber(undefined)).toBeUndefined();
  });
});
