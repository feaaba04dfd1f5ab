/** Git objects and repository contents rendered as GitHub's REST objects (git data and contents endpoints). */
import type { CommitInfo } from './bare-repo.js';
import type { TreeEntry } from './git-objects.js';
import type { UrlBase } from './github-json.js';
import type { SandboxRepo } from './github-state.js';

/** `…/git/{trees,blobs,commits}/{sha}`. */
export function gitObjectUrl(base: UrlBase, repo: SandboxRepo, kind: string, sha: string): string {
  return `${base.api}/repos/${repo.fullName}/git/${kind}/${sha}`;
}

/** A tree entry's `url`: trees point at the trees endpoint, everything else at blobs. */
export function entryUrl(base: UrlBase, repo: SandboxRepo, entry: Pick<TreeEntry, 'type' | 'sha'>): string {
  return gitObjectUrl(base, repo, entry.type === 'tree' ? 'trees' : 'blobs', entry.sha);
}

/** A `git-commit` (the git data API's commit, not the REST `commit`). */
export function gitCommitJson(base: UrlBase, repo: SandboxRepo, commit: CommitInfo) {
  return {
    sha: commit.sha,
    node_id: `C_kwDO${Buffer.from(commit.sha.slice(0, 12)).toString('base64url')}`,
    url: gitObjectUrl(base, repo, 'commits', commit.sha),
    html_url: `${base.web}/${repo.fullName}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    message: commit.message,
    tree: { sha: commit.tree, url: gitObjectUrl(base, repo, 'trees', commit.tree) },
    parents: commit.parents.map((sha) => ({
      sha,
      url: gitObjectUrl(base, repo, 'commits', sha),
      html_url: `${base.web}/${repo.fullName}/commit/${sha}`,
    })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

/** One entry of the contents API (`content-file`, a directory listing's item), as read at `ref`. */
export function contentItemJson(base: UrlBase, repo: SandboxRepo, ref: string, entry: TreeEntry) {
  const self = `${base.api}/repos/${repo.fullName}/contents/${entry.path}?ref=${ref}`;
  const git = entryUrl(base, repo, entry);
  const html = `${base.web}/${repo.fullName}/${entry.type === 'tree' ? 'tree' : 'blob'}/${ref}/${entry.path}`;
  return {
    type: contentType(entry),
    size: entry.size ?? 0,
    name: entry.path.slice(entry.path.lastIndexOf('/') + 1),
    path: entry.path,
    sha: entry.sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: entry.type === 'blob' ? `${base.web}/${repo.fullName}/raw/${ref}/${entry.path}` : null,
    _links: { self, git, html },
  };
}

function contentType(entry: TreeEntry): 'dir' | 'submodule' | 'symlink' | 'file' {
  if (entry.type === 'tree') return 'dir';
  if (entry.type === 'commit') return 'submodule';
  return entry.mode === '120000' ? 'symlink' : 'file';
}
