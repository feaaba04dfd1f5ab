/**
 * What the GitHub sandbox knows, as plain objects tests can read and the demo can print.
 * Branch tips mirror the bare repositories on disk (git stays the source of truth; `branches`
 * is refreshed after every push, merge and ref change).
 */

export interface SandboxRepo {
  id: number;
  owner: string;
  name: string;
  /** `owner/name`. */
  fullName: string;
  /** The bare repository on disk. */
  dir: string;
  defaultBranch: string;
  /** Branch name -> commit sha, as last read from the bare repository. */
  branches: Record<string, string>;
  createdAt: string;
  pushedAt: string;
  labels: SandboxLabel[];
}

export interface SandboxLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface SandboxPullRef {
  ref: string;
  sha: string;
}

export interface SandboxPull {
  id: number;
  number: number;
  repo: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergedAt: string | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  head: SandboxPullRef;
  /** `sha` is the base tip when the PR was last updated; responses show the live tip. */
  base: SandboxPullRef;
  title: string;
  body: string | null;
  labels: string[];
  requestedReviewers: string[];
  requestedTeams: string[];
  draft: boolean;
  user: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Commits the head carried that the base lacked, refreshed on every push (for `commits/{sha}/pulls`). */
  commitShas: string[];
  /** Commits the merge created on the base branch (merge commit, squash commit, or rebased copies). */
  mergeCreatedShas: string[];
}

/** An issue that is not a pull request; both share the repository's number sequence and the comment list. */
export interface SandboxIssue {
  id: number;
  number: number;
  repo: string;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'duplicate' | 'reopened' | null;
  labels: string[];
  user: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedBy: string | null;
}

export interface SandboxComment {
  id: number;
  repo: string;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

/** A commit status, as CI services post them (`POST /repos/{o}/{r}/statuses/{sha}`). */
export interface SandboxStatus {
  id: number;
  repo: string;
  sha: string;
  state: 'error' | 'failure' | 'pending' | 'success';
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: string;
  createdAt: string;
  updatedAt: string;
}

/** A check run (`POST /repos/{o}/{r}/check-runs`). */
export interface SandboxCheckRun {
  id: number;
  repo: string;
  headSha: string;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  detailsUrl: string | null;
  startedAt: string;
  completedAt: string | null;
}

/** A pull request review; reviewers are other people, so tests add them (`addReview`). */
export interface SandboxReview {
  id: number;
  repo: string;
  pullNumber: number;
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  body: string;
  commitId: string;
  submittedAt: string;
}

export interface GitHubState {
  repos: Map<string, SandboxRepo>;
  pulls: SandboxPull[];
  issues: SandboxIssue[];
  comments: SandboxComment[];
  statuses: SandboxStatus[];
  checkRuns: SandboxCheckRun[];
  reviews: SandboxReview[];
  nextId: number;
}

/** A fresh, empty state. */
export function emptyGitHubState(): GitHubState {
  return {
    repos: new Map(),
    pulls: [],
    issues: [],
    comments: [],
    statuses: [],
    checkRuns: [],
    reviews: [],
    nextId: 1000,
  };
}

/** The number of the next issue or pull request of `repo`: GitHub numbers both in one sequence. */
export function nextIssueNumber(state: GitHubState, repoFullName: string): number {
  const numbers = [...state.pulls, ...state.issues]
    .filter((i) => i.repo === repoFullName)
    .map((i) => i.number);
  return Math.max(0, ...numbers) + 1;
}

/** Allocates an id unique across the sandbox, as GitHub's ids are. */
export function nextId(state: GitHubState): number {
  state.nextId += 1;
  return state.nextId;
}
