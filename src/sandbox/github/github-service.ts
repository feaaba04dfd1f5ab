/**
 * The sandbox's GitHub: the REST endpoints Hephestus uses (repos, refs, pulls, merges, comments,
 * labels, reviewers, compare) and git smart HTTP on one router, over real bare repositories.
 * Status codes, error bodies, pagination and rate-limit headers follow GitHub; responses carry
 * the fields GitHub's OpenAPI schemas require (test/sandbox/openapi.ts checks every one).
 */

import { type Fault, Router, type SandboxRequest, type SandboxResponse } from '../http.js';
import { seedBareRepo } from '../seed-repos.js';
import {
  type CommitInfo,
  commitFileOnBranch,
  commitsBetween,
  commitTree,
  deleteBranch,
  diffFiles,
  type GitIdentity,
  git,
  listBranches,
  mergeTrees,
  readCommit,
  replayCommits,
  resolveCommit,
  runGit,
  updateBranch,
} from './bare-repo.js';
import { bareRepoDir, gitRoutes, registerGitHttp } from './git-http.js';
import {
  entryAt,
  listTree,
  type NewTreeEntry,
  objectType,
  objectTypes,
  readBlob,
  type TreeEntry,
  TreeInputError,
  writeBlob,
  writeTree,
} from './git-objects.js';
import {
  checkRunJson,
  combinedStatusJson,
  commentJson,
  commitJson,
  fileJson,
  labelJson,
  privateUserJson,
  pullJson,
  refJson,
  repoJson,
  reviewJson,
  statusJson,
  type UrlBase,
} from './github-json.js';
import {
  emptyGitHubState,
  type GitHubState,
  nextId,
  type SandboxCheckRun,
  type SandboxPull,
  type SandboxRepo,
  type SandboxReview,
  type SandboxStatus,
} from './github-state.js';

export interface GitHubServiceOptions {
  /** Where the bare repositories live (`<reposDir>/<owner>/<repo>.git`). */
  reposDir: string;
  /** The one token the sandbox accepts, for REST and git alike. */
  token: string;
  /** The login the token belongs to: author of PRs and comments it creates, merger of PRs. */
  login?: string;
  /** Overrides the URL objects point at; by default taken from each request's Host header. */
  baseUrl?: string;
  /** Sees every REST exchange a handler answered (the fidelity tests validate them against the OpenAPI description). */
  observe?: (exchange: GitHubExchange) => void;
}

export interface GitHubExchange {
  method: string;
  path: string;
  status: number;
  requestBody: unknown;
  responseBody: unknown;
}

const DOCS = 'https://docs.github.com/rest';
const STATUS_STATES: readonly SandboxStatus['state'][] = ['error', 'failure', 'pending', 'success'];
const RATE_LIMIT = 5000;
const MAX_PAGE = 100;

/** An answer other than 2xx, thrown from deep inside a handler. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

const notFound = () => new ApiError(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
const validationFailed = (errors: Record<string, unknown>[], message = 'Validation Failed') =>
  new ApiError(422, { message, errors, documentation_url: `${DOCS}/pulls/pulls`, status: '422' });

interface Context {
  req: SandboxRequest;
  base: UrlBase;
  input: Record<string, unknown>;
  /** The login of the user the request's token belongs to. */
  login: string;
}

type ApiHandler = (ctx: Context) => Promise<SandboxResponse> | SandboxResponse;

