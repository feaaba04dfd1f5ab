/** The git data API (blobs, trees, commits): how an update is committed without a clone. */
import { commitTree, type GitIdentity, git, readCommit } from './bare-repo.js';
import { entryUrl, gitCommitJson, gitObjectUrl } from './git-data-json.js';
import {
  listTree,
  type NewTreeEntry,
  objectType,
  objectTypes,
  readBlob,
  TreeInputError,
  writeBlob,
  writeTree,
} from './git-objects.js';
import { type ApiRoutes, isObject, notFound, timestamp, validationFailed } from './github-api.js';
import type { UrlBase } from './github-json.js';
import type { SandboxRepo } from './github-state.js';
import { type GitHubWorld, repoOf } from './github-world.js';

export function register(api: ApiRoutes, { state, merger }: GitHubWorld): void {
  api('POST', '/repos/:owner/:repo/git/blobs', async ({ req, base, input }) => {
    const repo = repoOf(state, req);
    if (typeof input.content !== 'string')
      throw validationFailed([], 'Invalid request.\n\n"content" wasn\'t supplied.');
    const encoding = input.encoding ?? 'utf-8';
    if (encoding !== 'utf-8' && encoding !== 'base64')
      throw validationFailed([], `encoding ${String(encoding)} is not supported`);
    const sha = await writeBlob(
      repo.dir,
      Buffer.from(input.content, encoding === 'base64' ? 'base64' : 'utf8'),
    );
    return { status: 201, body: { url: gitObjectUrl(base, repo, 'blobs', sha), sha } };
  });

  api('GET', '/repos/:owner/:repo/git/blobs/:sha', async ({ req, base }) => {
    const repo = repoOf(state, req);
    const sha = await objectOf(repo, req.params.sha, 'blob');
    const bytes = await readBlob(repo.dir, sha);
    return {
      status: 200,
      body: {
        sha,
        node_id: `B_kwDO${Buffer.from(sha.slice(0, 12)).toString('base64url')}`,
        size: bytes.length,
        url: gitObjectUrl(base, repo, 'blobs', sha),
        content: bytes.toString('base64'),
        encoding: 'base64',
      },
    };
  });

  api('POST', '/repos/:owner/:repo/git/trees', async ({ req, base, input }) => {
    const repo = repoOf(state, req);
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
    const repo = repoOf(state, req);
    const sha = await objectOf(repo, req.params.sha, 'tree');
    const recursive = ['1', 'true'].includes(req.url.searchParams.get('recursive') ?? '');
    return { status: 200, body: await treeBody(base, repo, sha, recursive) };
  });

  api('POST', '/repos/:owner/:repo/git/commits', async ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const tree = String(input.tree ?? '');
    const parents = Array.isArray(input.parents) ? input.parents.map(String) : [];
    const types = await objectTypes(repo.dir, [tree, ...parents]);
    if (types.get(tree) !== 'tree') throw validationFailed([], 'Tree SHA does not exist');
    for (const parent of parents) {
      if (types.get(parent) !== 'commit')
        throw validationFailed([], 'Parent SHA does not exist or is not a commit object');
    }
    const now = timestamp();
    const author = person(input.author, merger, now);
    const committer = person(input.committer, isObject(input.author) ? author : merger, now);
    const sha = await commitTree(repo.dir, tree, parents, String(input.message ?? ''), author, committer);
    return { status: 201, body: gitCommitJson(base, repo, await readCommit(repo.dir, sha)) };
  });

  api('GET', '/repos/:owner/:repo/git/commits/:sha', async ({ req, base }) => {
    const repo = repoOf(state, req);
    const sha = await objectOf(repo, req.params.sha, 'commit');
    return { status: 200, body: gitCommitJson(base, repo, await readCommit(repo.dir, sha)) };
  });
}

/** `sha` when it names an object of `type` in `repo`, else 404. */
async function objectOf(repo: SandboxRepo, sha: string | undefined, type: string): Promise<string> {
  if ((await objectType(repo.dir, sha ?? '')) !== type) throw notFound();
  return sha as string;
}

async function treeBody(base: UrlBase, repo: SandboxRepo, sha: string, recursive: boolean) {
  return {
    sha,
    url: gitObjectUrl(base, repo, 'trees', sha),
    truncated: false,
    tree: (await listTree(repo.dir, sha, recursive)).map((e) => ({
      path: e.path,
      mode: e.mode,
      type: e.type,
      sha: e.sha,
      ...(e.size !== undefined ? { size: e.size } : {}),
      url: entryUrl(base, repo, e),
    })),
  };
}

/** An author or committer as given (`{name, email, date}`), each missing field taken from `fallback` or now. */
function person(value: unknown, fallback: GitIdentity, now: string): GitIdentity {
  const given = isObject(value) ? value : {};
  return {
    name: typeof given.name === 'string' ? given.name : fallback.name,
    email: typeof given.email === 'string' ? given.email : fallback.email,
    date: typeof given.date === 'string' ? given.date : now,
  };
}
