import { RequestError } from '@octokit/request-error';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubHarness, NAME, OWNER, pushBranch, REPO, startGitHub, TOKEN } from './setup.js';

let h: GitHubHarness;
const repo = { owner: OWNER, repo: NAME };

beforeAll(async () => {
  h = await startGitHub();
});
afterAll(() => h.close());
afterEach(() => {
  // Every exchange of the test must match GitHub's OpenAPI description.
  const problems = h.problems.splice(0);
  expect(problems).toEqual([]);
});

async function failure(promise: Promise<unknown>): Promise<RequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RequestError)) throw new Error(`expected a RequestError, got ${String(error)}`);
  return error;
}

const imageChange = (ami: string) => ({
  'resources/config.edn': `{:vm-manager {:images {"aws" {"windows-server-2022" "${ami}"}}}}\n`,
});

describe('auth and headers', () => {
  it('answers 401 Bad credentials without a token or with a wrong one', async () => {
    const none = await fetch(`${h.server.url}/repos/${REPO}`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ message: 'Bad credentials' });
    const wrong = await fetch(`${h.server.url}/repos/${REPO}`, { headers: { authorization: 'token nope' } });
    expect(wrong.status).toBe(401);
  });

  it('accepts `token` and `Bearer` and sends rate-limit headers on every response', async () => {
    for (const authorization of [`token ${TOKEN}`, `Bearer ${TOKEN}`]) {
      const res = await fetch(`${h.server.url}/repos/${REPO}`, { headers: { authorization } });
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('x-ratelimit-limit'))).toBe(5000);
      expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThan(5000);
      expect(res.headers.get('x-ratelimit-resource')).toBe('core');
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    }
    const missing = await fetch(`${h.server.url}/repos/${OWNER}/nope`, {
      headers: { authorization: `token ${TOKEN}` },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-ratelimit-used')).not.toBeNull();
  });
});

describe('repositories and refs', () => {
  it('serves the repository, its branch and its refs', async () => {
    const { data: r } = await h.octokit.rest.repos.get(repo);
    expect(r).toMatchObject({
      full_name: REPO,
      default_branch: 'main',
      clone_url: `${h.server.url}/${REPO}.git`,
    });
    const main = h.service.repo(REPO).branches.main;
    const { data: branch } = await h.octokit.rest.repos.getBranch({ ...repo, branch: 'main' });
    expect(branch.commit.sha).toBe(main);
    expect(branch.commit.commit.message).toBe('Initial commit');
    const { data: ref } = await h.octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    expect(ref).toMatchObject({ ref: 'refs/heads/main', object: { sha: main, type: 'commit' } });
    expect((await failure(h.octokit.rest.git.getRef({ ...repo, ref: 'heads/none' }))).status).toBe(404);
    expect((await failure(h.octokit.rest.repos.get({ owner: OWNER, repo: 'missing' }))).status).toBe(404);
  });

  it('lists matching refs, creates, moves and deletes branches with slashes in their names', async () => {
    const main = h.service.repo(REPO).branches.main as string;
    await h.octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/windows-update/a', sha: main });
    await h.octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/windows-update/b', sha: main });
    const { data: refs } = await h.octokit.rest.git.listMatchingRefs({
      ...repo,
      ref: 'heads/windows-update/',
    });
    expect(refs.map((r) => r.ref)).toEqual(['refs/heads/windows-update/a', 'refs/heads/windows-update/b']);
    expect(
      (
        await failure(
          h.octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/windows-update/a', sha: main }),
        )
      ).status,
    ).toBe(422);

    const ahead = await pushBranch(h, 'windows-update/c', imageChange('ami-0c'));
    const moved = await failure(
      h.octokit.rest.git.updateRef({ ...repo, ref: 'heads/windows-update/c', sha: main }),
    );
    expect(moved.status).toBe(422);
    await h.octokit.rest.git.updateRef({ ...repo, ref: 'heads/windows-update/c', sha: main, force: true });
    expect(h.service.repo(REPO).branches['windows-update/c']).toBe(main);
    await h.octokit.rest.git.updateRef({ ...repo, ref: 'heads/windows-update/c', sha: ahead });

    await h.octokit.rest.git.deleteRef({ ...repo, ref: 'heads/windows-update/a' });
    expect(h.service.repo(REPO).branches['windows-update/a']).toBeUndefined();
    expect(
      (await failure(h.octokit.rest.git.deleteRef({ ...repo, ref: 'heads/windows-update/a' }))).status,
    ).toBe(422);
  });

  it('compares branches with ahead_by, behind_by and the changed files', async () => {
    await pushBranch(h, 'compare/x', imageChange('ami-0x'), 'Bump the Windows image');
    const { data } = await h.octokit.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: 'main...compare/x',
    });
    expect(data).toMatchObject({ status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1 });
    expect(data.commits.map((c) => c.commit.message)).toEqual(['Bump the Windows image']);
    expect(data.files?.map((f) => [f.filename, f.status])).toEqual([['resources/config.edn', 'modified']]);
    const { data: back } = await h.octokit.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: 'compare/x...main',
    });
    expect(back).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 1 });
    expect(
      (await failure(h.octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: 'main...nope' })))
        .status,
    ).toBe(404);
  });
});

