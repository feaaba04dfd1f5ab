import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { foreignCommits, GitRepository } from '../../src/git/git-repository.js';
import { readManagedState } from '../../src/github/pull-request-marker.js';
import { PullRequests } from '../../src/github/pull-requests.js';
import {
  desiredBody,
  type UpdateRequest,
  updateBranchName,
  updatePullRequest,
} from '../../src/github/update-pull-request.js';
import { BOT, type Harness, PERSON, routes, startHarness, TOKEN, writes } from './github-sandbox.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
afterEach(() => {
  h.service.faults.clear();
  expect(h.problems.splice(0)).toEqual([]);
});

const IMAGE_SET = 'windows-2022';
const BRANCH = updateBranchName(IMAGE_SET);
const BODY =
  'Newer base AMIs for `windows-2022`:\n\n| region | AMI |\n| --- | --- |\n| us-east-1 | ami-0a1b2c3d4e5f60718 |\n';

function request(overrides: Partial<UpdateRequest> = {}): UpdateRequest {
  return {
    imageSet: IMAGE_SET,
    branch: BRANCH,
    base: 'main',
    title: 'Update windows-2022 base images',
    body: BODY,
    labels: ['images', 'automated'],
    reviewers: ['alice'],
    teamReviewers: ['platform'],
    draft: false,
    author: BOT,
    ...overrides,
  };
}

const pushed = { status: 'pushed' } as const;
const upToDate = { status: 'up-to-date' } as const;

