import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GitHubHarness, NAME, OWNER, pushBranch, REPO, startGitHub } from './setup.js';

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

describe('commit statuses, check runs and reviews', () => {
  it('combines the newest status per context as GitHub does', async () => {
    const sha = await pushBranch(h, 'windows-update/statuses', { 'a.txt': 'a\n' });
    const empty = await h.octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: sha });
    expect(empty.data).toMatchObject({ state: 'pending', total_count: 0, sha });

    await h.octokit.rest.repos.createCommitStatus({ ...repo, sha, state: 'pending', context: 'ci/build' });
    await h.octokit.rest.repos.createCommitStatus({ ...repo, sha, state: 'success', context: 'ci/lint' });
    expect((await h.octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: sha })).data.state).toBe(
      'pending',
    );
    await h.octokit.rest.repos.createCommitStatus({ ...repo, sha, state: 'success', context: 'ci/build' });
    const green = (await h.octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: sha })).data;
    expect(green.state).toBe('success');
    expect(green.statuses.map((s) => [s.context, s.state])).toEqual([
      ['ci/build', 'success'],
      ['ci/lint', 'success'],
    ]);
    await h.octokit.rest.repos.createCommitStatus({ ...repo, sha, state: 'error', context: 'ci/lint' });
    expect((await h.octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: sha })).data.state).toBe(
      'failure',
    );
    const refused = await h.octokit.rest.repos
      .createCommitStatus({ ...repo, sha: 'f'.repeat(40), state: 'success' })
      .catch((e: { status: number }) => e.status);
    expect(refused).toBe(422);
  });

  it('lists the newest check run of each name for a commit', async () => {
    const sha = await pushBranch(h, 'windows-update/checks', { 'b.txt': 'b\n' });
    await h.octokit.rest.checks.create({ ...repo, head_sha: sha, name: 'build', status: 'in_progress' });
    await h.octokit.rest.checks.create({ ...repo, head_sha: sha, name: 'build', conclusion: 'success' });
    await h.octokit.rest.checks.create({ ...repo, head_sha: sha, name: 'smoke', status: 'queued' });
    const { data } = await h.octokit.rest.checks.listForRef({ ...repo, ref: sha });
    expect(data.total_count).toBe(2);
    expect(data.check_runs.map((r) => [r.name, r.status, r.conclusion])).toEqual([
      ['build', 'completed', 'success'],
      ['smoke', 'queued', null],
    ]);
  });

  it('lists the reviews of a pull request', async () => {
    await pushBranch(h, 'windows-update/reviews', { 'c.txt': 'c\n' });
    const { data: pr } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'windows-update/reviews',
      base: 'main',
      title: 'Reviews',
    });
    expect((await h.octokit.rest.pulls.listReviews({ ...repo, pull_number: pr.number })).data).toEqual([]);
    h.service.addReview(REPO, pr.number, { user: 'alice', state: 'CHANGES_REQUESTED', body: 'not yet' });
    h.service.addReview(REPO, pr.number, { user: 'alice', state: 'APPROVED' });
    const { data } = await h.octokit.rest.pulls.listReviews({ ...repo, pull_number: pr.number });
    expect(data.map((r) => [r.user?.login, r.state, r.commit_id])).toEqual([
      ['alice', 'CHANGES_REQUESTED', pr.head.sha],
      ['alice', 'APPROVED', pr.head.sha],
    ]);
  });
});
