/**
 * The clone path's update of an existing branch: when the open pull request reports a head of ours, one REST read
 * of that commit replaces a fetch of the branch; a head that is someone else's (or a branch without an open PR)
 * still gets the fetch and its foreign-commit check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BumpConsumerReport } from '../../src/flows/bump-consumer.js';
import { commitFileOnBranch } from '../../src/sandbox/github/bare-repo.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runSandboxFlow, validatedAmis } from './flow-harness.js';

const REPO = 'acme/consumer-reported-head';
const BRANCH = 'windows-update/win2022';
const someone = { name: 'Someone Else', email: 'someone@example.com' };
let sandbox: Sandbox;

const images = (n: number) =>
  validatedAmis(sandbox, { win2022: { 'us-east-1': `ami-0${String(n).padStart(16, '7')}` } });

beforeAll(async () => {
  sandbox = await startSandbox();
  await sandbox.github.seedRepo(REPO, seedDirs.serviceRepo);
});
afterAll(async () => {
  await sandbox?.stop();
});

/** Runs bump-consumer through a clone and returns its report with the GitHub calls it made (`METHOD route`). */
async function bump(n: number) {
  const start = sandbox.github.router.calls.length;
  const run = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', {
    repo: REPO,
    images: images(n),
  });
  const calls = sandbox.github.router.calls.slice(start).map((c) => `${c.method} ${c.route}`);
  return { ...run, calls, fetches: calls.filter((c) => c.endsWith('git-upload-pack')).length };
}

describe('updating a branch whose open pull request reports our own head', () => {
  it('reads the head commit instead of fetching the branch, and pushes over it', async () => {
    const created = await bump(1);
    expect(created.report?.outcome, created.log).toBe('created');
    const clonesFetches = created.fetches;
    // No pull request reported the branch: one REST read of its ref said it did not exist, no fetch of it.
    expect(created.calls).toContain('GET /repos/:owner/:repo/git/ref/:ref*');

    const updated = await bump(2);
    expect(updated.report?.outcome, updated.log).toBe('updated');
    // The clone's own fetch only, as when the branch did not exist.
    expect(updated.fetches).toBe(clonesFetches);
    expect(updated.calls).toContain('GET /repos/:owner/:repo/git/commits/:sha');
    const head = sandbox.github.repo(REPO).branches[BRANCH];
    expect(sandbox.github.pulls(REPO).find((p) => p.state === 'open')?.head.sha).toBe(head);
  });

  it('writes nothing when the reported head already holds the update', async () => {
    const again = await bump(2);
    expect(again.report?.outcome, again.log).toBe('unchanged');
    expect(again.calls.filter((c) => c.endsWith('git-receive-pack'))).toEqual([]);
    expect(again.calls.filter((c) => !c.startsWith('GET ') && !c.endsWith('upload-pack'))).toEqual([]);
  });

  it("fetches the branch when the head is someone else's, and leaves their commit alone", async () => {
    const repo = sandbox.github.repo(REPO);
    const theirs = await commitFileOnBranch(repo.dir, BRANCH, 'NOTES.md', 'mine\n', 'A note', someone);
    await sandbox.github.sync(REPO);
    const blocked = await bump(3);
    expect(blocked.exitCode, blocked.log).toBe(1);
    expect(blocked.fetches).toBeGreaterThan(1);
    expect(blocked.log).toContain('nothing was pushed');
    expect(sandbox.github.repo(REPO).branches[BRANCH]).toBe(theirs);
  });
});
