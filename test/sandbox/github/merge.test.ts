import { RequestError } from '@octokit/request-error';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../../../src/sandbox/github/bare-repo.js';
import {
  cloneRepo,
  commitFiles,
  type GitHubHarness,
  gitOk,
  NAME,
  OWNER,
  pushBranch,
  REPO,
  startGitHub,
} from './setup.js';

let h: GitHubHarness;
const repo = { owner: OWNER, repo: NAME };

beforeAll(async () => {
  h = await startGitHub();
});
afterAll(() => h.close());
afterEach(() => {
  expect(h.problems.splice(0)).toEqual([]);
});

const bare = () => h.service.repo(REPO).dir;
const parentsOf = async (sha: string) =>
  (await git(bare(), ['rev-list', '--parents', '-n', '1', sha])).split(' ').slice(1);

async function failure(promise: Promise<unknown>): Promise<RequestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RequestError)) throw new Error(`expected a RequestError, got ${String(error)}`);
  return error;
}

/** A branch with two commits touching its own file, and a PR for it. */
async function openPr(branch: string) {
  const dir = await cloneRepo(h);
  await gitOk(['checkout', '--quiet', '-b', branch], { cwd: dir });
  const first = await commitFiles(dir, { [`images/${branch}.txt`]: 'one\n' }, `${branch}: first`);
  const second = await commitFiles(dir, { [`images/${branch}.txt`]: 'one\ntwo\n' }, `${branch}: second`);
  await gitOk(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: dir });
  const { data: pr } = await h.octokit.rest.pulls.create({
    ...repo,
    head: branch,
    base: 'main',
    title: `Merge ${branch}`,
  });
  return { pr, commits: [first, second], dir };
}

