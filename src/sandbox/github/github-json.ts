/**
 * The sandbox state rendered as GitHub's REST objects, with every field GitHub's OpenAPI schemas
 * require (the fidelity tests validate each one) and URLs pointing at the sandbox.
 */
import type { CommitInfo, FileChange } from './bare-repo.js';
import type {
  SandboxCheckRun,
  SandboxComment,
  SandboxIssue,
  SandboxLabel,
  SandboxPull,
  SandboxRepo,
  SandboxReview,
  SandboxStatus,
} from './github-state.js';

/** Where the sandbox is reached (`http://127.0.0.1:port`), for the URLs in every object. */
export interface UrlBase {
  api: string;
  web: string;
}

type Json = Record<string, unknown>;

const nodeId = (prefix: string, id: number) =>
  `${prefix}_kgDO${Buffer.from(String(id)).toString('base64url')}`;

/** A `simple-user` for `login`; the id is derived from the login so it is stable across runs. */
export function userJson(base: UrlBase, login: string): Json {
  const id = [...login].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 90_000_000, 7) + 10_000;
  const url = `${base.api}/users/${login}`;
  return {
    login,
    id,
    node_id: nodeId('U', id),
    avatar_url: `${base.web}/avatars/${login}`,
    gravatar_id: '',
    url,
    html_url: `${base.web}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
    site_admin: false,
  };
}

/** A `private-user`: what `GET /user` answers about the token's owner. */
export function privateUserJson(base: UrlBase, login: string): Json {
  const epoch = '2024-01-01T00:00:00Z';
  return {
    ...userJson(base, login),
    name: login,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: epoch,
    updated_at: epoch,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
  };
}

/** A `repository` / `full-repository` (the latter adds `network_count` and `subscribers_count`). */
export function repoJson(base: UrlBase, repo: SandboxRepo, full = false): Json {
  const url = `${base.api}/repos/${repo.fullName}`;
  const json: Json = {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: repo.fullName,
    owner: userJson(base, repo.owner),
    private: true,
    html_url: `${base.web}/${repo.fullName}`,
    description: null,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    hooks_url: `${url}/hooks`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${base.web}/${repo.fullName}.git`,
    git_url: `${base.web.replace(/^https?:/, 'git:')}/${repo.fullName}.git`,
    ssh_url: `git@sandbox.invalid:${repo.fullName}.git`,
    svn_url: `${base.web}/${repo.fullName}`,
    mirror_url: null,
    homepage: null,
    language: 'Clojure',
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    default_branch: repo.defaultBranch,
    open_issues: 0,
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'private',
    pushed_at: repo.pushedAt,
    created_at: repo.createdAt,
    updated_at: repo.pushedAt,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    allow_merge_commit: true,
    allow_squash_merge: true,
    allow_rebase_merge: true,
    delete_branch_on_merge: false,
    license: null,
  };
  if (full) {
    json.network_count = 0;
    json.subscribers_count = 0;
  }
  return json;
}

