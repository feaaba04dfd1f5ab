/** Merging a pull request the three ways GitHub offers (merge commit, squash, rebase), and asking whether it was. */
import {
  commitsBetween,
  commitTree,
  mergeTrees,
  readCommit,
  replayCommits,
  updateBranch,
} from './bare-repo.js';
import { ApiError, type ApiRoutes, DOCS, notFound, timestamp, validationFailed } from './github-api.js';
import type { SandboxPull, SandboxRepo } from './github-state.js';
import { type GitHubWorld, pullOf, repoOf, syncRepo, WEB_COMMITTER } from './github-world.js';

type MergeMethod = 'merge' | 'squash' | 'rebase';

const notMergeable = (message: string) =>
  new ApiError(405, { message, documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request` });

export function register(api: ApiRoutes, world: GitHubWorld): void {
  const { state } = world;

  api('GET', '/repos/:owner/:repo/pulls/:number/merge', ({ req }) => {
    const pr = pullOf(state, repoOf(state, req), req.params.number);
    if (!pr.merged) throw notFound();
    return { status: 204 };
  });

  api('PUT', '/repos/:owner/:repo/pulls/:number/merge', async ({ req, input, login }) => {
    const repo = repoOf(state, req);
    const pr = pullOf(state, repo, req.params.number);
    const method = input.merge_method ?? 'merge';
    if (method !== 'merge' && method !== 'squash' && method !== 'rebase') {
      throw validationFailed(
        [{ resource: 'PullRequest', field: 'merge_method', code: 'invalid' }],
        `Invalid merge_method: ${method}`,
      );
    }
    if (pr.state !== 'open') throw notMergeable('Pull Request is not mergeable');
    if (pr.draft) throw notMergeable('Pull Request is still a draft');
    if (typeof input.sha === 'string' && input.sha !== pr.head.sha) {
      throw new ApiError(409, {
        message: 'Head branch was modified. Review and try the merge again.',
        documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request`,
      });
    }
    const onto = repo.branches[pr.base.ref];
    if (!onto) throw notMergeable('Base branch was deleted');
    const commits = await commitsBetween(repo.dir, onto, pr.head.sha);
    const now = timestamp();
    const created =
      method === 'rebase'
        ? await rebased(repo, onto, commits, now)
        : [await mergeCommit(world, repo, pr, { method, onto, commits, now, input })];
    const tip = created[created.length - 1] ?? onto;
    await updateBranch(repo.dir, pr.base.ref, tip, onto);
    Object.assign(pr, {
      state: 'closed',
      merged: true,
      mergedAt: now,
      mergedBy: login,
      closedAt: now,
      updatedAt: now,
      mergeCommitSha: tip,
      mergeCreatedShas: created,
      commitShas: commits,
    });
    repo.pushedAt = now;
    await syncRepo(state, repo);
    return { status: 200, body: { sha: tip, merged: true, message: 'Pull Request successfully merged' } };
  });
}

/** The PR's commits replayed onto the base tip, committed by GitHub. */
async function rebased(repo: SandboxRepo, onto: string, commits: string[], now: string): Promise<string[]> {
  const replayed = await replayCommits(repo.dir, onto, commits, { ...WEB_COMMITTER, date: now });
  if (!replayed) throw notMergeable('This branch can\u2019t be rebased');
  return replayed;
}

interface MergeRequest {
  method: Exclude<MergeMethod, 'rebase'>;
  onto: string;
  commits: string[];
  now: string;
  input: Record<string, unknown>;
}

/** The one commit a merge or squash adds to the base: two parents for a merge, one for a squash. */
async function mergeCommit(
  world: GitHubWorld,
  repo: SandboxRepo,
  pr: SandboxPull,
  { method, onto, commits, now, input }: MergeRequest,
): Promise<string> {
  const tree = await mergeTrees(repo.dir, onto, pr.head.sha);
  if (!tree) throw notMergeable('Pull Request is not mergeable');
  const title =
    typeof input.commit_title === 'string'
      ? input.commit_title
      : method === 'merge'
        ? `Merge pull request #${pr.number} from ${repo.owner}/${pr.head.ref}`
        : `${pr.title} (#${pr.number})`;
  const detail =
    typeof input.commit_message === 'string'
      ? input.commit_message
      : method === 'merge'
        ? pr.title
        : (
            await Promise.all(commits.map(async (sha) => `* ${(await readCommit(repo.dir, sha)).message}`))
          ).join('\n\n');
  const parents = method === 'merge' ? [onto, pr.head.sha] : [onto];
  return commitTree(
    repo.dir,
    tree,
    parents,
    `${title}\n\n${detail}\n`,
    { ...world.merger, date: now },
    { ...WEB_COMMITTER, date: now },
  );
}