describe('merging', () => {
  it('merge commit: two parents, main moved, PR recorded as merged and found from every commit', async () => {
    const mainBefore = h.service.repo(REPO).branches.main as string;
    const { pr, commits } = await openPr('merge-commit');
    const { data: result } = await h.octokit.rest.pulls.merge({
      ...repo,
      pull_number: pr.number,
      merge_method: 'merge',
      sha: pr.head.sha,
    });
    expect(result).toMatchObject({ merged: true, message: 'Pull Request successfully merged' });
    expect(await git(bare(), ['rev-parse', 'refs/heads/main'])).toBe(result.sha);
    expect(await parentsOf(result.sha)).toEqual([mainBefore, commits[1]]);
    expect(await git(bare(), ['log', '-1', '--format=%s', result.sha])).toBe(
      `Merge pull request #${pr.number} from ${OWNER}/merge-commit`,
    );

    const { data: merged } = await h.octokit.rest.pulls.get({ ...repo, pull_number: pr.number });
    expect(merged).toMatchObject({
      state: 'closed',
      merged: true,
      merge_commit_sha: result.sha,
      merged_by: { login: 'hephestus-bot' },
    });
    expect(merged.merged_at).not.toBeNull();
    expect((await h.octokit.rest.pulls.checkIfMerged({ ...repo, pull_number: pr.number })).status).toBe(204);

    for (const sha of [result.sha, ...commits]) {
      const { data } = await h.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
        ...repo,
        commit_sha: sha,
      });
      expect(data.map((p) => p.number)).toEqual([pr.number]);
    }
  });

  it('squash: one new commit with one parent holding the whole change', async () => {
    const mainBefore = h.service.repo(REPO).branches.main as string;
    const { pr } = await openPr('squash-me');
    const { data: result } = await h.octokit.rest.pulls.merge({
      ...repo,
      pull_number: pr.number,
      merge_method: 'squash',
    });
    expect(await parentsOf(result.sha)).toEqual([mainBefore]);
    expect(await git(bare(), ['log', '-1', '--format=%s', result.sha])).toBe(
      `Merge squash-me (#${pr.number})`,
    );
    expect(await git(bare(), ['show', `${result.sha}:images/squash-me.txt`])).toBe('one\ntwo');
    const { data } = await h.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      ...repo,
      commit_sha: result.sha,
    });
    expect(data.map((p) => [p.number, p.merged_at !== null])).toEqual([[pr.number, true]]);
  });

  it('rebase: each commit replayed onto main with its author, the last one is the merge_commit_sha', async () => {
    const mainBefore = h.service.repo(REPO).branches.main as string;
    const { pr, commits } = await openPr('rebase-me');
    // main moves on after the branch was cut, so the replayed commits must differ from the originals.
    await pushBranch(h, 'unrelated', { 'NOTES.md': 'unrelated\n' });
    const { data: side } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'unrelated',
      base: 'main',
      title: 'Unrelated',
    });
    await h.octokit.rest.pulls.merge({ ...repo, pull_number: side.number, merge_method: 'merge' });
    const { data: result } = await h.octokit.rest.pulls.merge({
      ...repo,
      pull_number: pr.number,
      merge_method: 'rebase',
    });

    const replayed = (
      await git(bare(), [
        'rev-list',
        '--reverse',
        `${mainBefore}..${result.sha}`,
        '--',
        'images/rebase-me.txt',
      ])
    ).split('\n');
    expect(replayed).toHaveLength(2);
    expect(replayed).not.toEqual(commits);
    expect(replayed.at(-1)).toBe(result.sha);
    expect(await git(bare(), ['log', '-1', '--format=%an|%cn', result.sha])).toBe('Hephestus Test|GitHub');
    const { data: merged } = await h.octokit.rest.pulls.get({ ...repo, pull_number: pr.number });
    expect(merged.merge_commit_sha).toBe(result.sha);
    for (const sha of replayed) {
      const { data } = await h.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
        ...repo,
        commit_sha: sha,
      });
      expect(data.map((p) => p.number)).toEqual([pr.number]);
    }
  });

  it('answers 409 when the head moved, 405 for a draft, a conflict or a closed PR, 422 for a bad method', async () => {
    const { pr } = await openPr('guarded');
    const target = { ...repo, pull_number: pr.number };
    const stale = await failure(h.octokit.rest.pulls.merge({ ...target, sha: 'f'.repeat(40) }));
    expect(stale.status).toBe(409);
    expect(stale.response?.data).toMatchObject({
      message: 'Head branch was modified. Review and try the merge again.',
    });
    const bad = await failure(
      h.octokit.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
        ...target,
        // Deliberately outside the API's enum.
        merge_method: 'octopus' as 'merge',
      }),
    );
    expect(bad.status).toBe(422);
    // The fidelity check flags the invalid request body too; take that finding out so the rest stays strict.
    expect(h.problems.splice(0)).toEqual([
      expect.stringContaining('/merge_method must be equal to one of the allowed values'),
    ]);

    await pushBranch(h, 'draft', { 'DRAFT.md': 'x\n' });
    const { data: draft } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'draft',
      base: 'main',
      title: 'Draft',
      draft: true,
    });
    expect((await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: draft.number }))).status).toBe(
      405,
    );

    // Two PRs editing the same line: once one is merged the other conflicts.
    await pushBranch(h, 'left', { 'resources/config.edn': '{:left true}\n' });
    await pushBranch(h, 'right', { 'resources/config.edn': '{:right true}\n' });
    const { data: left } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'left',
      base: 'main',
      title: 'Left',
    });
    const { data: right } = await h.octokit.rest.pulls.create({
      ...repo,
      head: 'right',
      base: 'main',
      title: 'Right',
    });
    await h.octokit.rest.pulls.merge({ ...repo, pull_number: left.number });
    const { data: conflicted } = await h.octokit.rest.pulls.get({ ...repo, pull_number: right.number });
    expect(conflicted).toMatchObject({ mergeable: false, mergeable_state: 'dirty' });
    const conflict = await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: right.number }));
    expect(conflict.status).toBe(405);
    expect(conflict.response?.data).toMatchObject({ message: 'Pull Request is not mergeable' });
    expect((await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: left.number }))).status).toBe(
      405,
    );
  });

  it('moves the PR head when the branch is pushed, so a merge with the old sha is refused', async () => {
    const { pr, dir } = await openPr('moving');
    const newer = await commitFiles(dir, { 'images/moving.txt': 'three\n' }, 'moving: third');
    await gitOk(['push', '--quiet', 'origin', 'HEAD:refs/heads/moving'], { cwd: dir });
    expect(h.service.pulls(REPO).find((p) => p.number === pr.number)?.head.sha).toBe(newer);
    const { data: moved } = await h.octokit.rest.pulls.get({ ...repo, pull_number: pr.number });
    expect(moved).toMatchObject({ head: { sha: newer }, commits: 3 });
    expect(
      (await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: pr.number, sha: pr.head.sha })))
        .status,
    ).toBe(409);
    const { data } = await h.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      ...repo,
      commit_sha: newer,
    });
    expect(data.map((p) => p.number)).toEqual([pr.number]);
  });
});
