/** Branch refs (`git/ref`, `git/matching-refs`, `git/refs`): only `refs/heads/*` is modelled. */
import { deleteBranch, resolveCommit, runGit, updateBranch } from './bare-repo.js';
import { type ApiRoutes, notFound, validationFailed } from './github-api.js';
import { refJson } from './github-json.js';
import { type GitHubWorld, repoOf, syncRepo } from './github-world.js';

export function register(api: ApiRoutes, { state }: GitHubWorld): void {
  api('GET', '/repos/:owner/:repo/git/ref/:ref*', ({ req, base }) => {
    const repo = repoOf(state, req);
    const branch = headsBranch(req.params.ref);
    const sha = branch === undefined ? undefined : repo.branches[branch];
    if (!branch || !sha) throw notFound();
    return { status: 200, body: refJson(base, repo, branch, sha) };
  });

  api('GET', '/repos/:owner/:repo/git/matching-refs/:ref*', ({ req, base }) => {
    const repo = repoOf(state, req);
    const prefix = `refs/${req.params.ref ?? ''}`;
    const refs = Object.entries(repo.branches)
      .filter(([branch]) => `refs/heads/${branch}`.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([branch, sha]) => refJson(base, repo, branch, sha));
    return { status: 200, body: refs };
  });

  api('POST', '/repos/:owner/:repo/git/refs', async ({ req, base, input }) => {
    const repo = repoOf(state, req);
    const branch = headsBranch(String(input.ref ?? '').replace(/^refs\//, ''));
    const sha = await resolveCommit(repo.dir, String(input.sha ?? ''));
    if (!branch || !sha)
      throw validationFailed([], branch ? 'Object does not exist' : 'Reference name is invalid');
    if (repo.branches[branch]) throw validationFailed([], 'Reference already exists');
    await updateBranch(repo.dir, branch, sha, '');
    await syncRepo(state, repo);
    return { status: 201, body: refJson(base, repo, branch, sha) };
  });

  api('PATCH', '/repos/:owner/:repo/git/refs/:ref*', async ({ req, base, input }) => {
    const repo = repoOf(state, req);
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
    await syncRepo(state, repo);
    return { status: 200, body: refJson(base, repo, branch, sha) };
  });

  api('DELETE', '/repos/:owner/:repo/git/refs/:ref*', async ({ req }) => {
    const repo = repoOf(state, req);
    const branch = headsBranch(req.params.ref);
    if (!branch || !repo.branches[branch]) throw validationFailed([], 'Reference does not exist');
    await deleteBranch(repo.dir, branch);
    await syncRepo(state, repo);
    return { status: 204 };
  });
}

/** `refs/heads/x`, `heads/x` -> `x`; other namespaces are not modelled. */
function headsBranch(ref: string | undefined): string | undefined {
  const match = /^(?:refs\/)?heads\/(.+)$/.exec(ref ?? '');
  return match?.[1];
}
