import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { updateBranchName, updatePullRequest } from '../../src/github/update-pull-request.js';
import { BOT, type Harness, routes, startHarness, writes } from './github-sandbox.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => {
  h.service.faults.clear();
  expect(h.problems.splice(0)).toEqual([]);
});

const BRANCH = updateBranchName('windows-2022');
const request = {
  imageSet: 'windows-2022',
  branch: BRANCH,
  base: 'main',
  title: 'Update windows-2022',
  body: 'New AMIs.',
  author: BOT,
};

describe('PullRequests against the sandbox', () => {
  it.each(['merge', 'squash', 'rebase'] as const)(
    'finds the PR a %s merge into main came from, through commits/{sha}/pulls',
    async (method) => {
      const r = await h.newRepo();
      await r.commit(BRANCH, { 'images/a.txt': 'one\n', 'images/b.txt': 'two\n' });
      // main moves on, so a rebase merge makes new commits.
      await r.commit('side', { 'NOTES.md': 'x\n' });
      const side = await r.client.octokit.rest.pulls.create({
        owner: r.owner,
        repo: r.repo,
        head: 'side',
        base: 'main',
        title: 'Side',
      });
      const report = await updatePullRequest(r.prs, { status: 'pushed' }, request);
      await r.client.octokit.rest.pulls.merge({
        owner: r.owner,
        repo: r.repo,
        pull_number: side.data.number,
      });
      const { data: merged } = await r.client.octokit.rest.pulls.merge({
        owner: r.owner,
        repo: r.repo,
        pull_number: report.pullRequest?.number ?? 0,
        merge_method: method,
      });
      const pushedSha = h.service.repo(r.fullName).branches.main;
      expect(pushedSha).toBe(merged.sha);

      const calls = h.record();
      const found = await r.prs.mergedInto('main', merged.sha);
      expect(found).toMatchObject({
        number: report.pullRequest?.number,
        headRef: BRANCH,
        mergeCommitSha: merged.sha,
      });
      expect(routes(calls.done())).toEqual(['GET /repos/:owner/:repo/commits/:sha/pulls']);
      // The side PR's merge commit belongs to the side PR only.
      const sideMerge = h.service
        .pulls(r.fullName)
        .find((p) => p.number === side.data.number)?.mergeCommitSha;
      expect((await r.prs.mergedInto('main', sideMerge ?? ''))?.number).toBe(side.data.number);
    },
  );

  it('finds no PR for a commit pushed straight to main', async () => {
    const r = await h.newRepo();
    const sha = await r.commit('main', { 'README.md': 'direct\n' });
    expect(await r.prs.mergedInto('main', sha)).toBeUndefined();
  });

  it('edits its comment in place by marker, and writes nothing when the text is the same', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    const report = await updatePullRequest(r.prs, { status: 'pushed' }, request);
    const number = report.pullRequest?.number ?? 0;
    await r.prs.comment(number, 'A person says hello.');

    expect((await r.prs.upsertComment(number, 'validation', 'Validation: 3 of 3 passed')).action).toBe(
      'created',
    );
    expect((await r.prs.upsertComment(number, 'validation', 'Validation: 2 of 3 passed')).action).toBe(
      'updated',
    );
    const calls = h.record();
    expect((await r.prs.upsertComment(number, 'validation', 'Validation: 2 of 3 passed')).action).toBe(
      'unchanged',
    );
    expect(writes(calls.done())).toEqual([]);
    expect(h.service.comments(r.fullName, number).map((c) => c.body)).toEqual([
      'A person says hello.',
      '<!-- hephestus:comment validation -->\nValidation: 2 of 3 passed\n',
    ]);
  });

  it('ignores a fork PR from a branch of the same name', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    await updatePullRequest(r.prs, { status: 'pushed' }, request);
    const [open] = await r.prs.listOpen('main');
    expect(open && r.prs.isOwnBranch(open, BRANCH)).toBe(true);
    expect(open && r.prs.isOwnBranch({ ...open, headRepo: 'someone/images-fork' }, BRANCH)).toBe(false);
  });

  it('reads a branch sha, and nothing for a missing branch', async () => {
    const r = await h.newRepo();
    const sha = await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    expect(await r.prs.branchSha(BRANCH)).toBe(sha);
    expect(await r.prs.branchSha('windows-update/none')).toBeUndefined();
  });

  it('reports a review request GitHub refuses as a note, not a failure', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    h.service.router.inject({
      route: 'POST /repos/:owner/:repo/pulls/:number/requested_reviewers',
      times: 1,
      respond: {
        status: 422,
        body: {
          message:
            'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the acme/images repository.',
        },
      },
    });
    const report = await updatePullRequest(
      r.prs,
      { status: 'pushed' },
      { ...request, reviewers: ['stranger'] },
    );
    expect(report.outcome).toBe('created');
    expect(report.notes).toEqual([
      expect.stringContaining('Reviews may only be requested from collaborators'),
    ]);
  });
});
