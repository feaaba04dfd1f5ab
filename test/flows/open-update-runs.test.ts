/**
 * open-update as a team runs it between the monthly updates, on the sandbox: a manual `--force` run with every pin
 * current opens a rebuild (and the scheduled run leaves it open), a scheduled run closes an update PR whose change
 * the default branch already holds, an update branch left behind by a merge with a person's commit on it does
 * not stop the next update, and a run that finds no marker for a notice already posted keeps the first message.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { commitFileOnBranch, git } from '../../src/sandbox/github/bare-repo.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runSandboxFlow } from './flow-harness.js';

const PERSON = { name: 'Dana Operator', email: 'dana@example.com' };
const BRANCH = 'windows-update/win2019-win2022';
const PINS = 'packer/windows.auto.pkrvars.hcl';
const [owner, repo] = IMAGES_REPO.split('/') as [string, string];

let sandbox: Sandbox;
let github: GitHubClient;

beforeEach(async () => {
  sandbox = await startSandbox();
  github = new GitHubClient({ token: sandbox.tokens.github, baseUrl: sandbox.urls.github, pacing: false });
});
afterEach(async () => {
  await sandbox?.stop();
});

const open = (options: { force?: boolean; images?: string } = {}) =>
  runSandboxFlow<OpenUpdateReport>(sandbox, 'open-update', { repo: IMAGES_REPO, ...options });

const bare = () => sandbox.github.repo(IMAGES_REPO).dir;
const openHeads = () =>
  sandbox.github
    .pulls(IMAGES_REPO)
    .filter((p) => p.state === 'open')
    .map((p) => p.head.ref);
const notices = () =>
  sandbox.slack.state.messages.filter((m) => m.text.startsWith('Windows image update opened'));

async function mergeOpen(method: 'merge' | 'squash' | 'rebase' = 'merge'): Promise<void> {
  const pr = sandbox.github.pulls(IMAGES_REPO).find((p) => p.state === 'open');
  await github.octokit.rest.pulls.merge({
    owner,
    repo,
    pull_number: pr?.number as number,
    merge_method: method,
  });
}

describe('open-update between the monthly updates', () => {
  it('--force with every pin current opens a rebuild PR, announced once; the scheduled run leaves it open', async () => {
    expect((await open()).report?.outcome).toBe('created');
    await mergeOpen();
    const current = await open();
    expect(current.report?.outcome, current.log).toBe('nothing-newer');

    const forced = await open({ force: true });
    expect(forced.exitCode, forced.log).toBe(0);
    expect(forced.report?.outcome).toBe('created');
    expect(openHeads()).toEqual([BRANCH]);
    const head = sandbox.github.repo(IMAGES_REPO).branches[BRANCH] as string;
    expect(await git(bare(), ['log', '-1', '--format=%s', head])).toMatch(
      /^Rebuild images: win2022, win2019/,
    );
    expect(await git(bare(), ['diff', '--stat', 'main', head])).toBe('');
    expect(notices().at(-1)?.blocks?.length).toBeGreaterThan(0);
    expect(JSON.stringify(notices().at(-1)?.blocks)).toContain('A rebuild was asked for');

    const again = await open({ force: true });
    expect(again.report?.outcome, again.log).toBe('unchanged');
    const scheduled = await open();
    expect(scheduled.report?.outcome, scheduled.log).toBe('nothing-newer');
    expect(openHeads()).toEqual([BRANCH]);
    expect(notices()).toHaveLength(2);
  });

  it('a run that lost the marker of its notice (a racing run wrote the PR body over it) keeps the first message', async () => {
    expect((await open()).report?.outcome).toBe('created');
    const [first] = notices();
    expect(first?.metadata).toEqual({
      event_type: 'hephestus_notice',
      event_payload: { event: 'update_opened', repository: IMAGES_REPO, pull_request: expect.anything() },
    });
    const pr = sandbox.github.pulls(IMAGES_REPO).find((p) => p.state === 'open');
    const marker = /<!-- hephestus:slack [^\n]*? -->\n*/g;
    expect(pr?.body).toMatch(marker);
    await github.octokit.rest.pulls.update({
      owner,
      repo,
      pull_number: pr?.number as number,
      body: pr?.body?.replace(marker, ''),
    });

    const again = await open();
    expect(again.report?.outcome, again.log).toBe('unchanged');
    expect(again.report?.slack).toMatchObject([{ status: 'unchanged', ts: first?.ts }]);
    // It posted (finding no marker), saw the first message of the same PR and deleted its own copy.
    expect(sandbox.slack.router.count('POST /api/chat.delete')).toBe(1);
    expect(notices().map((m) => m.ts)).toEqual([first?.ts]);
    const body = sandbox.github.pulls(IMAGES_REPO).find((p) => p.number === pr?.number)?.body;
    expect(body).toContain(`"ts":"${first?.ts}"`);
    // And from then on it is found again: nothing posted, nothing deleted.
    const posts = sandbox.slack.router.count('POST /api/chat.postMessage');
    expect((await open()).report?.outcome).toBe('unchanged');
    expect(sandbox.slack.router.count('POST /api/chat.postMessage')).toBe(posts);
    expect(notices().map((m) => m.ts)).toEqual([first?.ts]);
  });

  it('a scheduled run closes the update PR whose change the default branch already holds', async () => {
    expect((await open()).report?.outcome).toBe('created');
    // A person brings the same pins to main by hand.
    const pins = await git(bare(), ['show', `${BRANCH}:${PINS}`]);
    await commitFileOnBranch(bare(), 'main', PINS, `${pins}\n`, 'Bump the pins by hand', PERSON);
    await sandbox.github.sync(IMAGES_REPO);

    const scheduled = await open();
    expect(scheduled.exitCode, scheduled.log).toBe(0);
    expect(scheduled.report?.outcome).toBe('closed');
    expect(openHeads()).toEqual([]);
    expect(sandbox.github.repo(IMAGES_REPO).branches[BRANCH]).toBeUndefined();
  });

  it("an update branch merged with a person's commit and not deleted does not stop the next update", async () => {
    expect((await open()).report?.outcome).toBe('created');
    await commitFileOnBranch(bare(), BRANCH, 'NOTES.md', 'notes\n', 'Add notes', PERSON);
    await sandbox.github.sync(IMAGES_REPO);
    await mergeOpen('merge');
    expect(sandbox.github.repo(IMAGES_REPO).branches[BRANCH]).toBeDefined();

    const next = await open({ force: true });
    expect(next.exitCode, next.log).toBe(0);
    expect(next.report?.outcome).toBe('created');
    expect(openHeads()).toEqual([BRANCH]);
  });

  it("an update branch squash-merged with a person's commit and not deleted does not stop the next update", async () => {
    expect((await open()).report?.outcome).toBe('created');
    await commitFileOnBranch(bare(), BRANCH, 'NOTES.md', 'notes\n', 'Add notes', PERSON);
    await sandbox.github.sync(IMAGES_REPO);
    await mergeOpen('squash');

    const next = await open({ force: true });
    expect(next.exitCode, next.log).toBe(0);
    expect(next.report?.outcome).toBe('created');
  });
});
