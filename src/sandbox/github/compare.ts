/** One commit with its files, and the comparison of two refs: what a reviewer (or `run monitor`) reads. */
import { commitsBetween, diffFiles, git, readCommit, resolveCommit } from './bare-repo.js';
import { type ApiRoutes, notFound } from './github-api.js';
import { commitJson, fileJson } from './github-json.js';
import { commitOf, type GitHubWorld, mergeBase, repoOf } from './github-world.js';

export function register(api: ApiRoutes, { state }: GitHubWorld): void {
  api('GET', '/repos/:owner/:repo/commits/:ref', async ({ req, base }) => {
    const repo = repoOf(state, req);
    const sha = await commitOf(repo, req.params.ref);
    const commit = await readCommit(repo.dir, sha);
    const parent = commit.parents[0] ?? (await git(repo.dir, ['hash-object', '-t', 'tree', '/dev/null']));
    const files = (await diffFiles(repo.dir, parent, sha)).map((f) => fileJson(base, repo, sha, f));
    return { status: 200, body: commitJson(base, repo, commit, files) };
  });

  api('GET', '/repos/:owner/:repo/compare/:basehead*', async ({ req, base }) => {
    const repo = repoOf(state, req);
    const [baseRef = '', headRef = ''] = (req.params.basehead ?? '').split('...');
    const baseSha = await resolveCommit(repo.dir, baseRef.replace(/^[^:]+:/, ''));
    const headSha = await resolveCommit(repo.dir, headRef.replace(/^[^:]+:/, ''));
    if (!baseSha || !headSha) throw notFound();
    const mergeBaseSha = await mergeBase(repo.dir, baseSha, headSha);
    const ahead = await commitsBetween(repo.dir, baseSha, headSha);
    const behind = await commitsBetween(repo.dir, headSha, baseSha);
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
        status: comparisonStatus(ahead.length, behind.length),
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits,
        files,
      },
    };
  });
}

function comparisonStatus(ahead: number, behind: number): 'identical' | 'ahead' | 'behind' | 'diverged' {
  if (ahead === 0 && behind === 0) return 'identical';
  if (behind === 0) return 'ahead';
  return ahead === 0 ? 'behind' : 'diverged';
}