describe('updatePullRequest against the sandbox', () => {
  it('creates the PR with labels and reviewers, then a re-run finds nothing to do and writes nothing', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/windows-2022.auto.pkrvars.hcl': 'ami = "ami-0a1b2c3d4e5f60718"\n' });

    const first = h.record();
    const report = await updatePullRequest(r.prs, pushed, request({ draft: true }));
    expect(report).toMatchObject({
      outcome: 'created',
      branch: BRANCH,
      pullRequest: { number: 1 },
      superseded: [],
    });
    expect(routes(first.done())).toEqual([
      'GET /repos/:owner/:repo/pulls',
      'POST /repos/:owner/:repo/pulls',
      'POST /repos/:owner/:repo/issues/:number/labels',
      'POST /repos/:owner/:repo/pulls/:number/requested_reviewers',
    ]);
    const [pr] = h.service.pulls(r.fullName);
    expect(pr).toMatchObject({
      state: 'open',
      draft: true,
      title: 'Update windows-2022 base images',
      labels: ['images', 'automated'],
      requestedReviewers: ['alice'],
      requestedTeams: ['platform'],
      head: { ref: BRANCH },
    });
    expect(readManagedState(pr?.body ?? '')).toEqual({
      imageSet: IMAGE_SET,
      labels: ['automated', 'images'],
      reviewers: ['alice'],
      teamReviewers: ['platform'],
    });

    // Someone reviews (GitHub drops them from the requested reviewers): the re-run must not ask again.
    if (pr) pr.requestedReviewers = [];
    const second = h.record();
    const again = await updatePullRequest(r.prs, upToDate, request({ draft: true }));
    expect(again).toMatchObject({ outcome: 'unchanged', pullRequest: { number: 1 }, changes: [], notes: [] });
    expect(routes(second.done())).toEqual(['GET /repos/:owner/:repo/pulls']);
    expect(h.service.pulls(r.fullName)).toHaveLength(1);
  });

  it('updates title, body and labels both ways, keeping a label a person added, and notes a draft it cannot change', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    await updatePullRequest(r.prs, pushed, request());
    await r.client.octokit.rest.issues.addLabels({
      owner: r.owner,
      repo: r.repo,
      issue_number: 1,
      labels: ['hold'],
    });

    await r.commit(BRANCH, { 'images/a.txt': 'two\n' });
    const calls = h.record();
    const report = await updatePullRequest(
      r.prs,
      pushed,
      request({
        title: 'Update windows-2022 (2)',
        body: 'New AMIs.\n',
        labels: ['automated', 'ready'],
        draft: true,
      }),
    );
    expect(report.outcome).toBe('updated');
    expect(report.changes).toEqual(['title', 'body', 'labels +ready -images', `pushed ${BRANCH}`]);
    expect(report.notes).toEqual([
      expect.stringContaining('#1 is ready for review; the draft setting applies when'),
    ]);
    expect(routes(writes(calls.done()))).toEqual([
      'PATCH /repos/:owner/:repo/pulls/:number',
      'PUT /repos/:owner/:repo/issues/:number/labels',
    ]);
    const [pr] = h.service.pulls(r.fullName);
    expect(pr?.labels).toEqual(['automated', 'hold', 'ready']);
    expect(pr?.title).toBe('Update windows-2022 (2)');
    expect(pr?.body?.startsWith('New AMIs.\n\n<!-- hephestus:pull-request ')).toBe(true);

    const rerun = h.record();
    const same = await updatePullRequest(
      r.prs,
      upToDate,
      request({
        title: 'Update windows-2022 (2)',
        body: 'New AMIs.\n',
        labels: ['automated', 'ready'],
        draft: true,
      }),
    );
    expect(same.outcome).toBe('unchanged');
    expect(writes(rerun.done())).toEqual([]);
  });

  it('reports updated with no PR writes when only the branch moved, and adds labels with one POST', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    await updatePullRequest(r.prs, pushed, request({ labels: [] }));
    await r.commit(BRANCH, { 'images/a.txt': 'two\n' });

    const moved = h.record();
    expect(await updatePullRequest(r.prs, pushed, request({ labels: [] }))).toMatchObject({
      outcome: 'updated',
      changes: [`pushed ${BRANCH}`],
    });
    expect(writes(moved.done())).toEqual([]);

    const labelled = h.record();
    await updatePullRequest(r.prs, upToDate, request({ labels: ['images'] }));
    expect(routes(writes(labelled.done()))).toEqual([
      'PATCH /repos/:owner/:repo/pulls/:number',
      'POST /repos/:owner/:repo/issues/:number/labels',
    ]);
  });

  it('closes the PR with a comment and deletes the branch when the base already has the update', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    await updatePullRequest(r.prs, pushed, request());

    const report = await updatePullRequest(r.prs, { status: 'no-diff', branchExists: true }, request());
    expect(report).toMatchObject({
      outcome: 'closed',
      pullRequest: { number: 1 },
      changes: ['closed #1', `deleted ${BRANCH}`],
    });
    expect(h.service.pulls(r.fullName)[0]?.state).toBe('closed');
    expect(h.service.repo(r.fullName).branches[BRANCH]).toBeUndefined();
    expect(h.service.comments(r.fullName, 1).map((c) => c.body)).toEqual([
      expect.stringContaining('`main` already contains this update of image set `windows-2022`'),
    ]);
  });

  it('makes no call at all when there is no diff and no branch', async () => {
    const r = await h.newRepo();
    const calls = h.record();
    expect(await updatePullRequest(r.prs, { status: 'no-diff', branchExists: false }, request())).toEqual({
      outcome: 'unchanged',
      branch: BRANCH,
      superseded: [],
      changes: [],
      notes: [],
    });
    expect(calls.done()).toEqual([]);
  });

  it('deletes a leftover branch without a PR as closed, and treats an already deleted branch as gone', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    expect(
      await updatePullRequest(r.prs, { status: 'no-diff', branchExists: true }, request()),
    ).toMatchObject({
      outcome: 'closed',
      changes: [`deleted ${BRANCH}`],
    });
    expect(await r.prs.deleteBranch(BRANCH)).toBe('absent');
  });

  it('updates the existing PR when creating it answers 422 "already exists" (a list that missed it)', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    await updatePullRequest(r.prs, pushed, request());
    // The listing misses the PR once, as when two runs race.
    h.service.router.inject({
      route: 'GET /repos/:owner/:repo/pulls',
      times: 1,
      respond: { status: 200, body: [] },
    });

    const calls = h.record();
    const report = await updatePullRequest(r.prs, upToDate, request({ body: 'Changed.\n' }));
    expect(report).toMatchObject({ outcome: 'updated', pullRequest: { number: 1 }, changes: ['body'] });
    expect(routes(calls.done())).toEqual([
      'GET /repos/:owner/:repo/pulls',
      'POST /repos/:owner/:repo/pulls',
      'GET /repos/:owner/:repo/pulls',
      'PATCH /repos/:owner/:repo/pulls/:number',
    ]);
    expect(calls.done()[1]?.status).toBe(422);
    expect(h.service.pulls(r.fullName)).toHaveLength(1);
  });

  it('closes older update PRs of the same image set with a comment linking the new one', async () => {
    const r = await h.newRepo();
    const legacy = 'windows-update/windows-2022-20240101';
    await r.commit(legacy, { 'images/a.txt': 'old\n' });
    await updatePullRequest(r.prs, pushed, request({ branch: legacy }));
    // Another image set's PR stays open.
    await r.commit('windows-update/windows-2019', { 'images/b.txt': 'b\n' });
    await updatePullRequest(
      r.prs,
      pushed,
      request({ imageSet: 'windows-2019', branch: 'windows-update/windows-2019' }),
    );

    await r.commit(BRANCH, { 'images/a.txt': 'new\n' });
    const report = await updatePullRequest(r.prs, pushed, request());
    expect(report).toMatchObject({
      outcome: 'created',
      pullRequest: { number: 3 },
      superseded: [{ number: 1 }],
    });
    expect(h.service.pulls(r.fullName).map((p) => [p.number, p.state])).toEqual([
      [1, 'closed'],
      [2, 'open'],
      [3, 'open'],
    ]);
    const [comment] = h.service.comments(r.fullName, 1);
    expect(comment?.body).toContain(`Superseded by #3 (${h.server.url}/${r.fullName}/pull/3)`);
    expect(h.service.repo(r.fullName).branches[legacy]).toBeDefined();
  });

  it("leaves open a person's PR whose body claims the same image set: a state block is no proof of authorship", async () => {
    const r = await h.newRepo();
    const theirs = 'windows-update/windows-2022-by-hand';
    await r.commit(theirs, { 'images/a.txt': 'by hand\n' }, PERSON);
    const mallory = new PullRequests(h.client({ token: h.service.addUser('mallory') }), {
      owner: r.owner,
      repo: r.repo,
    });
    // A body carrying the bot's hidden state block for this image set, copied from a bot PR.
    await mallory.create({ head: theirs, base: 'main', title: 'Pin by hand', body: desiredBody(request()) });

    await r.commit(BRANCH, { 'images/a.txt': 'new\n' });
    const report = await updatePullRequest(r.prs, pushed, request());
    expect(report).toMatchObject({ outcome: 'created', pullRequest: { number: 2 }, superseded: [] });
    expect(h.service.pulls(r.fullName).map((p) => [p.number, p.state])).toEqual([
      [1, 'open'],
      [2, 'open'],
    ]);
  });

  it('refuses to touch a branch with foreign commits: comments once, fails with exit 1 on every run', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    await updatePullRequest(r.prs, pushed, request());
    const sha = await r.commit(BRANCH, { 'images/a.txt': 'fixed by hand\n' }, PERSON);
    const step = {
      status: 'blocked',
      foreignCommits: [
        {
          sha,
          subject: 'Fix the AMI by hand',
          authorName: PERSON.name,
          authorEmail: PERSON.email,
          committerName: PERSON.name,
          committerEmail: PERSON.email,
        },
      ],
    } as const;

    const failure = await updatePullRequest(r.prs, step, request()).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'FailureError', exitCode: 1 });
    expect((failure as Error).message).toMatch(
      new RegExp(
        `carries 1 commit not made by Hephestus Bot .*see ${h.server.url}/${r.fullName}/pull/1#issuecomment-`,
      ),
    );
    const comments = h.service.comments(r.fullName, 1);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain(`- ${sha.slice(0, 12)} Fix the AMI by hand (Ada Person)`);

    const rerun = h.record();
    await expect(updatePullRequest(r.prs, step, request())).rejects.toMatchObject({ exitCode: 1 });
    expect(writes(rerun.done())).toEqual([]);
    expect(h.service.repo(r.fullName).branches[BRANCH]).toBe(sha);
  });

  it('fails without a comment when the blocked branch has no PR', async () => {
    const r = await h.newRepo();
    await expect(
      updatePullRequest(r.prs, { status: 'blocked', foreignCommits: [] }, request()),
    ).rejects.toMatchObject({ name: 'FailureError', message: expect.stringContaining('nothing was pushed') });
  });

  it('finds a PR body it wrote earlier through desiredBody, unchanged by the round trip through GitHub', async () => {
    const r = await h.newRepo();
    await r.commit(BRANCH, { 'images/a.txt': 'one\n' });
    await updatePullRequest(r.prs, pushed, request());
    const found = await r.prs.findOpen(BRANCH);
    expect(found?.body).toBe(desiredBody(request()));
    expect(await r.prs.findOpen('windows-update/other')).toBeUndefined();
  });

  it('follows the real git step: the bot’s push opens the PR, a person’s commit on top is reported as foreign', async () => {
    const r = await h.newRepo();
    const tmp = await mkdtemp(join(tmpdir(), 'hephestus-pr-git-'));
    try {
      const repo = await GitRepository.clone({
        url: `${h.server.url}${h.service.clonePath(r.fullName)}`,
        token: TOKEN,
        dir: join(tmp, 'clone'),
        branch: 'main',
        author: BOT,
      });
      await repo.resetBranch(BRANCH, 'HEAD');
      await mkdir(join(repo.dir, 'images'), { recursive: true });
      await writeFile(
        join(repo.dir, 'images/windows-2022.auto.pkrvars.hcl'),
        'ami = "ami-0a1b2c3d4e5f60718"\n',
      );
      await repo.commitAll('Update windows-2022 AMIs');
      const push = await repo.push(BRANCH, undefined);
      expect(push.status).toBe('pushed');
      const report = await updatePullRequest(r.prs, { status: 'pushed' }, request());
      expect(report).toMatchObject({ outcome: 'created', pullRequest: { number: 1 } });

      const theirs = await r.commit(
        BRANCH,
        { 'images/windows-2022.auto.pkrvars.hcl': 'ami = "ami-0fff"\n' },
        PERSON,
      );
      const tip = await repo.fetchBranch(BRANCH);
      const foreign = foreignCommits(await repo.commitsSince('origin/main', tip ?? ''), [BOT]);
      expect(foreign.map((c) => c.sha)).toEqual([theirs]);
      await expect(
        updatePullRequest(r.prs, { status: 'blocked', foreignCommits: foreign }, request()),
      ).rejects.toMatchObject({ exitCode: 1 });
      expect(h.service.repo(r.fullName).branches[BRANCH]).toBe(theirs);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
