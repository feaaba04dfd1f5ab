/**
 * `hephestus run monitor` against the in-process sandbox: an update PR opened by the real open-update flow,
 * CI statuses and check runs posted through GitHub's API, reviews by other people, and AMIs tagged for the
 * PR's head as build-validate tags them, with the validation record build-validate leaves in its comment.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runFlowCommand } from '../../src/cli/commands/run-flow-command.js';
import type { FlowOptions } from '../../src/flows/flow-context.js';
import type { MonitorReport, PullRequestMonitorReport } from '../../src/flows/monitor.js';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { PullRequests } from '../../src/github/pull-requests.js';
import { BUILD_COMMENT_KEY, VALIDATION_RECORD } from '../../src/lock/build-record.js';
import { Logger } from '../../src/log/logger.js';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/aws/aws-auth.js';
import { commitFileOnBranch } from '../../src/sandbox/github/bare-repo.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { githubWrites, runSandboxFlow } from './flow-harness.js';

let sandbox: Sandbox;
let github: GitHubClient;
let seedConfig: string;
let pr: { number: number; headSha: string };
const repo = { repo: IMAGES_REPO };
const [owner, name] = IMAGES_REPO.split('/') as [string, string];

beforeAll(async () => {
  sandbox = await startSandbox();
  github = new GitHubClient({ token: sandbox.tokens.github, baseUrl: sandbox.urls.github, pacing: false });
  seedConfig = await readFile(join(seedDirs.imagesRepo, 'hephestus.yml'), 'utf8');
  const opened = await runSandboxFlow<OpenUpdateReport>(sandbox, 'open-update', repo);
  expect(opened.report?.outcome, opened.log).toBe('created');
  const pull = sandbox.github.pulls(IMAGES_REPO)[0];
  if (!pull) throw new Error('open-update opened no pull request');
  pr = { number: pull.number, headSha: pull.head.sha };
});
afterAll(() => sandbox?.stop());

/** Commits hephestus.yml on main with `monitor` appended, as a person changing the configuration would. */
async function configureMonitor(section: string): Promise<void> {
  await commitFileOnBranch(
    sandbox.github.repo(IMAGES_REPO).dir,
    'main',
    'hephestus.yml',
    `${seedConfig.trimEnd()}\n\nmonitor:\n${section}`,
    'Configure the monitor',
    { name: 'Ada Person', email: 'ada@example.invalid' },
  );
  await sandbox.github.sync(IMAGES_REPO);
}

async function monitor(options: { dryRun?: boolean } = {}): Promise<PullRequestMonitorReport> {
  const run = await runSandboxFlow<MonitorReport>(sandbox, 'monitor', { ...repo, ...options });
  expect(run.exitCode, run.log).toBe(0);
  const entry = run.report?.pullRequests.find((p) => p.number === pr.number);
  if (!entry) throw new Error(`monitor did not report #${pr.number}:\n${run.log}`);
  return entry;
}

function status(state: 'pending' | 'success' | 'failure', context: string) {
  return github.octokit.rest.repos.createCommitStatus({ owner, repo: name, sha: pr.headSha, state, context });
}

function checkRun(name_: string, fields: { status?: 'in_progress'; conclusion?: 'success' | 'failure' }) {
  return github.octokit.rest.checks.create({
    owner,
    repo: name,
    head_sha: pr.headSha,
    name: name_,
    ...fields,
  });
}

/** The id of the us-west-2 copy of `imageId` (which lives in us-east-1). */
const westOf = (imageId: string) => imageId.replace('ami-0f', 'ami-0e');

/** An AMI of ours in each region of the images, tagged as build-validate tags what it built from `sha`. */
function tagAmi(imageId: string, image: string, sha: string, status: 'built' | 'validated' | 'failed') {
  const base = [...sandbox.ec2.state.images.values()].find((i) => i.region === 'us-east-1');
  if (!base) throw new Error('the sandbox has no base image to copy');
  for (const [region, id] of [
    ['us-east-1', imageId],
    ['us-west-2', westOf(imageId)],
  ] as const) {
    sandbox.ec2.state.images.set(id, {
      ...base,
      imageId: id,
      region,
      name: `${image}-${sha.slice(0, 8)}`,
      ownerId: SANDBOX_ACCOUNT_ID,
      ownerAlias: undefined,
      isPublic: false,
      tags: { 'hephestus:image': image, 'hephestus:git-sha': sha, 'hephestus:status': status },
    });
  }
}

