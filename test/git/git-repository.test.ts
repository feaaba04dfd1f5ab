import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureError } from '../../src/errors.js';
import { foreignCommits, type GitRepository, trackingRef } from '../../src/git/git-repository.js';
import { Redactor } from '../../src/log/redact.js';
import { commitFileOnBranch, readCommit } from '../../src/sandbox/github/bare-repo.js';
import {
  BASE,
  BOT,
  COMMITTER,
  type GitSandbox,
  PERSON,
  REPO,
  startGitSandbox,
  TOKEN,
} from './git-sandbox.js';

let sandbox: GitSandbox;
let branchCount = 0;
/** A fresh update branch name per test, so tests share one server without seeing each other's branches. */
const newBranch = () => `windows-update/images-${++branchCount}`;

beforeAll(async () => {
  sandbox = await startGitSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

/** Writes `content` to `path` in the clone and commits everything as the bot. */
async function edit(
  repo: GitRepository,
  path: string,
  content: string,
  message = `Update ${path}`,
): Promise<string> {
  await writeFile(join(repo.dir, path), content);
  const sha = await repo.commitAll(message);
  if (!sha) throw new Error('expected a commit');
  return sha;
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('GitRepository over smart HTTP with a token', () => {
  it('clones, creates the update branch, commits as the configured identities, and pushes to the exact ref', async () => {
    const branch = newBranch();
    const repo = await sandbox.clone();
    expect(await repo.fetchBranch(branch)).toBeUndefined();
    await repo.resetBranch(branch, trackingRef(BASE));
    const sha = await edit(repo, 'deps.edn', '{:deps {}}\n', 'Bump the Windows base image');

    expect(await repo.push(branch, undefined)).toEqual({ status: 'pushed', sha });

    expect((await sandbox.branches())[branch]).toBe(sha);
    const commit = await readCommit(sandbox.bareDir, sha);
    expect(commit.author).toMatchObject(BOT);
    expect(commit.committer).toMatchObject(COMMITTER);
    expect(commit.message).toBe('Bump the Windows base image');
    expect(commit.parents).toEqual([(await sandbox.branches())[BASE]]);
  });

  it('commits nothing when nothing changed', async () => {
    const repo = await sandbox.clone();
    const head = await repo.revParse('HEAD');
    expect(await repo.commitAll('No-op')).toBeUndefined();
    expect(await repo.revParse('HEAD')).toBe(head);
  });

  it('keeps the token out of the clone: no file under .git holds it in any form', async () => {
    const repo = await sandbox.clone();
    const branch = newBranch();
    await repo.resetBranch(branch, trackingRef(BASE));
    await edit(repo, 'README.md', 'changed\n');
    await repo.push(branch, undefined);

    const config = await readFile(join(repo.dir, '.git', 'config'), 'utf8');
    expect(config).toContain(`url = ${sandbox.url}`);
    // A partial clone: blobs are fetched when checked out, by commands that carry the credentials too.
    expect(config).toContain('partialclonefilter = blob:none');
    expect(config).not.toMatch(/extraheader|authorization/i);
    const canary = new Redactor([TOKEN]);
    const leaking: string[] = [];
    for (const file of await filesUnder(join(repo.dir, '.git'))) {
      if ((await stat(file)).size > 5_000_000) continue;
      if (canary.leaks((await readFile(file)).toString('latin1'))) leaking.push(file);
    }
    expect(leaking).toEqual([]);
  });

  it('fetches an existing update branch and lists its commits since the base with their authors', async () => {
    const branch = newBranch();
    const first = await sandbox.clone();
    await first.resetBranch(branch, trackingRef(BASE));
    const ours = await edit(first, 'deps.edn', '{:deps {:a 1}}\n');
    await first.push(branch, undefined);
    const theirs = await commitFileOnBranch(
      sandbox.bareDir,
      branch,
      'NOTES.md',
      'a note\n',
      'Add a note',
      PERSON,
    );

    const repo = await sandbox.clone();
    expect(await repo.fetchBranch(branch)).toBe(theirs);
    const commits = await repo.commitsSince(trackingRef(BASE), trackingRef(branch));

    expect(commits.map((c) => [c.sha, c.authorEmail])).toEqual([
      [theirs, PERSON.email],
      [ours, BOT.email],
    ]);
    expect(foreignCommits(commits, [BOT, COMMITTER]).map((c) => c.sha)).toEqual([theirs]);
  });

  it('finds no foreign commits on a branch only the bot wrote, even after the base moved on', async () => {
    const branch = newBranch();
    const repo = await sandbox.clone();
    await repo.resetBranch(branch, trackingRef(BASE));
    await edit(repo, 'deps.edn', '{:deps {:b 2}}\n');
    await repo.push(branch, undefined);
    await commitFileOnBranch(
      sandbox.bareDir,
      BASE,
      'BASE_MOVED.md',
      'x\n',
      'Unrelated change on main',
      PERSON,
    );
    await sandbox.service.sync(REPO);

    await repo.fetchBranch(BASE);
    const commits = await repo.commitsSince(trackingRef(BASE), trackingRef(branch));
    expect(commits.map((c) => c.authorEmail)).toEqual([BOT.email]);
    expect(foreignCommits(commits, [BOT, COMMITTER])).toEqual([]);
  });

  it('refuses to list commits in a shallow clone rather than answer wrongly', async () => {
    const repo = await sandbox.clone({ history: 'tip' });
    await expect(repo.commitsSince(trackingRef(BASE), 'HEAD')).rejects.toThrow(/needs the commit history/);
  });

  it('resets an existing update branch to the base and force-pushes over the bot’s own commit', async () => {
    const branch = newBranch();
    const repo = await sandbox.clone();
    await repo.resetBranch(branch, trackingRef(BASE));
    await edit(repo, 'deps.edn', '{:deps {:old 1}}\n');
    await repo.push(branch, undefined);

    const again = await sandbox.clone();
    const remote = await again.fetchBranch(branch);
    await again.resetBranch(branch, trackingRef(BASE));
    const sha = await edit(again, 'deps.edn', '{:deps {:new 2}}\n');
    expect(await again.push(branch, remote)).toEqual({ status: 'pushed', sha });
    expect((await readCommit(sandbox.bareDir, sha)).parents).toEqual([(await sandbox.branches())[BASE]]);
  });

  it('force-with-lease refuses to overwrite a branch that moved since it was fetched', async () => {
    const branch = newBranch();
    const repo = await sandbox.clone();
    await repo.resetBranch(branch, trackingRef(BASE));
    await edit(repo, 'deps.edn', '{:deps {:c 3}}\n');
    await repo.push(branch, undefined);
    const seen = await repo.fetchBranch(branch);
    const theirs = await commitFileOnBranch(
      sandbox.bareDir,
      branch,
      'NOTES.md',
      'mine\n',
      'Fix by hand',
      PERSON,
    );

    await repo.resetBranch(branch, trackingRef(BASE));
    await edit(repo, 'deps.edn', '{:deps {:c 4}}\n');
    expect(await repo.push(branch, seen)).toEqual({ status: 'rejected', reason: 'moved' });
    expect((await sandbox.branches())[branch]).toBe(theirs);
  });

  it('refuses to create a branch that appeared meanwhile', async () => {
    const branch = newBranch();
    const repo = await sandbox.clone();
    await repo.resetBranch(branch, trackingRef(BASE));
    await edit(repo, 'deps.edn', '{:deps {:d 4}}\n');
    const other = await sandbox.clone();
    await other.resetBranch(branch, trackingRef(BASE));
    const first = await edit(other, 'README.md', 'first\n');
    await other.push(branch, undefined);

    expect(await repo.push(branch, undefined)).toEqual({ status: 'rejected', reason: 'moved' });
    expect((await sandbox.branches())[branch]).toBe(first);
  });

  it('retries a push rejected because someone pushed first, re-applying the update on the new head', async () => {
    const branch = newBranch();
    const repo = await sandbox.clone();
    await repo.resetBranch(branch, trackingRef(BASE));
    await edit(repo, 'deps.edn', '{:deps {:e 5}}\n');
    await repo.push(branch, undefined);
    const lease = await repo.fetchBranch(branch);
    await edit(repo, 'deps.edn', '{:deps {:e 6}}\n');
    sandbox.service.faults.rejectNextPush(REPO, branch, { path: 'CONCURRENT.md' });

    const heads: Array<string | undefined> = [];
    const result = await repo.pushWithRetry(branch, lease, async (remoteSha) => {
      heads.push(remoteSha);
      await repo.resetBranch(branch, remoteSha ?? trackingRef(BASE));
      await edit(repo, 'deps.edn', '{:deps {:e 6}}\n');
    });

    expect(result.retries).toBe(1);
    expect(heads).toHaveLength(1);
    const tip = (await sandbox.branches())[branch];
    expect(tip).toBe(result.sha);
    const pushed = await readCommit(sandbox.bareDir, result.sha);
    expect(pushed.parents).toEqual(heads);
    expect((await readCommit(sandbox.bareDir, heads[0] as string)).message).toBe('Someone else pushed first');
    expect(await readFile(join(repo.dir, 'CONCURRENT.md'), 'utf8')).toBe('Someone else pushed first.\n');
  });

  it('gives up after the bound when every push finds the branch moved', async () => {
    const branch = newBranch();
    const repo = await sandbox.clone();
    await repo.resetBranch(branch, trackingRef(BASE));
    await edit(repo, 'deps.edn', '{:deps {:f 6}}\n');
    await repo.push(branch, undefined);
    const lease = await repo.fetchBranch(branch);
    await edit(repo, 'deps.edn', '{:deps {:f 7}}\n');
    for (let i = 0; i < 5; i++)
      sandbox.service.faults.rejectNextPush(REPO, branch, { path: `CONCURRENT-${i}.md` });

    let reapplied = 0;
    const attempt = repo.pushWithRetry(
      branch,
      lease,
      async (remoteSha) => {
        reapplied++;
        await repo.resetBranch(branch, remoteSha ?? trackingRef(BASE));
        await edit(repo, 'deps.edn', `{:deps {:f ${8 + reapplied}}}\n`);
      },
      { maxRetries: 2 },
    );

    await expect(attempt).rejects.toThrow(FailureError);
    await expect(attempt).rejects.toThrow(/rejected 3 times/);
    expect(reapplied).toBe(2);
    const tip = (await sandbox.branches())[branch] as string;
    expect((await readCommit(sandbox.bareDir, tip)).author.email).toBe('someone@sandbox.invalid');
    sandbox.service.faults.clear();
  });

  it('deletes a remote branch, and reports one that is already gone', async () => {
    const branch = newBranch();
    const repo = await sandbox.clone();
    await repo.resetBranch(branch, trackingRef(BASE));
    const sha = await edit(repo, 'deps.edn', '{:deps {:g 7}}\n');
    await repo.push(branch, undefined);
    expect(await repo.remoteBranchSha(branch)).toBe(sha);

    expect(await repo.deleteRemoteBranch(branch, sha)).toBe('deleted');
    expect((await sandbox.branches())[branch]).toBeUndefined();
    expect(await repo.remoteBranchSha(branch)).toBeUndefined();
    expect(await repo.deleteRemoteBranch(branch)).toBe('absent');
  });

  it('does not delete a branch that moved since it was seen', async () => {
    const branch = newBranch();
    const repo = await sandbox.clone();
    await repo.resetBranch(branch, trackingRef(BASE));
    const sha = await edit(repo, 'deps.edn', '{:deps {:h 8}}\n');
    await repo.push(branch, undefined);
    const theirs = await commitFileOnBranch(
      sandbox.bareDir,
      branch,
      'NOTES.md',
      'keep\n',
      'Keep this',
      PERSON,
    );

    await expect(repo.deleteRemoteBranch(branch, sha)).rejects.toThrow(/stale info/);
    expect((await sandbox.branches())[branch]).toBe(theirs);
  });
});
