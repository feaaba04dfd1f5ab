/** Pull requests as the REST API shows them (the short and the full form), and a new one's record. */
import { diffFiles, mergeTrees } from './bare-repo.js';
import { timestamp } from './github-api.js';
import { pullJson, type UrlBase } from './github-json.js';
import {
  type GitHubState,
  nextId,
  nextIssueNumber,
  type SandboxPull,
  type SandboxRepo,
} from './github-state.js';
import { baseTip, mergeBase } from './github-world.js';

/** The `pull-request-simple` of lists and reviewer changes: no git work. */
export function simplePull(base: UrlBase, repo: SandboxRepo, pr: SandboxPull) {
  return pullJson(base, repo, pr, baseTip(repo, pr));
}

/** The full `pull-request`: diff counts and mergeability, read from git. */
export async function fullPull(state: GitHubState, base: UrlBase, repo: SandboxRepo, pr: SandboxPull) {
  const baseSha = baseTip(repo, pr);
  // The diff and the merge check are independent git runs: asked at once.
  const [files, mergeable] = await Promise.all([
    pr.merged
      ? []
      : mergeBase(repo.dir, baseSha, pr.head.sha).then((from) => diffFiles(repo.dir, from, pr.head.sha)),
    pr.state === 'open'
      ? mergeTrees(repo.dir, baseSha, pr.head.sha).then((tree) => tree !== undefined)
      : null,
  ]);
  return pullJson(base, repo, pr, baseSha, {
    baseSha,
    mergeable,
    commits: pr.commitShas.length,
    additions: files.reduce((n, f) => n + f.additions, 0),
    deletions: files.reduce((n, f) => n + f.deletions, 0),
    changedFiles: files.length,
    comments: state.comments.filter((c) => c.repo === repo.fullName && c.issueNumber === pr.number).length,
  });
}

export interface PullOpening {
  headRef: string;
  headSha: string;
  baseRef: string;
  baseSha: string;
  /** The commits the head has that the base lacks. */
  commitShas: string[];
}

/** A new open pull request in `repo`, numbered after the repository's last one. */
export function newPull(
  state: GitHubState,
  repo: SandboxRepo,
  opening: PullOpening,
  fields: Pick<SandboxPull, 'title' | 'body' | 'draft' | 'user'>,
): SandboxPull {
  const now = timestamp();
  return {
    id: nextId(state),
    number: nextIssueNumber(state, repo.fullName),
    repo: repo.fullName,
    state: 'open',
    merged: false,
    mergedAt: null,
    mergedBy: null,
    mergeCommitSha: null,
    head: { ref: opening.headRef, sha: opening.headSha },
    base: { ref: opening.baseRef, sha: opening.baseSha },
    ...fields,
    labels: [],
    requestedReviewers: [],
    requestedTeams: [],
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    commitShas: opening.commitShas,
    mergeCreatedShas: [],
  };
}