/** The bot's build-validate comment on the PR, with its validation record for the head: image to [AMI, status]. */
async function recordValidation(
  outcome: 'validated' | 'failed',
  images: Record<string, [string, 'validated' | 'failed' | 'built']>,
): Promise<void> {
  const record = VALIDATION_RECORD.encode({
    sha: pr.headSha,
    run: 'wf-monitor',
    outcome,
    images: Object.fromEntries(
      Object.entries(images).map(([image, [ami, status]]) => [
        image,
        {
          status,
          action: 'built',
          input_hash: `sha256:${image}`,
          amis: { 'us-east-1': ami, 'us-west-2': westOf(ami) },
        },
      ]),
    ),
  });
  await new PullRequests(github, { owner, repo: name }).upsertComment(
    pr.number,
    BUILD_COMMENT_KEY,
    `### Hephestus: ${outcome}\n\n${record}`,
  );
}

/** `hephestus run <flow> --json` as the CLI runs it (context from process.env, report on stdout). */
async function runJson([flow, options]: [string, FlowOptions]): Promise<{
  exitCode: number;
  stdout: string;
}> {
  let stdout = '';
  const out = new Writable({
    write(chunk, _encoding, done) {
      stdout += String(chunk);
      done();
    },
  });
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  for (const [key, value] of Object.entries(sandbox.env)) vi.stubEnv(key, value);
  try {
    const exitCode = await runFlowCommand(flow, options, {
      logger: new Logger({ stream: quiet, out }),
      json: true,
    });
    return { exitCode, stdout };
  } finally {
    vi.unstubAllEnvs();
  }
}

function reminders() {
  return sandbox.slack.state.messages.filter((m) => m.text.startsWith('Still open after'));
}