describe('pull requests', () => {
  it('creates a PR, refuses a second for the same head with GitHub’s message, and finds it by head', async () => {
    const head = await pushBranch(h, 'windows-update/prod', imageChange('ami-0prod'));
    const { data: pr, status } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'windows-update/prod',
      base: 'main',
      title: 'Update Windows images',
      body: 'New AMIs',
    });
    expect(status).toBe(201);
    expect(pr).toMatchObject({
      state: 'open',
      merged: false,
      mergeable: true,
      draft: false,
      commits: 1,
      changed_files: 1,
    });
    expect(pr.head).toMatchObject({
      ref: 'windows-update/prod',
      sha: head,
      label: `${OWNER}:windows-update/prod`,
    });

    const again = await failure(
      h.octokit.rest.pulls.create({
        ...repo,
        head: `${OWNER}:windows-update/prod`,
        base: 'main',
        title: 'Again',
      }),
    );
    expect(again.status).toBe(422);
    expect(again.response?.data).toMatchObject({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${OWNER}:windows-update/prod.`,
        },
      ],
    });

    const { data: found } = await h.octokit.rest.pulls.list({
      ...repo,
      head: `${OWNER}:windows-update/prod`,
      state: 'open',
    });
    expect(found.map((p) => p.number)).toEqual([pr.number]);
    const { data: none } = await h.octokit.rest.pulls.list({
      ...repo,
      head: `${OWNER}:windows-update/other`,
    });
    expect(none).toEqual([]);
    expect(h.service.pulls(REPO).find((p) => p.number === pr.number)?.head.sha).toBe(head);
  });

  it('refuses a PR for a missing branch or a branch without commits ahead', async () => {
    const missing = await failure(
      h.octokit.rest.pulls.create({ ...repo, head: 'nope', base: 'main', title: 'x' }),
    );
    expect(missing.status).toBe(422);
    expect(missing.response?.data).toMatchObject({
      errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
    });
    await h.octokit.rest.git.createRef({
      ...repo,
      ref: 'refs/heads/even',
      sha: h.service.repo(REPO).branches.main as string,
    });
    const even = await failure(
      h.octokit.rest.pulls.create({ ...repo, head: 'even', base: 'main', title: 'x' }),
    );
    expect(even.status).toBe(422);
    expect(even.response?.data).toMatchObject({
      errors: [{ code: 'custom', message: 'No commits between main and even' }],
    });
  });

  it('updates title, body and state, and ignores draft on update', async () => {
    await pushBranch(h, 'patch/me', imageChange('ami-0patch'));
    const { data: pr } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'patch/me',
      base: 'main',
      title: 'Old',
      draft: true,
    });
    expect(pr.draft).toBe(true);
    expect(pr.mergeable_state).toBe('draft');
    const { data: updated } = await h.octokit.rest.pulls.update({
      ...repo,
      pull_number: pr.number,
      title: 'New',
      body: 'Body',
      state: 'closed',
    });
    expect(updated).toMatchObject({
      title: 'New',
      body: 'Body',
      state: 'closed',
      draft: true,
      merged: false,
    });
    expect(updated.closed_at).not.toBeNull();
    const { data: reopened } = await h.octokit.rest.pulls.update({
      ...repo,
      pull_number: pr.number,
      state: 'open',
    });
    expect(reopened).toMatchObject({ state: 'open', closed_at: null });
    expect((await failure(h.octokit.rest.pulls.get({ ...repo, pull_number: 999 }))).status).toBe(404);
  });

  it('closes a PR when its head branch is deleted', async () => {
    await pushBranch(h, 'doomed', imageChange('ami-0doomed'));
    const { data: pr } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'doomed',
      base: 'main',
      title: 'Doomed',
    });
    await h.octokit.rest.git.deleteRef({ ...repo, ref: 'heads/doomed' });
    const { data: after } = await h.octokit.rest.pulls.get({ ...repo, pull_number: pr.number });
    expect(after).toMatchObject({ state: 'closed', merged: false });
  });

  it('paginates the list with per_page, page and RFC 5988 link headers', async () => {
    const before = h.service.pulls(REPO).filter((p) => p.state === 'open').length;
    for (const n of [1, 2, 3]) {
      await pushBranch(h, `page/${n}`, imageChange(`ami-0page${n}`));
      await h.octokit.rest.pulls.create({ ...repo, head: `page/${n}`, base: 'main', title: `Page ${n}` });
    }
    const total = before + 3;
    const first = await h.octokit.rest.pulls.list({ ...repo, per_page: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toMatch(new RegExp(`page=${Math.ceil(total / 2)}>; rel="last"`));
    const all = await h.octokit.paginate(h.octokit.rest.pulls.list, { ...repo, per_page: 2 });
    expect(all.map((p) => p.number).sort((a, b) => a - b)).toEqual(
      h.service
        .pulls(REPO)
        .filter((p) => p.state === 'open')
        .map((p) => p.number),
    );
    const { data: ascending } = await h.octokit.rest.pulls.list({
      ...repo,
      base: 'main',
      direction: 'asc',
      per_page: 100,
    });
    expect(ascending).toHaveLength(total);
    expect(ascending.map((p) => p.number)).toEqual([...ascending.map((p) => p.number)].sort((a, b) => a - b));
  });
});

describe('labels, reviewers and comments', () => {
  it('adds, sets and removes labels, creating missing ones', async () => {
    await pushBranch(h, 'labels', imageChange('ami-0labels'));
    const { data: pr } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'labels',
      base: 'main',
      title: 'Labels',
    });
    const issue = { ...repo, issue_number: pr.number };
    const { data: added } = await h.octokit.rest.issues.addLabels({
      ...issue,
      labels: ['windows', 'automated'],
    });
    expect(added.map((l) => l.name)).toEqual(['windows', 'automated']);
    const { data: set } = await h.octokit.rest.issues.setLabels({
      ...issue,
      labels: ['automated', 'images'],
    });
    expect(set.map((l) => l.name)).toEqual(['automated', 'images']);
    const { data: removed } = await h.octokit.rest.issues.removeLabel({ ...issue, name: 'automated' });
    expect(removed.map((l) => l.name)).toEqual(['images']);
    const gone = await failure(h.octokit.rest.issues.removeLabel({ ...issue, name: 'automated' }));
    expect(gone.status).toBe(404);
    expect(gone.response?.data).toMatchObject({ message: 'Label does not exist' });
    const { data: shown } = await h.octokit.rest.pulls.get({ ...repo, pull_number: pr.number });
    expect(shown.labels.map((l) => l.name)).toEqual(['images']);
  });

  it('requests and removes reviewers, never the author', async () => {
    await pushBranch(h, 'reviewers', imageChange('ami-0rev'));
    const { data: pr } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'reviewers',
      base: 'main',
      title: 'Review me',
    });
    const target = { ...repo, pull_number: pr.number };
    const { data: requested, status } = await h.octokit.rest.pulls.requestReviewers({
      ...target,
      reviewers: ['alice', 'bob'],
      team_reviewers: ['execution'],
    });
    expect(status).toBe(201);
    expect(requested.requested_reviewers?.map((u) => u.login)).toEqual(['alice', 'bob']);
    expect(requested.requested_teams?.map((t) => t.slug)).toEqual(['execution']);
    const { data: removed } = await h.octokit.rest.pulls.removeRequestedReviewers({
      ...target,
      reviewers: ['alice'],
    });
    expect(removed.requested_reviewers?.map((u) => u.login)).toEqual(['bob']);
    const self = await failure(
      h.octokit.rest.pulls.requestReviewers({ ...target, reviewers: [pr.user.login] }),
    );
    expect(self.status).toBe(422);
  });

  it('creates, lists and edits issue comments', async () => {
    await pushBranch(h, 'comments', imageChange('ami-0comments'));
    const { data: pr } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'comments',
      base: 'main',
      title: 'Talk',
    });
    const { data: c1 } = await h.octokit.rest.issues.createComment({
      ...repo,
      issue_number: pr.number,
      body: 'first',
    });
    await h.octokit.rest.issues.createComment({ ...repo, issue_number: pr.number, body: 'second' });
    const { data: edited } = await h.octokit.rest.issues.updateComment({
      ...repo,
      comment_id: c1.id,
      body: 'first, edited',
    });
    expect(edited.body).toBe('first, edited');
    const { data: onPr } = await h.octokit.rest.issues.listComments({ ...repo, issue_number: pr.number });
    expect(onPr.map((c) => c.body)).toEqual(['first, edited', 'second']);
    const { data: everywhere } = await h.octokit.rest.issues.listCommentsForRepo(repo);
    expect(everywhere.map((c) => c.id)).toContain(c1.id);
    const { data: shown } = await h.octokit.rest.pulls.get({ ...repo, pull_number: pr.number });
    expect(shown.comments).toBe(2);
    const empty = await failure(
      h.octokit.rest.issues.createComment({ ...repo, issue_number: pr.number, body: '' }),
    );
    expect(empty.status).toBe(422);
    expect(
      (await failure(h.octokit.rest.issues.updateComment({ ...repo, comment_id: 1, body: 'x' }))).status,
    ).toBe(404);
  });
});
