import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BumpConsumerReport } from '../../src/flows/bump-consumer.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { commitFileOnBranch } from '../../src/sandbox/github/bare-repo.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { githubWrites, runSandboxFlow, validatedAmis } from './flow-harness.js';

const API_REPO = 'acme/consumer-api';
const CLONE_REPO = 'acme/consumer-clone';
const BRANCH = 'windows-update/win2019-win2022';
const someone = { name: 'Someone Else', email: 'someone@example.com' };
let sandbox: Sandbox;
let github: GitHubClient;

const images = (n: number) =>
  validatedAmis(sandbox, {
    win2022: { 'us-east-1': `ami-0${String(n).padStart(16, '2')}` },
    win2019: { 'us-east-1': `ami-0${String(n).padStart(16, '9')}` },
  });

beforeAll(async () => {
  sandbox = await startSandbox();
  github = new GitHubClient({ token: sandbox.tokens.github, baseUrl: sandbox.urls.github, pacing: false });
  await sandbox.github.seedRepo(API_REPO, seedDirs.serviceRepo);
  await sandbox.github.seedRepo(CLONE_REPO, seedDirs.serviceRepo);
});
afterAll(async () => {
  await sandbox?.stop();
});

const gitCalls = () => sandbox.github.router.calls.filter((c) => /\.git\//.test(c.path)).length;
const split = (fullName: string) => {
  const [owner, repo] = fullName.split('/') as [string, string];
  return { owner, repo };
};
async function branchFiles(fullName: string): Promise<Record<string, string>> {
  const o = github.octokit;
  const ref = await o.rest.git.getRef({ ...split(fullName), ref: `heads/${BRANCH}` });
  const commit = await o.rest.git.getCommit({ ...split(fullName), commit_sha: ref.data.object.sha });
  const tree = await o.rest.git.getTree({
    ...split(fullName),
    tree_sha: commit.data.tree.sha,
    recursive: 'true',
  });
  return Object.fromEntries(
    tree.data.tree
      .filter((e) => e.path === 'resources/config.edn' || e.path === 'chart/templates/configmap.yaml')
      .map((e) => [e.path, e.sha]),
  );
}

describe('bump-consumer through the API', () => {
  it('a dry run reads through the API and writes nothing', async () => {
    const writes = githubWrites(sandbox).length;
    const run = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', {
      repo: API_REPO,
      via: 'api',
      images: images(1),
      dryRun: true,
    });
    expect(run.exitCode, run.log).toBe(0);
    expect(run.report?.outcome).toBe('created');
    expect(run.report?.diff).toContain('ami-02222222222222221');
    expect(githubWrites(sandbox)).toHaveLength(writes);
  });

  it('commits the edits as the configured author on the default branch, without a clone, as the clone path does', async () => {
    const before = gitCalls();
    const run = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', {
      repo: API_REPO,
      via: 'api',
      images: images(1),
    });
    expect(run.exitCode, run.log).toBe(0);
    expect(run.report?.outcome).toBe('created');
    expect(gitCalls()).toBe(before);
    const o = github.octokit;
    const main = await o.rest.git.getRef({ ...split(API_REPO), ref: 'heads/main' });
    const ref = await o.rest.git.getRef({ ...split(API_REPO), ref: `heads/${BRANCH}` });
    const commit = await o.rest.git.getCommit({ ...split(API_REPO), commit_sha: ref.data.object.sha });
    expect(commit.data.parents.map((p) => p.sha)).toEqual([main.data.object.sha]);
    expect(commit.data.author).toMatchObject({ name: 'Hephestus Bot', email: 'hephestus-bot@example.com' });
    expect(commit.data.committer).toMatchObject({
      name: 'Hephestus Bot',
      email: 'hephestus-bot@example.com',
    });
    expect(commit.data.message).toMatch(/^Update Windows images: win2022, win2019\n/);

    const clone = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', {
      repo: CLONE_REPO,
      images: images(1),
    });
    expect(clone.exitCode, clone.log).toBe(0);
    expect(clone.report?.outcome).toBe('created');
    expect(gitCalls()).toBeGreaterThan(before);
    const apiFiles = await branchFiles(API_REPO);
    expect(Object.keys(apiFiles)).toHaveLength(2);
    expect(apiFiles).toEqual(await branchFiles(CLONE_REPO));
    expect(run.report?.files).toEqual(clone.report?.files);
  });

  it('writes nothing on a re-run, and moves its own branch for new images', async () => {
    const writes = githubWrites(sandbox).length;
    const again = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', {
      repo: API_REPO,
      via: 'api',
      images: images(1),
    });
    expect(again.report?.outcome, again.log).toBe('unchanged');
    expect(githubWrites(sandbox)).toHaveLength(writes);

    const newer = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', {
      repo: API_REPO,
      via: 'api',
      images: images(2),
    });
    expect(newer.exitCode, newer.log).toBe(0);
    expect(newer.report?.outcome).toBe('updated');
    const pulls = sandbox.github.pulls(API_REPO).filter((p) => p.state === 'open');
    expect(pulls).toHaveLength(1);
    const files = await github.octokit.rest.repos.getContent({
      ...split(API_REPO),
      path: 'resources/config.edn',
      ref: BRANCH,
    });
    if (Array.isArray(files.data) || files.data.type !== 'file') throw new Error('expected a file');
    expect(Buffer.from(files.data.content, 'base64').toString('utf8')).toContain('ami-02222222222222222');
  });

  it("never overwrites someone else's commit on the branch", async () => {
    const repo = sandbox.github.repo(API_REPO);
    const theirs = await commitFileOnBranch(repo.dir, BRANCH, 'NOTES.md', 'mine\n', 'A note', someone);
    await sandbox.github.sync(API_REPO);
    const run = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', {
      repo: API_REPO,
      via: 'api',
      images: images(3),
    });
    expect(run.exitCode, run.log).toBe(1);
    expect(run.log).toContain('carries 1 commit not made by Hephestus Bot');
    expect(run.log).toContain('nothing was pushed');
    expect(sandbox.github.repo(API_REPO).branches[BRANCH]).toBe(theirs);
  });

  it("leaves someone's commit alone and succeeds when the branch already holds the images", async () => {
    const theirs = sandbox.github.repo(API_REPO).branches[BRANCH];
    const writes = githubWrites(sandbox).length;
    const run = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', {
      repo: API_REPO,
      via: 'api',
      images: images(2),
    });
    expect(run.exitCode, run.log).toBe(0);
    expect(run.report?.outcome).toBe('unchanged');
    expect(sandbox.github.repo(API_REPO).branches[BRANCH]).toBe(theirs);
    expect(githubWrites(sandbox).length).toBe(writes);
  });
});