/** A `label`. */
export function labelJson(base: UrlBase, repo: SandboxRepo, label: SandboxLabel): Json {
  return {
    id: label.id,
    node_id: nodeId('LA', label.id),
    url: `${base.api}/repos/${repo.fullName}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: false,
  };
}

/** A `git-ref` for a branch. */
export function refJson(base: UrlBase, repo: SandboxRepo, branch: string, sha: string): Json {
  return {
    ref: `refs/heads/${branch}`,
    node_id: nodeId('REF', repo.id),
    url: `${base.api}/repos/${repo.fullName}/git/refs/heads/${branch}`,
    object: { type: 'commit', sha, url: `${base.api}/repos/${repo.fullName}/git/commits/${sha}` },
  };
}

/** A `commit` as the commits and compare endpoints return it. */
export function commitJson(base: UrlBase, repo: SandboxRepo, commit: CommitInfo, files?: Json[]): Json {
  const url = `${base.api}/repos/${repo.fullName}/commits/${commit.sha}`;
  const json: Json = {
    url,
    sha: commit.sha,
    node_id: nodeId('C', Number.parseInt(commit.sha.slice(0, 8), 16)),
    html_url: `${base.web}/${repo.fullName}/commit/${commit.sha}`,
    comments_url: `${url}/comments`,
    commit: {
      url: `${base.api}/repos/${repo.fullName}/git/commits/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      comment_count: 0,
      tree: { sha: commit.tree, url: `${base.api}/repos/${repo.fullName}/git/trees/${commit.tree}` },
      verification: {
        verified: false,
        reason: 'unsigned',
        payload: null,
        signature: null,
        verified_at: null,
      },
    },
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${base.api}/repos/${repo.fullName}/commits/${sha}`,
      html_url: `${base.web}/${repo.fullName}/commit/${sha}`,
    })),
  };
  if (files) json.files = files;
  return json;
}

/** A `diff-entry`. */
export function fileJson(base: UrlBase, repo: SandboxRepo, ref: string, change: FileChange): Json {
  const json: Json = {
    sha: change.blobSha,
    filename: change.filename,
    status: change.status,
    additions: change.additions,
    deletions: change.deletions,
    changes: change.additions + change.deletions,
    blob_url: `${base.web}/${repo.fullName}/blob/${ref}/${change.filename}`,
    raw_url: `${base.web}/${repo.fullName}/raw/${ref}/${change.filename}`,
    contents_url: `${base.api}/repos/${repo.fullName}/contents/${change.filename}?ref=${ref}`,
  };
  if (change.previousFilename) json.previous_filename = change.previousFilename;
  return json;
}

/** An `issue-comment`; `kind` says whether it sits on a pull request or an issue (its page differs). */
export function commentJson(
  base: UrlBase,
  repo: SandboxRepo,
  comment: SandboxComment,
  kind: 'pull' | 'issues' = 'pull',
): Json {
  return {
    id: comment.id,
    node_id: nodeId('IC', comment.id),
    url: `${base.api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `${base.web}/${repo.fullName}/${kind}/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${base.api}/repos/${repo.fullName}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: userJson(base, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: 'MEMBER',
  };
}

/**
 * An `issue`: an issue of its own, or a pull request as the issues API shows it (marked by `pull_request`, as
 * GitHub lists pull requests among issues).
 */
export function issueJson(
  base: UrlBase,
  repo: SandboxRepo,
  item: { issue: SandboxIssue } | { pull: SandboxPull },
  comments: number,
): Json {
  const fields = 'issue' in item ? item.issue : { ...item.pull, stateReason: null, closedBy: null };
  const url = `${base.api}/repos/${repo.fullName}/issues/${fields.number}`;
  const html = `${base.web}/${repo.fullName}/${'issue' in item ? 'issues' : 'pull'}/${fields.number}`;
  const json: Json = {
    id: fields.id,
    node_id: nodeId('issue' in item ? 'I' : 'PR', fields.id),
    url,
    repository_url: `${base.api}/repos/${repo.fullName}`,
    labels_url: `${url}/labels{/name}`,
    comments_url: `${url}/comments`,
    events_url: `${url}/events`,
    html_url: html,
    number: fields.number,
    state: fields.state,
    state_reason: fields.stateReason,
    title: fields.title,
    body: fields.body,
    user: userJson(base, fields.user),
    labels: fields.labels.flatMap((name) => {
      const label = repo.labels.find((l) => l.name === name);
      return label ? [labelJson(base, repo, label)] : [];
    }),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments,
    closed_at: fields.closedAt,
    closed_by: fields.closedBy ? userJson(base, fields.closedBy) : null,
    created_at: fields.createdAt,
    updated_at: fields.updatedAt,
    author_association: 'MEMBER',
  };
  if ('pull' in item) {
    const pullUrl = `${base.api}/repos/${repo.fullName}/pulls/${fields.number}`;
    json.draft = item.pull.draft;
    json.pull_request = {
      url: pullUrl,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      merged_at: item.pull.mergedAt,
    };
  }
  return json;
}

export interface PullDetails {
  baseSha: string;
  mergeable: boolean | null;
  commits: number;
  additions: number;
  deletions: number;
  changedFiles: number;
  comments: number;
}

/** A `pull-request-simple`, or with `details` the full `pull-request`. */
export function pullJson(
  base: UrlBase,
  repo: SandboxRepo,
  pr: SandboxPull,
  baseSha: string,
  details?: PullDetails,
): Json {
  const url = `${base.api}/repos/${repo.fullName}/pulls/${pr.number}`;
  const issueUrl = `${base.api}/repos/${repo.fullName}/issues/${pr.number}`;
  const html = `${base.web}/${repo.fullName}/pull/${pr.number}`;
  const statuses = `${base.api}/repos/${repo.fullName}/statuses/${pr.head.sha}`;
  const side = (ref: string, sha: string) => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: userJson(base, repo.owner),
    repo: repoJson(base, repo),
  });
  const json: Json = {
    url,
    id: pr.id,
    node_id: nodeId('PR', pr.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueUrl,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${base.api}/repos/${repo.fullName}/pulls/comments{/number}`,
    comments_url: `${issueUrl}/comments`,
    statuses_url: statuses,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: userJson(base, pr.user),
    body: pr.body,
    labels: pr.labels.flatMap((name) => {
      const label = repo.labels.find((l) => l.name === name);
      return label ? [labelJson(base, repo, label)] : [];
    }),
    milestone: null,
    active_lock_reason: null,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merge_commit_sha: pr.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: pr.requestedReviewers.map((login) => userJson(base, login)),
    requested_teams: pr.requestedTeams.map((slug) => teamJson(base, repo, slug)),
    head: side(pr.head.ref, pr.head.sha),
    base: side(pr.base.ref, baseSha),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issueUrl },
      comments: { href: `${issueUrl}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${base.api}/repos/${repo.fullName}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: statuses },
    },
    author_association: 'MEMBER',
    auto_merge: null,
    draft: pr.draft,
  };
  if (!details) return json;
  const mergeableState =
    pr.state === 'closed' ? 'unknown' : details.mergeable === false ? 'dirty' : pr.draft ? 'draft' : 'clean';
  return {
    ...json,
    merged: pr.merged,
    mergeable: pr.state === 'closed' ? null : details.mergeable,
    rebaseable: pr.state === 'closed' ? null : details.mergeable,
    mergeable_state: mergeableState,
    merged_by: pr.mergedBy ? userJson(base, pr.mergedBy) : null,
    comments: details.comments,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: details.commits,
    additions: details.additions,
    deletions: details.deletions,
    changed_files: details.changedFiles,
  };
}

function teamJson(base: UrlBase, repo: SandboxRepo, slug: string): Json {
  const id = [...slug].reduce((sum, c) => sum + c.charCodeAt(0), 9000);
  const url = `${base.api}/orgs/${repo.owner}/teams/${slug}`;
  return {
    id,
    node_id: nodeId('T', id),
    url,
    html_url: `${base.web}/orgs/${repo.owner}/teams/${slug}`,
    name: slug,
    slug,
    description: null,
    privacy: 'closed',
    permission: 'pull',
    members_url: `${url}/members{/member}`,
    repositories_url: `${url}/repos`,
    parent: null,
    type: 'organization',
  };
}

/** A `status` (what `POST /statuses/{sha}` answers; the combined status lists the same fields). */
export function statusJson(base: UrlBase, repo: SandboxRepo, status: SandboxStatus): Json {
  return {
    url: `${base.api}/repos/${repo.fullName}/statuses/${status.sha}`,
    avatar_url: null,
    id: status.id,
    node_id: nodeId('SC', status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: status.createdAt,
    updated_at: status.updatedAt,
    creator: userJson(base, status.creator),
  };
}

/**
 * A `combined-commit-status`: the newest status per context, and GitHub's overall state (failure if any
 * is error or failure, pending if any is pending or there are none, else success).
 */
export function combinedStatusJson(
  base: UrlBase,
  repo: SandboxRepo,
  sha: string,
  statuses: SandboxStatus[],
): Json {
  const latest = new Map<string, SandboxStatus>();
  for (const status of statuses) latest.set(status.context, status);
  const list = [...latest.values()];
  const state = list.some((s) => s.state === 'error' || s.state === 'failure')
    ? 'failure'
    : list.length === 0 || list.some((s) => s.state === 'pending')
      ? 'pending'
      : 'success';
  return {
    state,
    statuses: list.map((s) => {
      const { creator: _, ...simple } = statusJson(base, repo, s);
      return simple;
    }),
    sha,
    total_count: list.length,
    repository: repoJson(base, repo),
    commit_url: `${base.api}/repos/${repo.fullName}/commits/${sha}`,
    url: `${base.api}/repos/${repo.fullName}/commits/${sha}/status`,
  };
}

/** A `check-run`; the sandbox has no GitHub App, so `app` is null. */
export function checkRunJson(base: UrlBase, repo: SandboxRepo, run: SandboxCheckRun): Json {
  const url = `${base.api}/repos/${repo.fullName}/check-runs/${run.id}`;
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId('CR', run.id),
    external_id: String(run.id),
    url,
    html_url: `${base.web}/${repo.fullName}/runs/${run.id}`,
    details_url: run.detailsUrl,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: null,
      summary: null,
      text: null,
      annotations_count: 0,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.id },
    app: null,
    pull_requests: [],
  };
}

/** A `pull-request-review`. */
export function reviewJson(base: UrlBase, repo: SandboxRepo, review: SandboxReview): Json {
  const html = `${base.web}/${repo.fullName}/pull/${review.pullNumber}`;
  const pullUrl = `${base.api}/repos/${repo.fullName}/pulls/${review.pullNumber}`;
  return {
    id: review.id,
    node_id: nodeId('PRR', review.id),
    user: userJson(base, review.user),
    body: review.body,
    state: review.state,
    html_url: `${html}#pullrequestreview-${review.id}`,
    pull_request_url: pullUrl,
    _links: { html: { href: `${html}#pullrequestreview-${review.id}` }, pull_request: { href: pullUrl } },
    submitted_at: review.submittedAt,
    commit_id: review.commitId,
    author_association: 'MEMBER',
  };
}
