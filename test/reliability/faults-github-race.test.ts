/**
 * Faults survived (issue 7): people and races around the update branch and its pull request, through
 * open-update on a fresh sandbox each. A PR opened between our list and our create (GitHub's 422), a PR closed
 * or merged by a person between runs, the default branch force-pushed, a push rejected because someone pushed
 * first, and a person's commit on the update branch. Each ends with at most one open PR, one Slack notice per
 * PR, an exit code and message that say what happened, a re-run that changes nothing more, and no secret in
 * the output, the PRs, Slack, or the `.git/config` of any clone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { commitFileOnBranch, commitTree, git, updateBranch } from '../../src/sandbox/github/bare-repo.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { githubWrites } from '../flows/flow-harness.js';
import { checkSecrets } from './canary.js';
import { type FlowRun, openPullHeads, published, runFlowOnSandbox, sandboxSecrets } from './sandbox-flow.js';

const BRANCH = 'windows-update/win2019-win2022';
const BOT = { name: 'Hephestus Bot', email: 'hephestus-bot@example.com' };
const PERSON = { name: 'Ada Admin', email: 'ada@example.com' };
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

const runs: FlowRun<OpenUpdateReport>[] = [];
const open = async (): Promise<FlowRun<OpenUpdateReport>> => {
  const run = await runFlowOnSandbox<OpenUpdateReport>(sandbox, 'open-update', { repo: IMAGES_REPO });
  runs.push(run);
  return run;
};
beforeEach(() => {
  runs.length = 0;
});

const updateNotices = () => sandbox.slack.messages('#execution-teams');
const pullsOf = () => sandbox.github.pulls(IMAGES_REPO);
const bareDir = () => sandbox.github.repo(IMAGES_REPO).dir;

/** Everything the runs and the sandbox hold, checked for every secret (tokens, AWS keys, canaries). */
function expectNoSecrets(task: Parameters<typeof checkSecrets>[0]) {
  const captured = [...runs.flatMap((run) => [run.output, ...run.gitConfigs]), ...published(sandbox)];
  expect(runs.every((run) => run.gitConfigs.length > 0)).toBe(true);
  expect(checkSecrets(task, sandboxSecrets(sandbox), ...captured), 'a secret in the output').toBe(0);
}

