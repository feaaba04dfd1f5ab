/**
 * What the GitHub route modules share: the state tests read, who GitHub commits as, the faults that act inside
 * a route, and the lookups every route starts with (the repository, the pull request, the commit).
 */
import type { SandboxRequest } from '../http.js';
import { commitsBetween, type GitIdentity, git, listBranches, resolveCommit } from './bare-repo.js';
import { noCommit, notFound, timestamp } from './github-api.js';
import type { GitHubState, SandboxPull, SandboxRepo } from './github-state.js';

/** A push that finds its branch moved by someone else first (faults.rejectNextPush). */
export interface PendingPushRejection {
  repo: string;
  branch: string;
  path: string;
  content: string;
  author: GitIdentity;
}

export interface GitHubWorld {
  state: GitHubState;
  /** The token owner's identity, on merges and on API commits that name no author. */
  merger: GitIdentity;
  /** Repositories whose next pull request races one opened by someone else (faults.pullOpenedMeanwhile). */
  pendingPullRaces: string[];
  pendingPushRejections: PendingPushRejection[];
}

/** The committer of commits GitHub makes on the web (merges, rebases). */
export const WEB_COMMITTER: GitIdentity = { name: 'GitHub', email: 'noreply@github.com' };

/** The repository the route's `:owner/:repo` names, or 404. */
export function repoOf(state: GitHubState, req: SandboxRequest): SandboxRepo {
  const repo = state.repos.get(`${req.params.owner}/${req.params.repo}`);
  if (!repo) throw notFound();
  return repo;
}

/** Pull request `number` of `repo`, or 404. */
export function pullOf(state: GitHubState, repo: SandboxRepo, number: string | undefined): SandboxPull {
  const pr = state.pulls.find((p) => p.repo === repo.fullName && p.number === Number(number));
  if (!pr) throw notFound();
  return pr;
}

/** The commit `ref` names in `repo`, or GitHub's 422. */
export async function commitOf(repo: SandboxRepo, ref: string | undefined): Promise<string> {
  const sha = await resolveCommit(repo.dir, ref ?? '');
  if (!sha) throw noCommit(ref);
  return sha;
}

/** The live tip of a pull request's base branch (its recorded sha once the branch is gone). */
export function baseTip(repo: SandboxRepo, pr: SandboxPull): string {
  return repo.branches[pr.base.ref] ?? pr.base.sha;
}

export async function mergeBase(gitDir: string, a: string, b: string): Promise<string> {
  return git(gitDir, ['merge-base', a, b]);
}

/** Re-reads branch tips and moves PR heads along (after pushes, merges and ref changes). */
export async function syncRepo(state: GitHubState, repo: SandboxRepo): Promise<void> {
  repo.branches = await listBranches(repo.dir);
  const now = timestamp();
  for (const pr of state.pulls.filter((p) => p.repo === repo.fullName && p.state === 'open')) {
    const head = repo.branches[pr.head.ref];
    if (head === undefined) {
      // GitHub closes a pull request whose head branch is deleted.
      Object.assign(pr, { state: 'closed', closedAt: now, updatedAt: now });
    } else if (head !== pr.head.sha) {
      pr.head.sha = head;
      pr.base.sha = baseTip(repo, pr);
      pr.commitShas = await commitsBetween(repo.dir, pr.base.sha, head);
      pr.updatedAt = now;
    }
  }
}