describe('hephestus run monitor', () => {
  it('reports an open update PR as JSON: pending checks, no reviews, not validated, and writes nothing', async () => {
    await status('pending', 'ci/circleci: build-validate');
    await status('success', 'ci/circleci: lint');
    const writes = githubWrites(sandbox).length;
    const { exitCode, stdout } = await runJson(['monitor', repo]);
    expect(exitCode).toBe(0);
    const report = JSON.parse(stdout) as MonitorReport;
    expect(report).toMatchObject({ flow: 'monitor', outcome: 'reported', dryRun: false, exitCode: 0 });
    expect(report.pullRequests).toHaveLength(1);
    expect(report.pullRequests[0]).toMatchObject({
      number: pr.number,
      branch: 'windows-update/win2019-win2022',
      headSha: pr.headSha,
      draft: false,
      mergeable: true,
      mergeableState: 'clean',
      checks: {
        state: 'pending',
        checks: [
          { name: 'ci/circleci: build-validate', state: 'pending' },
          { name: 'ci/circleci: lint', state: 'success' },
        ],
      },
      reviews: { decision: 'none', approvedBy: [], changesRequestedBy: [] },
      validation: { state: 'pending', amis: [] },
      blockers: ['validation pending', 'checks pending'],
      merge: 'disabled',
      reminder: 'not-stale',
    });
    expect(report.summary).toEqual([
      `#${pr.number} windows-update/win2019-win2022: checks pending, reviews none, validation pending, mergeable true; merge disabled; reminder not-stale`,
      `dashboard #${report.dashboard?.number}: created`,
    ]);
    // Nothing on the pull request: the one write is the dashboard issue, opened on monitor's first run.
    expect(githubWrites(sandbox).slice(writes)).toEqual([`POST /repos/${IMAGES_REPO}/issues`]);
  });

  it('holds a PR back for failed checks, a request for changes and a failed validation', async () => {
    await checkRun('smoke tests', { conclusion: 'failure' });
    sandbox.github.addReview(IMAGES_REPO, pr.number, { user: 'alice', state: 'CHANGES_REQUESTED' });
    tagAmi('ami-0f00000000000f001', 'win2022', pr.headSha, 'validated');
    tagAmi('ami-0f00000000000f002', 'win2019', pr.headSha, 'failed');
    await recordValidation('failed', {
      win2022: ['ami-0f00000000000f001', 'validated'],
      win2019: ['ami-0f00000000000f002', 'failed'],
    });
    const entry = await monitor();
    expect(entry.checks.state).toBe('failure');
    expect(entry.reviews).toEqual({
      decision: 'changes_requested',
      approvedBy: [],
      changesRequestedBy: ['alice'],
    });
    expect(entry.validation.state).toBe('failed');
    expect(entry.validation.amis.map((a) => [a.image, a.status]).sort()).toEqual([
      ['win2019', 'failed'],
      ['win2019', 'failed'],
      ['win2022', 'validated'],
      ['win2022', 'validated'],
    ]);
    expect(entry.blockers).toEqual(['validation failed', 'checks failure', 'changes requested by alice']);
  });

  it('reminds Slack once of a stale PR across runs, in the thread of its update notice; --dry-run sends nothing', async () => {
    await configureMonitor('  stale_after_days: 7\n');
    const pull = sandbox.github.pulls(IMAGES_REPO).find((p) => p.number === pr.number);
    if (!pull) throw new Error('no pull request');
    pull.createdAt = new Date(Date.now() - 10 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

    const writes = githubWrites(sandbox).length;
    const dry = await monitor({ dryRun: true });
    expect(dry).toMatchObject({ reminder: 'would-send', ageDays: expect.closeTo(10, 0) });
    expect(reminders()).toEqual([]);
    expect(githubWrites(sandbox).length).toBe(writes);

    const outcomes = [];
    for (let run = 0; run < 3; run++) outcomes.push((await monitor()).reminder);
    expect(outcomes).toEqual(['sent', 'already-sent', 'already-sent']);
    const [reminder, ...more] = reminders();
    expect(more).toEqual([]);
    expect(reminder?.text).toBe(`Still open after 10 days: ${IMAGES_REPO}#${pr.number}`);
    const opened = sandbox.slack.state.messages.find((m) => m.text.startsWith('Windows image update opened'));
    expect(reminder?.thread_ts).toBe(opened?.ts);
    const marked = sandbox.github
      .comments(IMAGES_REPO, pr.number)
      .filter((c) => c.body.includes('<!-- hephestus:comment stale-reminder -->'));
    expect(marked).toHaveLength(1);
    expect(marked[0]?.body).toContain(`"ts":"${reminder?.ts}"`);
  });

  it('merges only when validated, green and configured: not before, --dry-run only says so', async () => {
    await configureMonitor('  auto_merge: true\n  stale_after_days: 7\n');
    // Fixed since the last run: the smoke tests pass on a re-run and alice approves; win2019 is still building.
    await checkRun('smoke tests', { conclusion: 'success' });
    await status('success', 'ci/circleci: build-validate');
    sandbox.github.addReview(IMAGES_REPO, pr.number, { user: 'alice', state: 'APPROVED' });
    tagAmi('ami-0f00000000000f002', 'win2019', pr.headSha, 'built');
    await recordValidation('validated', {
      win2022: ['ami-0f00000000000f001', 'validated'],
      win2019: ['ami-0f00000000000f002', 'validated'],
    });
    const waiting = await monitor();
    expect(waiting).toMatchObject({ merge: 'not-ready', blockers: ['validation pending'] });
    expect(sandbox.github.pulls(IMAGES_REPO)[0]?.state).toBe('open');

    tagAmi('ami-0f00000000000f002', 'win2019', pr.headSha, 'validated');
    const writes = githubWrites(sandbox).length;
    const dry = await monitor({ dryRun: true });
    expect(dry).toMatchObject({ merge: 'would-merge', blockers: [], validation: { state: 'passed' } });
    expect(githubWrites(sandbox).length).toBe(writes);

    const merged = await monitor();
    expect(merged).toMatchObject({
      merge: 'merged',
      reviews: { decision: 'approved', approvedBy: ['alice'] },
    });
    const pull = sandbox.github.pulls(IMAGES_REPO)[0];
    expect(pull).toMatchObject({ state: 'closed', merged: true });
    expect(sandbox.github.repo(IMAGES_REPO).branches.main).toBe(pull?.mergeCommitSha);
    expect(reminders()).toHaveLength(1);

    const after = await runSandboxFlow<MonitorReport>(sandbox, 'monitor', repo);
    expect(after.report).toMatchObject({ outcome: 'none', pullRequests: [] });
  });
});