describe('faults survived: people and races on the update pull request', () => {
  it('422 "already exists": a PR for the branch is opened between our list and our create', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    sandbox.github.faults.pullOpenedMeanwhile(IMAGES_REPO);

    const first = await open();
    expect(first.exitCode, first.output).toBe(0);
    // It took over the PR someone else opened first: one PR, ours in title and body, and it says so.
    expect(first.report?.outcome).toBe('updated');
    const [pr] = pullsOf();
    expect(pullsOf()).toHaveLength(1);
    expect(pr?.user).toBe('octo-racer');
    expect(pr?.title).toBe('Windows image update: win2022, win2019');
    expect(first.report?.pullRequest?.number).toBe(pr?.number);
    // Whoever opened it announces the opening; a run that lost the race does not post a second notice.
    expect(first.report?.summary).toContain(
      `#${pr?.number} was opened by a concurrent run, which announces it`,
    );
    expect(updateNotices()).toHaveLength(0);

    // The racer here never announced it, so the next run does, once.
    const again = await open();
    expect(again.exitCode, again.output).toBe(0);
    expect(again.report?.outcome).toBe('unchanged');
    expect(updateNotices()).toHaveLength(1);
    const last = await open();
    expect(last.report?.outcome, last.output).toBe('unchanged');
    expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([BRANCH]);
    expect(updateNotices()).toHaveLength(1);
    expectNoSecrets(task);
  });

  it('the PR closed by a person between runs: the next run opens one new PR and announces it once', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    const first = await open();
    expect(first.report?.outcome, first.output).toBe('created');
    const closed = first.report?.pullRequest?.number as number;
    await github.octokit.rest.pulls.update({ owner, repo, pull_number: closed, state: 'closed' });

    const second = await open();
    expect(second.exitCode, second.output).toBe(0);
    expect(second.report?.outcome).toBe('created');
    expect(second.report?.pullRequest?.number).not.toBe(closed);
    expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([BRANCH]);
    // One notice per pull request: the closed one's and the new one's.
    expect(updateNotices()).toHaveLength(2);

    const again = await open();
    expect(again.report?.outcome, again.output).toBe('unchanged');
    expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([BRANCH]);
    expect(updateNotices()).toHaveLength(2);
    expectNoSecrets(task);
  });

  it('the PR merged by a person between runs: the next run finds the pins current and writes nothing', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    const first = await open();
    expect(first.report?.outcome, first.output).toBe('created');
    await github.octokit.rest.pulls.merge({
      owner,
      repo,
      pull_number: first.report?.pullRequest?.number as number,
    });
    const writes = githubWrites(sandbox).length;

    for (let i = 0; i < 2; i++) {
      const after = await open();
      expect(after.exitCode, after.output).toBe(0);
      expect(after.report?.outcome).toBe('nothing-newer');
    }
    expect(githubWrites(sandbox).length).toBe(writes);
    expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([]);
    expect(updateNotices()).toHaveLength(1);
    expectNoSecrets(task);
  });

  it('the default branch force-pushed between runs: the update is rebuilt on the new base', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    const first = await open();
    expect(first.report?.outcome, first.output).toBe('created');

    // A person rewrites main: its last commit replaced by one that also changes the README.
    const dir = bareDir();
    const old = await git(dir, ['rev-parse', 'refs/heads/main']);
    const changed = await commitFileOnBranch(dir, 'main', 'README.md', 'Rewritten.\n', 'Rewrite', PERSON);
    const parents = (await git(dir, ['rev-list', '--parents', '-n', '1', old])).split(' ').slice(1);
    const tree = await git(dir, ['rev-parse', `${changed}^{tree}`]);
    const rewritten = await commitTree(dir, tree, parents, 'Rewritten history', PERSON);
    await updateBranch(dir, 'main', rewritten, changed);
    await sandbox.github.sync(IMAGES_REPO);

    const second = await open();
    expect(second.exitCode, second.output).toBe(0);
    expect(second.report?.outcome).toBe('updated');
    const head = sandbox.github.repo(IMAGES_REPO).branches[BRANCH] as string;
    expect(await git(dir, ['merge-base', '--is-ancestor', rewritten, head]).then(() => true)).toBe(true);
    expect(await git(dir, ['rev-list', '--count', `${rewritten}..${head}`])).toBe('1');
    expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([BRANCH]);
    expect(updateNotices()).toHaveLength(1);

    const again = await open();
    expect(again.report?.outcome, again.output).toBe('unchanged');
    expectNoSecrets(task);
  });

  it('push rejected because another run pushed first: the push is retried on top and the PR opened once', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    sandbox.github.faults.rejectNextPush(IMAGES_REPO, BRANCH, { author: BOT });

    const first = await open();
    expect(first.exitCode, first.output).toBe(0);
    expect(first.report?.outcome).toBe('created');
    const head = sandbox.github.repo(IMAGES_REPO).branches[BRANCH] as string;
    expect(await git(bareDir(), ['rev-list', '--count', `main..${head}`])).toBe('1');
    expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([BRANCH]);
    expect(updateNotices()).toHaveLength(1);

    const again = await open();
    expect(again.report?.outcome, again.output).toBe('unchanged');
    expect(updateNotices()).toHaveLength(1);
    expectNoSecrets(task);
  });

  it('push rejected because a person pushed first: their commit is kept, exit 1 says so, re-runs too', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    sandbox.github.faults.rejectNextPush(IMAGES_REPO, BRANCH, { author: PERSON, path: 'NOTES.md' });

    const first = await open();
    expect(first.exitCode, first.output).toBe(1);
    expect(first.error?.message).toMatch(/someone else pushed to windows-update\/win2019-win2022/);
    const theirs = sandbox.github.repo(IMAGES_REPO).branches[BRANCH] as string;
    expect(await git(bareDir(), ['log', '-1', '--format=%an', theirs])).toBe(PERSON.name);

    const again = await open();
    expect(again.exitCode, again.output).toBe(1);
    expect(again.error?.message).toMatch(/carries 1 commit not made by Hephestus Bot/);
    expect(sandbox.github.repo(IMAGES_REPO).branches[BRANCH]).toBe(theirs);
    // No PR for a branch we could not write, and so nothing to announce.
    expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([]);
    expect(updateNotices()).toHaveLength(0);
    expectNoSecrets(task);
  });

  it("a person's commit on an update branch that holds the update: kept, and every run succeeds", async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    const first = await open();
    expect(first.report?.outcome, first.output).toBe('created');
    const number = first.report?.pullRequest?.number as number;
    const theirs = await commitFileOnBranch(bareDir(), BRANCH, 'NOTES.md', 'mine\n', 'Add notes', PERSON);
    await sandbox.github.sync(IMAGES_REPO);

    for (let i = 0; i < 2; i++) {
      const again = await open();
      expect(again.exitCode, again.output).toBe(0);
      expect(again.report?.outcome).toBe('unchanged');
      expect(sandbox.github.repo(IMAGES_REPO).branches[BRANCH]).toBe(theirs);
    }
    const comments = sandbox.github.comments(IMAGES_REPO, number);
    expect(comments.filter((c) => c.body.includes('could not update'))).toEqual([]);
    expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([BRANCH]);
    expect(updateNotices()).toHaveLength(1);
    expectNoSecrets(task);
  });
  it('the PR merged by a person before validation: promote refuses, promotes nothing and starts no consumer', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    const first = await open();
    expect(first.report?.outcome, first.output).toBe('created');
    const number = first.report?.pullRequest?.number as number;
    const { data: merged } = await github.octokit.rest.pulls.merge({ owner, repo, pull_number: number });

    for (let i = 0; i < 2; i++) {
      const promote = await runFlowOnSandbox(sandbox, 'promote', {
        repo: IMAGES_REPO,
        sha: merged.sha,
        branch: 'main',
      });
      runs.push(promote as FlowRun<OpenUpdateReport>);
      expect(promote.exitCode, promote.output).toBe(1);
      expect(promote.error?.message).toMatch(
        /no validated AMI of win20(22|19) built from .*run build-validate on the pull request first/,
      );
    }
    // Nothing points at unvalidated images: no AMI in a channel, no consumer pipeline, no lock-file PR.
    const inChannel = [...sandbox.ec2.state.images.values()].filter(
      (image) => image.tags['hephestus:channel'],
    );
    expect(inChannel).toHaveLength(0);
    expect(sandbox.circleci.state.triggers).toHaveLength(0);
    expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([]);
    expectNoSecrets(task);
  });
});
