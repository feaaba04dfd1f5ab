/** Repositories, branches and file contents: what a client reads before it changes anything. */
import { git, readCommit } from './bare-repo.js';
import { contentItemJson } from './git-data-json.js';
import { entryAt, listTree, readBlob } from './git-objects.js';
import { ApiError, type ApiRoutes, DOCS, notFound } from './github-api.js';
import { commitJson, repoJson } from './github-json.js';
import { type GitHubWorld, repoOf } from './github-world.js';

export function register(api: ApiRoutes, { state }: GitHubWorld): void {
  api('GET', '/repos/:owner/:repo', async ({ req, base }) => {
    const repo = repoOf(state, req);
    // As GitHub, the repository's size in KB: what a client can choose its way of cloning by.
    return { status: 200, body: { ...repoJson(base, repo, true), size: await repositorySizeKb(repo.dir) } };
  });

  api('GET', '/repos/:owner/:repo/branches/:branch*', async ({ req, base }) => {
    const repo = repoOf(state, req);
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

  api('GET', '/repos/:owner/:repo/contents/:path*', async ({ req, base }) => {
    const repo = repoOf(state, req);
    const ref = req.url.searchParams.get('ref') ?? repo.defaultBranch;
    // Read straight from the ref: an unknown ref finds no entry (404), with no process spent resolving it first.
    const commit = repo.branches[ref] ? `refs/heads/${ref}` : /^[0-9a-f]{40}$/.test(ref) ? ref : '';
    if (!commit) throw notFound();
    const entry = await entryAt(repo.dir, commit, req.params.path ?? '');
    if (!entry) throw notFound();
    if (entry.type === 'tree') {
      const children = await listTree(repo.dir, entry.sha);
      return {
        status: 200,
        body: children.map((child) =>
          contentItemJson(base, repo, ref, {
            ...child,
            path: entry.path ? `${entry.path}/${child.path}` : child.path,
          }),
        ),
      };
    }
    if (entry.type !== 'blob' || entry.mode === '120000') throw notFound();
    const bytes = await readBlob(repo.dir, entry.sha);
    // GitHub wraps the base64 at 60 characters, as MIME does; clients must strip the newlines.
    const content = (bytes.toString('base64').match(/.{1,60}/g) ?? []).join('\n');
    return {
      status: 200,
      body: {
        ...contentItemJson(base, repo, ref, entry),
        content: content ? `${content}\n` : '',
        encoding: 'base64',
      },
    };
  });
}

/** The bare repository's objects in KB, loose and packed (`git count-objects -v`). */
async function repositorySizeKb(dir: string): Promise<number> {
  const out = await git(dir, ['count-objects', '-v']);
  const kb = (key: string) => Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(out)?.[1] ?? 0);
  return kb('size') + kb('size-pack');
}
