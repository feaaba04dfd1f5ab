import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PullRequest, PullRequestSchema } from '../../src/github/schema.js';
import {
  desiredBody,
  findSuperseded,
  isUnchanged,
  planGitStep,
  planLabels,
  pullRequestChanges,
  type UpdateRequest,
  updateBranchName,
} from '../../src/github/update-pull-request.js';

const fixture: PullRequest = PullRequestSchema.parse(
  JSON.parse(readFileSync(new URL('./fixtures/pull-request-simple.json', import.meta.url), 'utf8')),
);

const request: UpdateRequest = {
  imageSet: 'windows-2022',
  branch: 'windows-update/windows-2022',
  base: 'main',
  title: 'Update windows-2022 base images',
  body: 'Newer base AMIs for `windows-2022`.',
  labels: ['images', 'automated'],
  reviewers: ['alice'],
  teamReviewers: [],
  author: { name: 'Hephestus Bot', email: 'bot@example.invalid' },
};

const foreign = {
  sha: '3f786850e387550fdab836ed7e6dc881de23001b',
  subject: 'Pin the old AMI in eu-west-1',
  authorName: 'Ada Person',
  authorEmail: 'ada@example.invalid',
  committerName: 'GitHub',
  committerEmail: 'noreply@github.com',
};

describe('the GitHub answer schema', () => {
  it('keeps only the fields used, in our own shape', () => {
    expect(fixture).toEqual({
      number: 42,
      url: 'https://github.com/acme/vm-manager/pull/42',
      state: 'open',
      title: 'Update windows-2022 base images',
      body: expect.stringContaining('Newer base AMIs'),
      draft: false,
      author: 'hephestus-bot[bot]',
      labels: ['images', 'automated', 'hold'],
      requestedReviewers: ['bob'],
      requestedTeams: ['platform'],
      headRef: 'windows-update/windows-2022',
      headSha: '6dcb09b5b57875f334f61aebed695e2e4193db5e',
      headRepo: 'acme/vm-manager',
      baseRef: 'main',
      mergedAt: null,
      mergeCommitSha: '9fceb02d0ae598e95dc970b74767f19372d61af8',
    });
  });
});

describe('planGitStep', () => {
  it('does nothing without a diff or a branch, closes a branch the base has caught up with', () => {
    expect(planGitStep({ status: 'no-diff', branchExists: false }, request)).toEqual({ kind: 'nothing' });
    expect(planGitStep({ status: 'no-diff', branchExists: true }, request)).toEqual({
      kind: 'close',
      comment:
        '`main` already contains this update of image set `windows-2022`, so there is nothing left to merge: ' +
        'Hephestus closed this pull request and deleted `windows-update/windows-2022`.',
    });
  });

  it('proposes the PR for a pushed or up-to-date branch, foreign commits kept underneath or not', () => {
    expect(planGitStep({ status: 'pushed' }, request)).toEqual({ kind: 'propose', pushed: true });
    expect(planGitStep({ status: 'up-to-date', foreignCommits: [foreign] }, request)).toEqual({
      kind: 'propose',
      pushed: false,
    });
  });

  it('refuses when foreign commits block the update, naming each in the comment', async () => {
    const plan = planGitStep(
      { status: 'blocked', foreignCommits: [foreign], detail: 'CONFLICT in images.auto.pkrvars.hcl' },
      request,
    );
    expect(plan.kind).toBe('refuse');
    if (plan.kind !== 'refuse') return;
    expect(plan.message).toBe(
      'the update branch windows-update/windows-2022 carries 1 commit not made by Hephestus Bot <bot@example.invalid> ' +
        "and does not hold this update; an update is never put on top of someone else's commits, so nothing was pushed",
    );
    await expect(plan.comment).toMatchFileSnapshot('__snapshots__/blocked-comment.md');
  });
});

describe('planLabels', () => {
  it('adds what is missing and removes only labels it set before', () => {
    expect(
      planLabels(['images', 'automated', 'hold'], ['automated', 'ready'], ['images', 'automated']),
    ).toEqual({
      add: ['ready'],
      remove: ['images'],
      result: ['automated', 'hold', 'ready'],
    });
  });

  it('compares names without regard to case, as GitHub does', () => {
    expect(planLabels(['Images'], ['images'], [])).toEqual({ add: [], remove: [], result: ['Images'] });
  });

  it('ends with every wanted label and every label it never managed', () => {
    const name = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'hold');
    fc.assert(
      fc.property(
        fc.uniqueArray(name),
        fc.uniqueArray(name),
        fc.uniqueArray(name),
        (current, desired, managed) => {
          const { add, remove, result } = planLabels(current, desired, managed);
          for (const label of desired) expect(result).toContain(label);
          for (const label of current.filter((l) => !managed.includes(l))) expect(result).toContain(label);
          for (const label of remove) expect(managed).toContain(label);
          for (const label of add) expect(current).not.toContain(label);
          expect(new Set(result).size).toBe(result.length);
        },
      ),
    );
  });
});