/** Creates the GitHub service: its router (REST + git), its state, and helpers for tests and the demo. */
export function createGitHubService(options: GitHubServiceOptions) {
  const router = new Router('github');
  const state: GitHubState = emptyGitHubState();
  const login = options.login ?? 'hephestus-bot';
  // Token -> login: the bot's token, plus the people tests add (an attacker commenting, a fork's author).
  const users = new Map<string, string>([[options.token, login]]);
  const pendingPullRaces: string[] = [];
  const pendingPushRejections: {
    repo: string;
    branch: string;
    path: string;
    content: string;
    author: GitIdentity;
  }[] = [];
  const rate = { used: 0, reset: Math.floor(Date.now() / 1000) + 3600 };
  const merger: GitIdentity = { name: login, email: `${login}@users.noreply.sandbox.invalid` };
  const webCommitter: GitIdentity = { name: 'GitHub', email: 'noreply@github.com' };

  const rateHeaders = (remaining = RATE_LIMIT - rate.used): Record<string, string> => ({
    'x-ratelimit-limit': String(RATE_LIMIT),
    'x-ratelimit-remaining': String(Math.max(0, remaining)),
    'x-ratelimit-reset': String(rate.reset),
    'x-ratelimit-used': String(rate.used),
    'x-ratelimit-resource': 'core',
  });

  const api = (method: string, pattern: string, handler: ApiHandler) => {
    router.on(method, pattern, async (req) => {
      rate.used += 1;
      const input = parseJson(req.body);
      let response: SandboxResponse;
      const caller = users.get(bearerToken(req.headers.authorization) ?? '');
      if (caller === undefined) {
        response = {
          status: 401,
          body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' },
        };
      } else {
        const host = options.baseUrl ?? `http://${req.headers.host ?? '127.0.0.1'}`;
        try {
          response = await handler({
            req,
            base: { api: host, web: host },
            input: isObject(input) ? input : { _: input },
            login: caller,
          });
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          response = { status: error.status, body: error.body };
        }
      }
      options.observe?.({
        method,
        path: req.url.pathname,
        status: response.status,
        requestBody: input,
        responseBody: response.body,
      });
      return {
        ...response,
        headers: {
          ...rateHeaders(),
          'x-github-request-id': requestId(),
          'x-github-api-version-selected': '2022-11-28',
          'x-github-media-type': 'github.v3',
          ...response.headers,
        },
      };
    });
  };

  const repoOf = (req: SandboxRequest): SandboxRepo => {
    const repo = state.repos.get(`${req.params.owner}/${req.params.repo}`);
    if (!repo) throw notFound();
    return repo;
  };
  const pullOf = (repo: SandboxRepo, number: string | undefined): SandboxPull => {
    const pr = state.pulls.find((p) => p.repo === repo.fullName && p.number === Number(number));
    if (!pr) throw notFound();
    return pr;
  };
  const baseTip = (repo: SandboxRepo, pr: SandboxPull) => repo.branches[pr.base.ref] ?? pr.base.sha;
  const simplePull = (base: UrlBase, repo: SandboxRepo, pr: SandboxPull) =>
    pullJson(base, repo, pr, baseTip(repo, pr));
  const fullPull = async (base: UrlBase, repo: SandboxRepo, pr: SandboxPull) => {
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
  };

  /** Re-reads branch tips and moves PR heads along (after pushes, merges and ref changes). */
  const syncRepo = async (repo: SandboxRepo) => {
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
  };

  // --- repositories and refs ---
  // The authenticated user: how a client learns whose token it holds.
  api('GET', '/user', ({ base, login: caller }) => ({ status: 200, body: privateUserJson(base, caller) }));

  api('GET', '/repos/:owner/:repo', ({ req, base }) => ({
    status: 200,
    body: repoJson(base, repoOf(req), true),
  }));

  api('GET', '/repos/:owner/:repo/branches/:branch*', async ({ req, base }) => {
    const repo = repoOf(req);
    const branch = req.params.branch ?? '';
    const sha = repo.branches[branch];
    if (!sha)
      throw new ApiError(404, { message: 'Branch not found', documentation_url: DOCS, status: '404' });
    const url = `${base.api}/repos/${repo.fullName}/branches/${branch}`;
    return {
      status: 200,
      body: {
        name: branch,
        commit: commitJson(base, repo, await readCommit(repo.dir, sha)),
        _links: { html: `${base.web}/${repo.fullName}/tree/${branch}`, self: url },
        protected: false,
        protection: {
          enabled: false,
          required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] },
        },
        protection_url: `${url}/protection`,
      },
    };
  });

  api('GET', '/repos/:owner/:repo/git/ref/:ref*', ({ req, base }) => {
    const repo = repoOf(req);
    const branch = headsBranch(req.params.ref);
    const sha = branch === undefined ? undefined : repo.branches[branch];
    if (!branch || !sha) throw notFound();
    return { status: 200, body: refJson(base, repo, branch, sha) };
  });

  api('GET', '/repos/:owner/:repo/git/matching-refs/:ref*', ({ req, base }) => {
    const repo = repoOf(req);
    const prefix = `refs/${req.params.ref ?? ''}`;
    const refs = Object.entries(repo.branches)
      .filter(([branch]) => `refs/heads/${branch}`.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([branch, sha]) => refJson(base, repo, branch, sha));
    return { status: 200, body: refs };
  });

  api('POST', '/repos/:owner/:repo/git/refs', async ({ req, base, input }) => {
    const repo = repoOf(req);
    const branch = headsBranch(String(input.ref ?? '').replace(/^refs\//, ''));
    const sha = await resolveCommit(repo.dir, String(input.sha ?? ''));
    if (!branch || !sha)
      throw validationFailed([], branch ? 'Object does not exist' : 'Reference name is invalid');
    if (repo.branches[branch]) throw validationFailed([], 'Reference already exists');
    await updateBranch(repo.dir, branch, sha, '');
    await syncRepo(repo);
    return { status: 201, body: refJson(base, repo, branch, sha) };
  });

  api('PATCH', '/repos/:owner/:repo/git/refs/:ref*', async ({ req, base, input }) => {
    const repo = repoOf(req);
    const branch = headsBranch(req.params.ref);
    const current = branch === undefined ? undefined : repo.branches[branch];
    const sha = await resolveCommit(repo.dir, String(input.sha ?? ''));
    if (!branch || !current) throw validationFailed([], 'Reference does not exist');
    if (!sha) throw validationFailed([], 'Object does not exist');
    if (
      input.force !== true &&
      (await runGit(repo.dir, ['merge-base', '--is-ancestor', current, sha])).code !== 0
    ) {
      throw validationFailed([], 'Update is not a fast forward');
    }
    await updateBranch(repo.dir, branch, sha, current);
    await syncRepo(repo);
    return { status: 200, body: refJson(base, repo, branch, sha) };
  });

  api('DELETE', '/repos/:owner/:repo/git/refs/:ref*', async ({ req }) => {
    const repo = repoOf(req);
    const branch = headsBranch(req.params.ref);
    if (!branch || !repo.branches[branch]) throw validationFailed([], 'Reference does not exist');
    await deleteBranch(repo.dir, branch);
    await syncRepo(repo);
    return { status: 204 };
  });

  // --- git data and contents (an update committed without a clone) ---
  const gitUrl = (base: UrlBase, repo: SandboxRepo, kind: string, sha: string) =>
    `${base.api}/repos/${repo.fullName}/git/${kind}/${sha}`;
  const treeBody = async (base: UrlBase, repo: SandboxRepo, sha: string, recursive: boolean) => ({
    sha,
    url: gitUrl(base, repo, 'trees', sha),
    truncated: false,
    tree: (await listTree(repo.dir, sha, recursive)).map((e) => ({
      path: e.path,
      mode: e.mode,
      type: e.type,
      sha: e.sha,
      ...(e.size !== undefined ? { size: e.size } : {}),
      url: gitUrl(base, repo, e.type === 'tree' ? 'trees' : 'blobs', e.sha),
    })),
  });
  const gitCommitBody = (base: UrlBase, repo: SandboxRepo, commit: CommitInfo) => ({
    sha: commit.sha,
    node_id: `C_kwDO${Buffer.from(commit.sha.slice(0, 12)).toString('base64url')}`,
    url: gitUrl(base, repo, 'commits', commit.sha),
    html_url: `${base.web}/${repo.fullName}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    message: commit.message,
    tree: { sha: commit.tree, url: gitUrl(base, repo, 'trees', commit.tree) },
    parents: commit.parents.map((sha) => ({
      sha,
      url: gitUrl(base, repo, 'commits', sha),
      html_url: `${base.web}/${repo.fullName}/commit/${sha}`,
    })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  });
  const objectOf = async (repo: SandboxRepo, sha: string | undefined, type: string) => {
    if ((await objectType(repo.dir, sha ?? '')) !== type) throw notFound();
    return sha as string;
  };

  api('GET', '/repos/:owner/:repo/contents/:path*', async ({ req, base }) => {
    const repo = repoOf(req);
    const ref = req.url.searchParams.get('ref') ?? repo.defaultBranch;
    // Read straight from the ref: an unknown ref finds no entry (404), with no process spent resolving it first.
    const commit = repo.branches[ref] ? `refs/heads/${ref}` : /^[0-9a-f]{40}$/.test(ref) ? ref : '';
    if (!commit) throw notFound();
    const path = req.params.path ?? '';
    const entry = await entryAt(repo.dir, commit, path);
    if (!entry) throw notFound();
    const item = (e: TreeEntry) => {
      const self = `${base.api}/repos/${repo.fullName}/contents/${e.path}?ref=${ref}`;
      const git = gitUrl(base, repo, e.type === 'tree' ? 'trees' : 'blobs', e.sha);
      const html = `${base.web}/${repo.fullName}/${e.type === 'tree' ? 'tree' : 'blob'}/${ref}/${e.path}`;
      return {
        type:
          e.type === 'tree'
            ? 'dir'
            : e.type === 'commit'
              ? 'submodule'
              : e.mode === '120000'
                ? 'symlink'
                : 'file',
        size: e.size ?? 0,
        name: e.path.slice(e.path.lastIndexOf('/') + 1),
        path: e.path,
        sha: e.sha,
        url: self,
        git_url: git,
        html_url: html,
        download_url: e.type === 'blob' ? `${base.web}/${repo.fullName}/raw/${ref}/${e.path}` : null,
        _links: { self, git, html },
      };
    };
    if (entry.type === 'tree') {
      const children = await listTree(repo.dir, entry.sha);
      return {
        status: 200,
        body: children.map((child) =>
          item({ ...child, path: entry.path ? `${entry.path}/${child.path}` : child.path }),
        ),
      };
    }
    if (entry.type !== 'blob' || entry.mode === '120000') throw notFound();
    const bytes = await readBlob(repo.dir, entry.sha);
    // GitHub wraps the base64 at 60 characters, as MIME does; clients must strip the newlines.
    const content = (bytes.toString('base64').match(/.{1,60}/g) ?? []).join('\n');
    return {
      status: 200,
      body: { ...item(entry), content: content ? `${content}\n` : '', encoding: 'base64' },
    };
  });

  api('POST', '/repos/:owner/:repo/git/blobs', async ({ req, base, input }) => {
    const repo = repoOf(req);
    if (typeof input.content !== 'string')
      throw validationFailed([], 'Invalid request.\n\n"content" wasn\'t supplied.');
    const encoding = input.encoding ?? 'utf-8';
    if (encoding !== 'utf-8' && encoding !== 'base64')
      throw validationFailed([], `encoding ${String(encoding)} is not supported`);
    const sha = await writeBlob(
      repo.dir,
      Buffer.from(input.content, encoding === 'base64' ? 'base64' : 'utf8'),
    );
    return { status: 201, body: { url: gitUrl(base, repo, 'blobs', sha), sha } };
  });

  api('GET', '/repos/:owner/:repo/git/blobs/:sha', async ({ req, base }) => {
    const repo = repoOf(req);
    const sha = await objectOf(repo, req.params.sha, 'blob');
    const bytes = await readBlob(repo.dir, sha);
    return {
      status: 200,
      body: {
        sha,
        node_id: `B_kwDO${Buffer.from(sha.slice(0, 12)).toString('base64url')}`,
        size: bytes.length,
        url: gitUrl(base, repo, 'blobs', sha),
        content: bytes.toString('base64'),
        encoding: 'base64',
      },
    };
  });

  api('POST', '/repos/:owner/:repo/git/trees', async ({ req, base, input }) => {
    const repo = repoOf(req);
    if (!Array.isArray(input.tree))
      throw validationFailed([], 'Invalid request.\n\n"tree" wasn\'t supplied.');
    let baseTree: string | undefined;
    if (input.base_tree !== undefined) {
      baseTree = await git(repo.dir, [
        'rev-parse',
        '--verify',
        '--quiet',
        `${String(input.base_tree)}^{tree}`,
      ]).catch(() => '');
      if (!baseTree) throw validationFailed([], 'base_tree is not a valid tree oid');
    }
    let sha: string;
    try {
      sha = await writeTree(repo.dir, baseTree, input.tree as NewTreeEntry[]);
    } catch (error) {
      if (error instanceof TreeInputError)
        throw validationFailed([], `GitRPC::BadObjectState: ${error.message}`);
      throw error;
    }
    return { status: 201, body: await treeBody(base, repo, sha, false) };
  });

  api('GET', '/repos/:owner/:repo/git/trees/:sha', async ({ req, base }) => {
    const repo = repoOf(req);
    const sha = await objectOf(repo, req.params.sha, 'tree');
    const recursive = ['1', 'true'].includes(req.url.searchParams.get('recursive') ?? '');
    return { status: 200, body: await treeBody(base, repo, sha, recursive) };
  });

  api('POST', '/repos/:owner/:repo/git/commits', async ({ req, base, input }) => {
    const repo = repoOf(req);
    const tree = String(input.tree ?? '');
    const parents = Array.isArray(input.parents) ? input.parents.map(String) : [];
    const types = await objectTypes(repo.dir, [tree, ...parents]);
    if (types.get(tree) !== 'tree') throw validationFailed([], 'Tree SHA does not exist');
    for (const parent of parents) {
      if (types.get(parent) !== 'commit')
        throw validationFailed([], 'Parent SHA does not exist or is not a commit object');
    }
    const now = timestamp();
    const person = (value: unknown, fallback: GitIdentity): GitIdentity => {
      const given = isObject(value) ? value : {};
      return {
        name: typeof given.name === 'string' ? given.name : fallback.name,
        email: typeof given.email === 'string' ? given.email : fallback.email,
        date: typeof given.date === 'string' ? given.date : now,
      };
    };
    const author = person(input.author, merger);
    const committer = person(input.committer, isObject(input.author) ? author : merger);
    const sha = await commitTree(repo.dir, tree, parents, String(input.message ?? ''), author, committer);
    return { status: 201, body: gitCommitBody(base, repo, await readCommit(repo.dir, sha)) };
  });

  api('GET', '/repos/:owner/:repo/git/commits/:sha', async ({ req, base }) => {
    const repo = repoOf(req);
    const sha = await objectOf(repo, req.params.sha, 'commit');
    return { status: 200, body: gitCommitBody(base, repo, await readCommit(repo.dir, sha)) };
  });

  api('GET', '/repos/:owner/:repo/commits/:ref', async ({ req, base }) => {
    const repo = repoOf(req);
    const sha = await resolveCommit(repo.dir, req.params.ref ?? '');
    if (!sha)
      throw new ApiError(422, {
        message: `No commit found for SHA: ${req.params.ref}`,
        documentation_url: DOCS,
        status: '422',
      });
    const commit = await readCommit(repo.dir, sha);
    const parent = commit.parents[0] ?? (await git(repo.dir, ['hash-object', '-t', 'tree', '/dev/null']));
    const files = (await diffFiles(repo.dir, parent, sha)).map((f) => fileJson(base, repo, sha, f));
    return { status: 200, body: commitJson(base, repo, commit, files) };
  });

  api('GET', '/repos/:owner/:repo/compare/:basehead*', async ({ req, base }) => {
    const repo = repoOf(req);
    const [baseRef = '', headRef = ''] = (req.params.basehead ?? '').split('...');
    const baseSha = await resolveCommit(repo.dir, baseRef.replace(/^[^:]+:/, ''));
    const headSha = await resolveCommit(repo.dir, headRef.replace(/^[^:]+:/, ''));
    if (!baseSha || !headSha) throw notFound();
    const mergeBaseSha = await mergeBase(repo.dir, baseSha, headSha);
    const ahead = await commitsBetween(repo.dir, baseSha, headSha);
    const behind = await commitsBetween(repo.dir, headSha, baseSha);
    const status =
      ahead.length === 0 && behind.length === 0
        ? 'identical'
        : behind.length === 0
          ? 'ahead'
          : ahead.length === 0
            ? 'behind'
            : 'diverged';
    const commits = await Promise.all(
      ahead.slice(0, 250).map(async (sha) => commitJson(base, repo, await readCommit(repo.dir, sha))),
    );
    const files = (await diffFiles(repo.dir, mergeBaseSha, headSha)).map((f) =>
      fileJson(base, repo, headSha, f),
    );
    const url = `${base.api}/repos/${repo.fullName}/compare/${baseRef}...${headRef}`;
    const html = `${base.web}/${repo.fullName}/compare/${baseRef}...${headRef}`;
    return {
      status: 200,
      body: {
        url,
        html_url: html,
        permalink_url: `${base.web}/${repo.fullName}/compare/${repo.owner}:${baseSha.slice(0, 7)}...${repo.owner}:${headSha.slice(0, 7)}`,
        diff_url: `${html}.diff`,
        patch_url: `${html}.patch`,
        base_commit: commitJson(base, repo, await readCommit(repo.dir, baseSha)),
        merge_base_commit: commitJson(base, repo, await readCommit(repo.dir, mergeBaseSha)),
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits,
        files,
      },
    };
  });

  // --- pull requests ---
  api('GET', '/repos/:owner/:repo/pulls', ({ req, base }) => {
    const repo = repoOf(req);
    const q = req.url.searchParams;
    const wanted = q.get('state') ?? 'open';
    const [headOwner, headBranch] = splitHead(q.get('head'));
    const baseBranch = q.get('base');
    const sortKey = q.get('sort') === 'updated' ? 'updatedAt' : 'createdAt';
    const direction = q.get('direction') === 'asc' ? 1 : -1;
    const pulls = state.pulls
      .filter((p) => p.repo === repo.fullName)
      .filter((p) => wanted === 'all' || p.state === wanted)
      .filter(
        (p) =>
          headOwner === undefined ||
          (headOwner === repo.owner && (headBranch === undefined || p.head.ref === headBranch)),
      )
      .filter((p) => !baseBranch || p.base.ref === baseBranch)
      .sort((a, b) => direction * (a[sortKey].localeCompare(b[sortKey]) || a.number - b.number));
    return paginate(req, base, pulls, (pr) => simplePull(base, repo, pr));
  });

  api('POST', '/repos/:owner/:repo/pulls', async ({ req, base, input, login: caller }) => {
    const repo = repoOf(req);
    const title = typeof input.title === 'string' ? input.title : '';
    const [headOwner = repo.owner, headRef = ''] = splitHead(String(input.head ?? ''));
    const baseRef = String(input.base ?? '');
    if (!title) throw validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
    const headSha = headOwner === repo.owner ? repo.branches[headRef] : undefined;
    const baseSha = repo.branches[baseRef];
    if (!headSha) throw validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    if (!baseSha) throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    // Before the check: GitHub opens a PR atomically, so no await may come between the check and the push.
    const shas = await commitsBetween(repo.dir, baseSha, headSha);
    const racing = pendingPullRaces.indexOf(repo.fullName);
    if (racing >= 0) {
      pendingPullRaces.splice(racing, 1);
      const theirs = { title: `${title} (opened meanwhile)`, body: null, draft: false, user: RACER };
      state.pulls.push(newPull(repo, headRef, headSha, baseRef, baseSha, shas, theirs));
    }
    const existing = state.pulls.find(
      (p) =>
        p.repo === repo.fullName && p.state === 'open' && p.head.ref === headRef && p.base.ref === baseRef,
    );
    if (existing) {
      throw validationFailed([
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${repo.owner}:${headRef}.`,
        },
      ]);
    }
    if (shas.length === 0) {
      throw validationFailed([
        { resource: 'PullRequest', code: 'custom', message: `No commits between ${baseRef} and ${headRef}` },
      ]);
    }
    const pr = newPull(repo, headRef, headSha, baseRef, baseSha, shas, {
      title,
      body: typeof input.body === 'string' ? input.body : null,
      draft: input.draft === true,
      user: caller,
    });
    state.pulls.push(pr);
    const body = await fullPull(base, repo, pr);
    return { status: 201, headers: { location: String(body.url) }, body };
  });

  api('GET', '/repos/:owner/:repo/pulls/:number', async ({ req, base }) => {
    const repo = repoOf(req);
    return { status: 200, body: await fullPull(base, repo, pullOf(repo, req.params.number)) };
  });

  api('PATCH', '/repos/:owner/:repo/pulls/:number', async ({ req, base, input }) => {
    const repo = repoOf(req);
    const pr = pullOf(repo, req.params.number);
    if (typeof input.base === 'string' && input.base !== pr.base.ref) {
      if (!repo.branches[input.base])
        throw validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      pr.base = { ref: input.base, sha: repo.branches[input.base] ?? '' };
      pr.commitShas = await commitsBetween(repo.dir, pr.base.sha, pr.head.sha);
    }
    if (input.state === 'open' && pr.state === 'closed') {
      const reason = pr.merged
        ? 'state cannot be changed. The pull request cannot be reopened because it has been merged.'
        : !repo.branches[pr.head.ref]
          ? 'state cannot be changed. The head branch was deleted.'
          : state.pulls.some(
                (p) =>
                  p !== pr &&
                  p.repo === repo.fullName &&
                  p.state === 'open' &&
                  p.head.ref === pr.head.ref &&
                  p.base.ref === pr.base.ref,
              )
            ? `A pull request already exists for ${repo.owner}:${pr.head.ref}.`
            : undefined;
      if (reason) throw validationFailed([{ resource: 'PullRequest', code: 'custom', message: reason }]);
      Object.assign(pr, { state: 'open', closedAt: null });
    } else if (input.state === 'closed' && pr.state === 'open') {
      Object.assign(pr, { state: 'closed', closedAt: timestamp() });
    }
    if (typeof input.title === 'string') pr.title = input.title;
    if (typeof input.body === 'string') pr.body = input.body;
    pr.updatedAt = timestamp();
    return { status: 200, body: await fullPull(base, repo, pr) };
  });

  api('GET', '/repos/:owner/:repo/pulls/:number/merge', ({ req }) => {
    const pr = pullOf(repoOf(req), req.params.number);
    if (!pr.merged) throw notFound();
    return { status: 204 };
  });

  api('PUT', '/repos/:owner/:repo/pulls/:number/merge', async ({ req, input, login: caller }) => {
    const repo = repoOf(req);
    const pr = pullOf(repo, req.params.number);
    const method = input.merge_method ?? 'merge';
    if (method !== 'merge' && method !== 'squash' && method !== 'rebase') {
      throw validationFailed(
        [{ resource: 'PullRequest', field: 'merge_method', code: 'invalid' }],
        `Invalid merge_method: ${method}`,
      );
    }
    const notMergeable = (message: string) =>
      new ApiError(405, { message, documentation_url: `${DOCS}/pulls/pulls#merge-a-pull-request` });
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
    let created: string[];
    if (method === 'rebase') {
      const replayed = await replayCommits(repo.dir, onto, commits, { ...webCommitter, date: now });
      if (!replayed) throw notMergeable('This branch can\u2019t be rebased');
      created = replayed;
    } else {
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
                await Promise.all(
                  commits.map(async (sha) => `* ${(await readCommit(repo.dir, sha)).message}`),
                )
              ).join('\n\n');
      const parents = method === 'merge' ? [onto, pr.head.sha] : [onto];
      created = [
        await commitTree(
          repo.dir,
          tree,
          parents,
          `${title}\n\n${detail}\n`,
          { ...merger, date: now },
          { ...webCommitter, date: now },
        ),
      ];
    }
    const tip = created[created.length - 1] ?? onto;
    await updateBranch(repo.dir, pr.base.ref, tip, onto);
    Object.assign(pr, {
      state: 'closed',
      merged: true,
      mergedAt: now,
      mergedBy: caller,
      closedAt: now,
      updatedAt: now,
      mergeCommitSha: tip,
      mergeCreatedShas: created,
      commitShas: commits,
    });
    repo.pushedAt = now;
    await syncRepo(repo);
    return { status: 200, body: { sha: tip, merged: true, message: 'Pull Request successfully merged' } };
  });

  api('GET', '/repos/:owner/:repo/commits/:sha/pulls', async ({ req, base }) => {
    const repo = repoOf(req);
    const sha = await resolveCommit(repo.dir, req.params.sha ?? '');
    if (!sha)
      throw new ApiError(422, {
        message: `No commit found for SHA: ${req.params.sha}`,
        documentation_url: DOCS,
        status: '422',
      });
    const pulls = state.pulls.filter(
      (p) => p.repo === repo.fullName && (p.commitShas.includes(sha) || p.mergeCreatedShas.includes(sha)),
    );
    return paginate(req, base, pulls, (pr) => simplePull(base, repo, pr));
  });

  api('POST', '/repos/:owner/:repo/pulls/:number/requested_reviewers', ({ req, base, input }) => {
    const repo = repoOf(req);
    const pr = pullOf(repo, req.params.number);
    const reviewers = stringList(input.reviewers);
    if (reviewers.includes(pr.user)) {
      throw validationFailed([], 'Review cannot be requested from pull request author.');
    }
    pr.requestedReviewers = [...new Set([...pr.requestedReviewers, ...reviewers])];
    pr.requestedTeams = [...new Set([...pr.requestedTeams, ...stringList(input.team_reviewers)])];
    pr.updatedAt = timestamp();
    return { status: 201, body: simplePull(base, repo, pr) };
  });

  api('DELETE', '/repos/:owner/:repo/pulls/:number/requested_reviewers', ({ req, base, input }) => {
    const repo = repoOf(req);
    const pr = pullOf(repo, req.params.number);
    const reviewers = stringList(input.reviewers);
    const teams = stringList(input.team_reviewers);
    pr.requestedReviewers = pr.requestedReviewers.filter((r) => !reviewers.includes(r));
    pr.requestedTeams = pr.requestedTeams.filter((t) => !teams.includes(t));
    pr.updatedAt = timestamp();
    return { status: 200, body: simplePull(base, repo, pr) };
  });

  // --- commit statuses, check runs and reviews (what CI posts and `run monitor` reads) ---
  const commitOf = async (repo: SandboxRepo, ref: string | undefined): Promise<string> => {
    const sha = await resolveCommit(repo.dir, ref ?? '');
    if (!sha)
      throw new ApiError(422, {
        message: `No commit found for SHA: ${ref}`,
        documentation_url: DOCS,
        status: '422',
      });
    return sha;
  };

  api('POST', '/repos/:owner/:repo/statuses/:sha', async ({ req, base, input, login: caller }) => {
    const repo = repoOf(req);
    const sha = await commitOf(repo, req.params.sha);
    const statusState = String(input.state ?? '');
    if (!STATUS_STATES.includes(statusState as SandboxStatus['state'])) {
      throw validationFailed([{ resource: 'Status', field: 'state', code: 'invalid' }]);
    }
    const now = timestamp();
    const status: SandboxStatus = {
      id: nextId(state),
      repo: repo.fullName,
      sha,
      state: statusState as SandboxStatus['state'],
      context: typeof input.context === 'string' ? input.context : 'default',
      description: typeof input.description === 'string' ? input.description : null,
      targetUrl: typeof input.target_url === 'string' ? input.target_url : null,
      creator: caller,
      createdAt: now,
      updatedAt: now,
    };
    state.statuses.push(status);
    const body = statusJson(base, repo, status);
    return { status: 201, headers: { location: String(body.url) }, body };
  });

  api('GET', '/repos/:owner/:repo/commits/:ref/status', async ({ req, base }) => {
    const repo = repoOf(req);
    const sha = await commitOf(repo, req.params.ref);
    const statuses = state.statuses.filter((s) => s.repo === repo.fullName && s.sha === sha);
    return { status: 200, body: combinedStatusJson(base, repo, sha, statuses) };
  });

  api('POST', '/repos/:owner/:repo/check-runs', async ({ req, base, input }) => {
    const repo = repoOf(req);
    const sha = await commitOf(repo, typeof input.head_sha === 'string' ? input.head_sha : '');
    if (typeof input.name !== 'string' || input.name === '')
      throw validationFailed([{ resource: 'CheckRun', field: 'name', code: 'missing_field' }]);
    const conclusion = typeof input.conclusion === 'string' ? input.conclusion : null;
    // GitHub completes a run that is given a conclusion, and refuses a completed one without it.
    const runStatus = conclusion ? 'completed' : String(input.status ?? 'queued');
    if (
      !['queued', 'in_progress', 'completed'].includes(runStatus) ||
      (runStatus === 'completed' && !conclusion)
    )
      throw validationFailed([{ resource: 'CheckRun', field: 'conclusion', code: 'missing_field' }]);
    const now = timestamp();
    const run: SandboxCheckRun = {
      id: nextId(state),
      repo: repo.fullName,
      headSha: sha,
      name: input.name,
      status: runStatus as SandboxCheckRun['status'],
      conclusion,
      detailsUrl: typeof input.details_url === 'string' ? input.details_url : null,
      startedAt: now,
      completedAt: conclusion ? now : null,
    };
    state.checkRuns.push(run);
    return { status: 201, body: checkRunJson(base, repo, run) };
  });

  api('GET', '/repos/:owner/:repo/commits/:ref/check-runs', async ({ req, base }) => {
    const repo = repoOf(req);
    const sha = await commitOf(repo, req.params.ref);
    // `filter=latest` (GitHub's default): the newest run of each name.
    const latest = new Map<string, SandboxCheckRun>();
    for (const run of state.checkRuns.filter((r) => r.repo === repo.fullName && r.headSha === sha))
      latest.set(run.name, run);
    const runs = [...latest.values()];
    return {
      status: 200,
      body: { total_count: runs.length, check_runs: runs.map((r) => checkRunJson(base, repo, r)) },
    };
  });

  api('GET', '/repos/:owner/:repo/pulls/:number/reviews', ({ req, base }) => {
    const repo = repoOf(req);
    const pr = pullOf(repo, req.params.number);
    const reviews = state.reviews.filter((r) => r.repo === repo.fullName && r.pullNumber === pr.number);
    return paginate(req, base, reviews, (r) => reviewJson(base, repo, r));
  });

  // --- issue comments and labels (pull requests are the only issues the sandbox has) ---
  api('GET', '/repos/:owner/:repo/issues/comments', ({ req, base }) => {
    const repo = repoOf(req);
    const comments = state.comments.filter((c) => c.repo === repo.fullName);
    return paginate(req, base, comments, (c) => commentJson(base, repo, c));
  });

  api('PATCH', '/repos/:owner/:repo/issues/comments/:id', ({ req, base, input }) => {
    const repo = repoOf(req);
    const comment = state.comments.find((c) => c.repo === repo.fullName && c.id === Number(req.params.id));
    if (!comment) throw notFound();
    if (typeof input.body !== 'string')
      throw validationFailed([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    comment.body = input.body;
    comment.updatedAt = timestamp();
    return { status: 200, body: commentJson(base, repo, comment) };
  });

  api('GET', '/repos/:owner/:repo/issues/:number/comments', ({ req, base }) => {
    const repo = repoOf(req);
    const pr = pullOf(repo, req.params.number);
    const comments = state.comments.filter((c) => c.repo === repo.fullName && c.issueNumber === pr.number);
    return paginate(req, base, comments, (c) => commentJson(base, repo, c));
  });

  api('POST', '/repos/:owner/:repo/issues/:number/comments', ({ req, base, input, login: caller }) => {
    const repo = repoOf(req);
    const pr = pullOf(repo, req.params.number);
    if (typeof input.body !== 'string' || input.body === '') {
      throw validationFailed([{ resource: 'IssueComment', field: 'body', code: 'missing_field' }]);
    }
    const now = timestamp();
    const comment = {
      id: nextId(state),
      repo: repo.fullName,
      issueNumber: pr.number,
      body: input.body,
      user: caller,
      createdAt: now,
      updatedAt: now,
    };
    state.comments.push(comment);
    const body = commentJson(base, repo, comment);
    return { status: 201, headers: { location: String(body.url) }, body };
  });

  const labelsBody = (base: UrlBase, repo: SandboxRepo, pr: SandboxPull): SandboxResponse => ({
    status: 200,
    body: pr.labels.flatMap((name) => {
      const label = repo.labels.find((l) => l.name === name);
      return label ? [labelJson(base, repo, label)] : [];
    }),
  });
  const ensureLabels = (repo: SandboxRepo, names: string[]) => {
    for (const name of names) {
      // GitHub creates a label the repository lacks when it is added to an issue.
      if (!repo.labels.some((l) => l.name === name))
        repo.labels.push({ id: nextId(state), name, color: 'ededed', description: null });
    }
  };

  api('GET', '/repos/:owner/:repo/issues/:number/labels', ({ req, base }) => {
    const repo = repoOf(req);
    return labelsBody(base, repo, pullOf(repo, req.params.number));
  });

  api('POST', '/repos/:owner/:repo/issues/:number/labels', ({ req, base, input }) => {
    const repo = repoOf(req);
    const pr = pullOf(repo, req.params.number);
    const names = labelNames(input);
    ensureLabels(repo, names);
    pr.labels = [...new Set([...pr.labels, ...names])];
    pr.updatedAt = timestamp();
    return labelsBody(base, repo, pr);
  });

  api('PUT', '/repos/:owner/:repo/issues/:number/labels', ({ req, base, input }) => {
    const repo = repoOf(req);
    const pr = pullOf(repo, req.params.number);
    const names = labelNames(input);
    ensureLabels(repo, names);
    pr.labels = [...new Set(names)];
    pr.updatedAt = timestamp();
    return labelsBody(base, repo, pr);
  });

  api('DELETE', '/repos/:owner/:repo/issues/:number/labels/:name', ({ req, base }) => {
    const repo = repoOf(req);
    const pr = pullOf(repo, req.params.number);
    if (!pr.labels.includes(req.params.name ?? '')) {
      throw new ApiError(404, { message: 'Label does not exist', documentation_url: DOCS, status: '404' });
    }
    pr.labels = pr.labels.filter((l) => l !== req.params.name);
    pr.updatedAt = timestamp();
    return labelsBody(base, repo, pr);
  });

  function newPull(
    repo: SandboxRepo,
    headRef: string,
    headSha: string,
    baseRef: string,
    baseSha: string,
    commitShas: string[],
    fields: Pick<SandboxPull, 'title' | 'body' | 'draft' | 'user'>,
  ): SandboxPull {
    const now = timestamp();
    return {
      id: nextId(state),
      number: nextNumber(state, repo),
      repo: repo.fullName,
      state: 'open',
      merged: false,
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
      head: { ref: headRef, sha: headSha },
      base: { ref: baseRef, sha: baseSha },
      ...fields,
      labels: [],
      requestedReviewers: [],
      requestedTeams: [],
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      commitShas,
      mergeCreatedShas: [],
    };
  }

  // --- git smart HTTP on the same port ---
  registerGitHttp(router, {
    reposDir: options.reposDir,
    isToken: (token) => users.has(token),
    beforePush: async (owner, name) => {
      const index = pendingPushRejections.findIndex((r) => r.repo === `${owner}/${name}`);
      if (index < 0) return;
      const [rejection] = pendingPushRejections.splice(index, 1);
      const repo = state.repos.get(`${owner}/${name}`);
      if (!rejection || !repo) return;
      // Someone may also be first to create the branch: theirs then starts from the default branch.
      if (repo.branches[rejection.branch] === undefined) {
        const base = repo.branches[repo.defaultBranch] as string;
        await updateBranch(repo.dir, rejection.branch, base, '');
      }
      await commitFileOnBranch(
        repo.dir,
        rejection.branch,
        rejection.path,
        rejection.content,
        'Someone else pushed first',
        rejection.author,
      );
      await syncRepo(repo);
    },
    afterPush: async (owner, name) => {
      const repo = state.repos.get(`${owner}/${name}`);
      if (!repo) return;
      repo.pushedAt = timestamp();
      await syncRepo(repo);
    },
  });

  const faultRoute = (route: string | undefined) => route ?? '*';
  const rateFault = (
    route: string | undefined,
    f: { times?: number; after?: number },
    respond: SandboxResponse,
  ): Fault => ({ route: faultRoute(route), times: f.times ?? 1, after: f.after, respond });

  return {
    router,
    state,
    /** Creates `owner/name` as a bare repository holding `fixtureDir`'s files on `main`; returns the commit sha. */
    async seedRepo(fullName: string, fixtureDir: string): Promise<string> {
      const [owner = '', name = ''] = fullName.split('/');
      const dir = bareRepoDir(options.reposDir, owner, name);
      const sha = await seedBareRepo(dir, fixtureDir);
      const now = timestamp();
      const repo: SandboxRepo = {
        id: nextId(state),
        owner,
        name,
        fullName,
        dir,
        defaultBranch: 'main',
        branches: {},
        createdAt: now,
        pushedAt: now,
        labels: [],
      };
      state.repos.set(fullName, repo);
      await syncRepo(repo);
      return sha;
    },
    /** The repository `owner/name`, or throws. */
    repo(fullName: string): SandboxRepo {
      const repo = state.repos.get(fullName);
      if (!repo) throw new Error(`sandbox github: no repository ${fullName}`);
      return repo;
    },
    /** The pull requests of `owner/name`, oldest first. */
    pulls(fullName: string): SandboxPull[] {
      return state.pulls.filter((p) => p.repo === fullName);
    },
    /** Comments on `owner/name#number`, oldest first. */
    comments(fullName: string, number: number) {
      return state.comments.filter((c) => c.repo === fullName && c.issueNumber === number);
    },
    /** A token of a second person, `login`, for the REST API and git alike (an attacker, a fork's author). */
    addUser(user: string): string {
      const token = `ghp_sandbox_${user.replace(/\W/g, '')}_${(users.size + 1).toString(36)}${Date.now().toString(36)}`;
      users.set(token, user);
      return token;
    },
    /** A review on `owner/name#number` by `user` (someone other than the token's owner), on the PR's head. */
    addReview(
      fullName: string,
      number: number,
      review: { user: string; state: SandboxReview['state']; body?: string },
    ): SandboxReview {
      const pr = state.pulls.find((p) => p.repo === fullName && p.number === number);
      if (!pr) throw new Error(`sandbox github: no pull request ${fullName}#${number}`);
      const added: SandboxReview = {
        id: nextId(state),
        repo: fullName,
        pullNumber: number,
        user: review.user,
        state: review.state,
        body: review.body ?? '',
        commitId: pr.head.sha,
        submittedAt: timestamp(),
      };
      state.reviews.push(added);
      return added;
    },
    /** The clone URL path of `owner/name` (append to the server URL). */
    clonePath: (fullName: string) => `/${fullName}.git`,
    /** Re-reads `owner/name`'s branches from disk (after a test changed the bare repository directly). */
    sync: (fullName: string) => syncRepo(state.repos.get(fullName) as SandboxRepo),
    faults: {
      /** The next `times` calls to `route` (`METHOD /pattern`, default every route) answer 502 or 503. */
      serverErrors(route?: string, f: { status?: 502 | 503; times?: number; after?: number } = {}) {
        const status = f.status ?? 502;
        router.inject(
          rateFault(route, f, {
            status,
            headers: { 'content-type': 'application/json; charset=utf-8' },
            body: {
              message: status === 502 ? 'Server Error' : 'Service Unavailable',
              documentation_url: DOCS,
            },
          }),
        );
      },
      /** The primary rate limit: after `after` calls, `times` calls answer 403 with `x-ratelimit-remaining: 0`. */
      rateLimit(route?: string, f: { times?: number; after?: number; resetInSeconds?: number } = {}) {
        const reset = Math.floor(Date.now() / 1000) + (f.resetInSeconds ?? 1);
        router.inject(
          rateFault(route, f, {
            status: 403,
            headers: {
              ...rateHeaders(0),
              'x-ratelimit-reset': String(reset),
              'x-ratelimit-used': String(RATE_LIMIT),
            },
            body: {
              message: `API rate limit exceeded for user ID 5000. If you reach out to GitHub Support for help, please include the request ID ${requestId()}.`,
              documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
              status: '403',
            },
          }),
        );
      },
      /** A secondary rate limit: `times` calls answer 403 (or 429) with `retry-after`. */
      secondaryRateLimit(
        route?: string,
        f: { status?: 403 | 429; retryAfter?: number; times?: number; after?: number } = {},
      ) {
        router.inject(
          rateFault(route, f, {
            status: f.status ?? 403,
            headers: { ...rateHeaders(), 'retry-after': String(f.retryAfter ?? 1) },
            body: {
              message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId()}.`,
              documentation_url:
                'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
              status: String(f.status ?? 403),
            },
          }),
        );
      },
      /** The next push to `owner/name` finds `branch` moved (created, if it did not exist) by someone else: a commit by `author` lands just before the push's ref advertisement. */
      rejectNextPush(
        fullName: string,
        branch: string,
        change: { path?: string; content?: string; author?: GitIdentity } = {},
      ) {
        pendingPushRejections.push({
          repo: fullName,
          branch,
          path: change.path ?? 'CONCURRENT_CHANGE.md',
          content: change.content ?? 'Someone else pushed first.\n',
          author: change.author ?? { name: 'Someone Else', email: 'someone@sandbox.invalid' },
        });
      },
      /** The next pull request created in `owner/name` races one opened for the same branch by someone else just before: GitHub's 422 "already exists". */
      pullOpenedMeanwhile(fullName: string) {
        pendingPullRaces.push(fullName);
      },
      /** The next `times` git operations find the remote unreachable (the connection drops). */
      gitUnreachable(times = 1) {
        router.inject({ route: gitRoutes.infoRefs, times, hangUp: true });
      },
      clear: () => {
        router.clearFaults();
        pendingPushRejections.length = 0;
        pendingPullRaces.length = 0;
      },
    },
  };
}

export type GitHubService = ReturnType<typeof createGitHubService>;

/** The login of the person who opens a pull request first in a race (see faults.pullOpenedMeanwhile). */
const RACER = 'octo-racer';

function bearerToken(header: string | undefined): string | undefined {
  return /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '')?.[1];
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

let requests = 0;
function requestId(): string {
  requests += 1;
  return `C0DE:5A4D:${requests.toString(16).toUpperCase()}:SANDBOX`;
}

/** `refs/heads/x`, `heads/x` -> `x`; other namespaces are not modelled. */
function headsBranch(ref: string | undefined): string | undefined {
  const match = /^(?:refs\/)?heads\/(.+)$/.exec(ref ?? '');
  return match?.[1];
}

/** `owner:branch` -> [owner, branch]; a bare `owner` (as the `head` filter allows) -> [owner, undefined]. */
function splitHead(head: string | null): [string | undefined, string | undefined] {
  if (!head) return [undefined, undefined];
  const colon = head.indexOf(':');
  return colon < 0 ? [undefined, head] : [head.slice(0, colon), head.slice(colon + 1)];
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Label names from any of the body shapes GitHub accepts: `{labels: [..]}`, `[..]`, names or `{name}` objects. */
function labelNames(input: Record<string, unknown>): string[] {
  const raw = Array.isArray(input._) ? input._ : Array.isArray(input.labels) ? input.labels : [];
  return raw.flatMap((l: unknown) =>
    typeof l === 'string' ? [l] : isObject(l) && typeof l.name === 'string' ? [l.name] : [],
  );
}

function nextNumber(state: GitHubState, repo: SandboxRepo): number {
  return (
    state.pulls.filter((p) => p.repo === repo.fullName).reduce((max, p) => Math.max(max, p.number), 0) + 1
  );
}

async function mergeBase(gitDir: string, a: string, b: string): Promise<string> {
  return git(gitDir, ['merge-base', a, b]);
}

/** One page of `items` with GitHub's RFC 5988 `link` header (`per_page` default 30, at most 100). */
function paginate<T>(
  req: SandboxRequest,
  base: UrlBase,
  items: T[],
  render: (item: T) => unknown,
): SandboxResponse {
  const perPage = Math.min(MAX_PAGE, Math.max(1, Number(req.url.searchParams.get('per_page')) || 30));
  const page = Math.max(1, Number(req.url.searchParams.get('page')) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number, rel: string) => {
    const url = new URL(req.url.pathname + req.url.search, base.api);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(n));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return {
    status: 200,
    headers: links.length > 0 ? { link: links.join(', ') } : {},
    body: items.slice((page - 1) * perPage, page * perPage).map(render),
  };
}