describe('pullRequestChanges', () => {
  const ours: PullRequest = { ...fixture, body: desiredBody(request), labels: ['images', 'automated'] };

  it('finds nothing to change in a PR that matches the request, CRLF body included', () => {
    const crlf = { ...ours, body: ours.body.replace(/\n/g, '\r\n') };
    const changes = pullRequestChanges(crlf, request);
    expect(isUnchanged(changes)).toBe(true);
    expect(changes.draftDiffers).toBe(false);
  });

  it('does not ask a reviewer again who was asked before (and may have reviewed since)', () => {
    expect(pullRequestChanges({ ...ours, requestedReviewers: [] }, request).reviewers).toEqual([]);
    expect(pullRequestChanges({ ...ours, requestedReviewers: [] }, request, true).reviewers).toEqual([
      'alice',
    ]);
  });

  it('never asks the PR author, and asks new reviewers once', () => {
    const changes = pullRequestChanges(ours, {
      ...request,
      reviewers: ['alice', 'carol', 'HEPHESTUS-bot[bot]'],
    });
    expect(changes.reviewers).toEqual(['carol']);
    expect(changes.body).toBe(
      desiredBody({ ...request, reviewers: ['alice', 'carol', 'HEPHESTUS-bot[bot]'] }),
    );
  });

  it('reports a title, a body and a draft state that differ', () => {
    const changes = pullRequestChanges({ ...ours, draft: true }, { ...request, title: 'New', body: 'Other' });
    expect(changes).toMatchObject({
      title: 'New',
      body: desiredBody({ ...request, body: 'Other' }),
      draftDiffers: true,
    });
    expect(isUnchanged(changes)).toBe(false);
  });

  it('removes the labels its state block recorded once they are no longer wanted, never the others', () => {
    const changes = pullRequestChanges(fixture, { ...request, labels: [] });
    expect(changes.labels).toEqual({ add: [], remove: ['images', 'automated'], result: ['hold'] });
  });

  it('treats a PR without a state block as managing nothing yet: removes no label', () => {
    const changes = pullRequestChanges({ ...fixture, body: 'Opened by hand.' }, { ...request, labels: [] });
    expect(changes.labels).toEqual({ add: [], remove: [], result: ['images', 'automated', 'hold'] });
  });
});

describe('findSuperseded', () => {
  const pr = (number: number, headRef: string, imageSet?: string): PullRequest => ({
    ...fixture,
    number,
    headRef,
    body: imageSet ? desiredBody({ ...request, imageSet }) : 'A person’s PR',
  });

  it('picks open PRs of the same image set from other branches only', () => {
    const open = [
      pr(1, 'windows-update/windows-2022-20240101', 'windows-2022'),
      pr(2, 'windows-update/windows-2019', 'windows-2019'),
      pr(3, 'feature/windows-2022'),
      pr(4, 'windows-update/windows-2022', 'windows-2022'),
    ];
    expect(
      findSuperseded(open, {
        imageSet: 'windows-2022',
        branch: 'windows-update/windows-2022',
        number: 4,
      }).map((p) => p.number),
    ).toEqual([1]);
  });
  it("picks a smaller image set the update covers, from that set's own update branch only", () => {
    const open = [
      pr(1, 'windows-update/win2022', 'win2022'),
      pr(2, 'feature/win2022', 'win2022'),
      pr(3, 'windows-update/win2016', 'win2016'),
      pr(4, 'windows-update/win2019-win2022', 'win2019-win2022'),
    ];
    const covers = (other: string) => ['win2019', 'win2022'].includes(other);
    expect(
      findSuperseded(open, {
        imageSet: 'win2019-win2022',
        branch: 'windows-update/win2019-win2022',
        number: 4,
        covers,
        branchOf: (imageSet) => updateBranchName(imageSet),
      }).map((p) => p.number),
    ).toEqual([1]);
  });
});

describe('updateBranchName', () => {
  it('is the prefix and the image set', () => {
    expect(updateBranchName('windows-2022')).toBe('windows-update/windows-2022');
    expect(updateBranchName('base', 'images/')).toBe('images/base');
  });
});
