/**
 * The whole windows-update lifecycle against the in-process sandbox, with the real clients, real git and real
 * Packer 1.6.6: open-update -> build-validate (a failing smoke test first, then green) -> merge -> promote ->
 * bump-consumer -> merge -> announce, each step run twice to show that nothing doubles.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../src/aws/image-tags.js';
import type { AnnounceReport } from '../../src/flows/announce.js';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import type { BumpConsumerReport } from '../../src/flows/bump-consumer.js';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import type { PromoteReport } from '../../src/flows/promote.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { IMAGES_REPO, type Sandbox, SERVICE_REPO, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { githubWrites, runSandboxFlow } from './flow-harness.js';

const BRANCH = 'windows-update/win2019-win2022';
let sandbox: Sandbox;
let github: GitHubClient;
let scratch: string;

beforeAll(async () => {
  // Scale 0: every EC2 transition is done by the next request, as Packer's waiters need.
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  github = new GitHubClient({ token: sandbox.tokens.github, baseUrl: sandbox.urls.github, pacing: false });
  scratch = await mkdtemp(join(tmpdir(), 'flows-'));
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

const [owner, imagesName] = IMAGES_REPO.split('/') as [string, string];
const serviceName = SERVICE_REPO.split('/')[1] as string;

async function openPulls(repo: string) {
  const { data } = await github.octokit.rest.pulls.list({ owner, repo, state: 'open' });
  return data;
}

function slackMessages(channelName?: string) {
  const ids = sandbox.slack.state.channels
    .filter((c) => !channelName || c.name === channelName)
    .map((c) => c.id);
  return sandbox.slack.state.messages.filter((m) => ids.includes(m.channel));
}

/** The update's top message in #execution-teams and its thread, read back through the real WebClient. */
async function statusThread(repository: string) {
  const web = new WebClient(sandbox.tokens.slack, {
    slackApiUrl: sandbox.urls.slack,
    retryConfig: { retries: 0 },
  });
  const channel = sandbox.slack.state.channels.find((c) => c.name === 'execution-teams')?.id as string;
  const history = await web.conversations.history({ channel });
  const top = history.messages?.find((m) => m.text?.includes(`(${repository}#`));
  if (!top?.ts) throw new Error(`no top message for ${repository}`);
  const thread = await web.conversations.replies({ channel, ts: top.ts });
  const stored = sandbox.slack.state.messages.find((m) => m.ts === top.ts);
  const state = (text: string) => /^Windows image update ([^:]+):/.exec(text)?.[1];
  return {
    state: state(top.text ?? ''),
    /** Every state the message showed, oldest first: one per edit. */
    states: [...(stored?.edits ?? []).map((e) => state(e.text)), state(top.text ?? '')],
    replies: (thread.messages ?? []).slice(1).map((m) => m.text?.split(':')[0]),
  };
}

function imageTags(imageId: string): Record<string, string> {
  return sandbox.ec2.state.images.get(imageId)?.tags ?? {};
}

function liveInstances(): string[] {
  return [...sandbox.ec2.state.instances.values()]
    .filter((i) => i.state !== 'terminated')
    .map((i) => i.instanceId);
}

/** Every changed line of a diff, with AMI ids masked: what is left must be the same on both sides. */
function changedLinesMasked(diff: string): { removed: string[]; added: string[] } {
  const lines = diff.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l));
  const mask = (l: string) => l.slice(1).replace(/ami-[0-9a-f]{8,17}/g, 'ami-*');
  return {
    removed: lines.filter((l) => l.startsWith('-')).map(mask),
    added: lines.filter((l) => l.startsWith('+')).map(mask),
  };
}

describe('the windows-update lifecycle on the sandbox', () => {
  const repo = { repo: IMAGES_REPO };
  let validated: BuildValidateReport;
  let mergeSha: string;
  let imagesParameter: string;

  it('open-update --dry-run says what it would do and writes nothing', async () => {
    const run = await runSandboxFlow<OpenUpdateReport>(sandbox, 'open-update', { ...repo, dryRun: true });
    expect(run.exitCode, run.log).toBe(0);
    expect(run.report).toMatchObject({ outcome: 'created', dryRun: true, branch: BRANCH });
    expect(run.log).toContain('dry run: would push windows-update/win2019-win2022');
    expect(githubWrites(sandbox)).toEqual([]);
    expect(sandbox.slack.state.messages).toEqual([]);
  });

  it('open-update opens the images PR with the newer base AMIs, and a re-run writes nothing', async () => {
    const run = await runSandboxFlow<OpenUpdateReport>(sandbox, 'open-update', repo);
    expect(run.exitCode, run.log).toBe(0);
    const report = run.report as OpenUpdateReport;
    expect(report.outcome).toBe('created');
    expect(report.images.map((i) => [i.image, i.outcome])).toEqual([
      ['win2022', 'newer-available'],
      ['win2019', 'newer-available'],
    ]);
    const masked = changedLinesMasked(report.diff);
    expect(masked.removed).toEqual(masked.added);
    expect(masked.added).toEqual(['win2022_source_ami = "ami-*"', 'win2019_source_ami = "ami-*"']);
    const pulls = await openPulls(imagesName);
    expect(pulls.map((p) => p.head.ref)).toEqual([BRANCH]);
    expect(slackMessages('execution-teams')).toHaveLength(1);

    const writes = githubWrites(sandbox).length;
    const again = await runSandboxFlow<OpenUpdateReport>(sandbox, 'open-update', repo);
    expect(again.report?.outcome, again.log).toBe('unchanged');
    expect(githubWrites(sandbox).length).toBe(writes);
    expect(await openPulls(imagesName)).toHaveLength(1);
    expect(sandbox.slack.state.messages).toHaveLength(1);
    expect(await statusThread(IMAGES_REPO)).toEqual({ state: 'opened', states: ['opened'], replies: [] });
  });

  it('build-validate and promote --dry-run build, tag, trigger and write nothing', async () => {
    const writes = githubWrites(sandbox).length;
    const images = sandbox.ec2.state.images.size;
    const build = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
      ...repo,
      branch: BRANCH,
      dryRun: true,
    });
    expect(build.report?.outcome, build.log).toBe('dry-run');
    expect(build.report?.images.map((i) => i.action)).toEqual(['would-build', 'would-build']);
    expect(sandbox.ec2.state.images.size).toBe(images);
    expect(githubWrites(sandbox).length).toBe(writes);
  });

  it('build-validate tags the AMIs failed, says so in Slack and exits 1 when a smoke test fails', async () => {
    sandbox.ssm.faults.commandFails = true;
    let run: Awaited<ReturnType<typeof runSandboxFlow<BuildValidateReport>>>;
    try {
      run = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', { ...repo, branch: BRANCH });
    } finally {
      sandbox.ssm.faults.commandFails = false;
    }
    expect(run.exitCode, run.log).toBe(1);
    const report = run.report as BuildValidateReport;
    expect(report.outcome).toBe('failed');
    for (const image of report.images) {
      expect(image).toMatchObject({ action: 'built', status: 'failed' });
      expect(image.validation).toMatchObject({ passed: false, failedStep: 'smoke-tests', terminated: true });
      for (const ami of Object.values(image.amis)) expect(imageTags(ami)[TAG.status]).toBe('failed');
    }
    expect(liveInstances()).toEqual([]);
    const failed = slackMessages('execution-teams').filter((m) => m.text.startsWith('Hephestus failed'));
    expect(failed).toHaveLength(1);
    // The top message went through the run's states; the failure's details are in its thread.
    expect(await statusThread(IMAGES_REPO)).toEqual({
      state: 'failed',
      states: ['opened', 'building', 'validating', 'failed'],
      replies: ['Hephestus failed'],
    });
  });

  it('build-validate builds with Packer, validates, tags, comments once and posts ready-to-merge', async () => {
    const junit = join(scratch, 'results', 'smoke.xml');
    const run = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
      ...repo,
      branch: BRANCH,
      junit,
    });
    expect(run.exitCode, run.log).toBe(0);
    validated = run.report as BuildValidateReport;
    expect(validated.outcome).toBe('validated');
    // Packer's own progress, streamed while it ran.
    expect(run.log).toMatch(/amazon-ebs\.win2019: .*AMI/);
    const head = (await openPulls(imagesName))[0]?.head.sha;
    for (const image of validated.images) {
      expect(image).toMatchObject({ action: 'built', status: 'validated' });
      expect(Object.keys(image.amis)).toEqual(['us-east-1', 'us-west-2']);
      for (const ami of Object.values(image.amis)) {
        expect(imageTags(ami)).toMatchObject({
          [TAG.status]: 'validated',
          [TAG.image]: image.image,
          [TAG.gitSha]: head,
          [TAG.branch]: BRANCH,
          [TAG.inputHash]: image.inputHash,
        });
      }
    }
    expect(await readFile(junit, 'utf8')).toContain('<testcase name="smoke.ps1"');
    const pr = (await openPulls(imagesName))[0]?.number as number;
    const comments = await github.octokit.rest.issues.listComments({
      owner,
      repo: imagesName,
      issue_number: pr,
    });
    expect(comments.data.filter((c) => c.body?.includes('hephestus:comment build-validate'))).toHaveLength(1);
    expect(slackMessages().filter((m) => m.text.startsWith('Ready to merge'))).toHaveLength(1);
    expect(liveInstances()).toEqual([]);

    const images = sandbox.ec2.state.images.size;
    const messages = sandbox.slack.state.messages.length;
    const again = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
      ...repo,
      branch: BRANCH,
    });
    expect(again.exitCode, again.log).toBe(0);
    expect(again.report?.images.map((i) => [i.action, i.amis])).toEqual(
      validated.images.map((i) => ['reused', i.amis]),
    );
    expect(sandbox.ec2.state.images.size).toBe(images);
    expect(sandbox.slack.state.messages.length).toBe(messages);
    const status = await statusThread(IMAGES_REPO);
    expect(status).toEqual({
      state: 'ready to merge',
      states: ['opened', 'building', 'validating', 'failed', 'building', 'validating', 'ready to merge'],
      replies: ['Hephestus failed', 'Ready to merge'],
    });
    // An open-update re-run that changes nothing leaves the status where build-validate put it.
    const reopened = await runSandboxFlow<OpenUpdateReport>(sandbox, 'open-update', repo);
    expect(reopened.report?.outcome, reopened.log).toBe('unchanged');
    expect(await statusThread(IMAGES_REPO)).toEqual(status);
    const after = await github.octokit.rest.issues.listComments({
      owner,
      repo: imagesName,
      issue_number: pr,
    });
    expect(after.data).toHaveLength(comments.data.length);
  });

  it('promote finds the validated AMIs by tag, puts them in canary and triggers the consumer once', async () => {
    const pr = (await openPulls(imagesName))[0]?.number as number;
    const merged = await github.octokit.rest.pulls.merge({ owner, repo: imagesName, pull_number: pr });
    mergeSha = merged.data.sha;
    const images = sandbox.ec2.state.images.size;
    const writes = githubWrites(sandbox).length;
    const dry = await runSandboxFlow<PromoteReport>(sandbox, 'promote', {
      ...repo,
      sha: mergeSha,
      dryRun: true,
    });
    expect(
      dry.report?.consumers.map((c) => c.outcome),
      dry.log,
    ).toEqual(['would-trigger']);
    expect(sandbox.circleci.state.triggers).toEqual([]);
    expect(githubWrites(sandbox).length).toBe(writes);
    for (const image of validated.images) {
      for (const ami of Object.values(image.amis)) expect(imageTags(ami)[TAG.channel]).toBeUndefined();
    }
    const run = await runSandboxFlow<PromoteReport>(sandbox, 'promote', { ...repo, sha: mergeSha });
    expect(run.exitCode, run.log).toBe(0);
    const report = run.report as PromoteReport;
    expect(report.outcome).toBe('triggered');
    expect(sandbox.ec2.state.images.size).toBe(images);
    for (const image of validated.images) {
      for (const ami of Object.values(image.amis)) expect(imageTags(ami)[TAG.channel]).toBe('canary');
    }
    const triggers = sandbox.circleci.state.triggers;
    expect(triggers).toHaveLength(1);
    expect(triggers[0]).toMatchObject({ project_slug: 'gh/acme/vm-manager', branch: 'main' });
    imagesParameter = triggers[0]?.parameters.images as string;
    expect(JSON.parse(imagesParameter)).toEqual(
      Object.fromEntries(validated.images.map((i) => [i.image, i.amis])),
    );

    const again = await runSandboxFlow<PromoteReport>(sandbox, 'promote', { ...repo, sha: mergeSha });
    expect(
      again.report?.consumers.map((c) => c.outcome),
      again.log,
    ).toEqual(['already-triggered']);
    expect(sandbox.circleci.state.triggers).toHaveLength(1);
    // Merged once; the re-run's edit would say the same and is not sent.
    const status = await statusThread(IMAGES_REPO);
    expect(status.state).toBe('merged');
    expect(status.states.filter((s) => s === 'merged')).toHaveLength(1);
  });

  it('bump-consumer opens the consumer PR changing only the AMI bytes, once', async () => {
    const consumer = { repo: SERVICE_REPO, images: imagesParameter };
    const run = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', consumer);
    expect(run.exitCode, run.log).toBe(0);
    const report = run.report as BumpConsumerReport;
    expect(report.outcome).toBe('created');
    expect(report.files.map((f) => f.file)).toEqual([
      'resources/config.edn',
      'resources/config.edn',
      'chart/templates/configmap.yaml',
      'chart/templates/configmap.yaml',
    ]);
    const masked = changedLinesMasked(report.diff);
    expect(masked.removed).toEqual(masked.added);
    expect(masked.added).toHaveLength(4);
    expect(report.diff).toContain(`"windows-server-2022" "${validated.images[0]?.amis['us-east-1']}"`);
    expect((await openPulls(serviceName)).map((p) => p.head.ref)).toEqual([BRANCH]);

    const writes = githubWrites(sandbox).length;
    const again = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', consumer);
    expect(again.report?.outcome, again.log).toBe('unchanged');
    expect(githubWrites(sandbox).length).toBe(writes);
    expect(await statusThread(SERVICE_REPO)).toEqual({ state: 'opened', states: ['opened'], replies: [] });
  });

  it('announce moves the images to edge and posts the rollout to three channels, once', async () => {
    const pr = (await openPulls(serviceName))[0]?.number as number;
    const merged = await github.octokit.rest.pulls.merge({ owner, repo: serviceName, pull_number: pr });
    const consumer = { repo: SERVICE_REPO, sha: merged.data.sha };
    const run = await runSandboxFlow<AnnounceReport>(sandbox, 'announce', consumer);
    expect(run.exitCode, run.log).toBe(0);
    expect(run.report).toMatchObject({ outcome: 'announced', channel: 'edge' });
    const rollouts = () => sandbox.slack.state.messages.filter((m) => m.text.startsWith('Rolled out'));
    expect(rollouts()).toHaveLength(3);
    for (const image of validated.images) {
      for (const ami of Object.values(image.amis)) expect(imageTags(ami)[TAG.channel]).toBe('edge');
    }
    const again = await runSandboxFlow<AnnounceReport>(sandbox, 'announce', consumer);
    expect(
      again.report?.moves.every((m) => m.outcome === 'unchanged'),
      again.log,
    ).toBe(true);
    expect(rollouts()).toHaveLength(3);
    // The consumer's update shows it rolled out, edited once; the notice went in its thread there.
    expect(await statusThread(SERVICE_REPO)).toEqual({
      state: 'rolled out',
      states: ['opened', 'rolled out'],
      replies: ['Rolled out'],
    });
  });

  it('open-update after the merge finds nothing newer and writes nothing', async () => {
    const writes = githubWrites(sandbox).length;
    const run = await runSandboxFlow<OpenUpdateReport>(sandbox, 'open-update', repo);
    expect(run.report?.outcome, run.log).toBe('nothing-newer');
    expect(githubWrites(sandbox).length).toBe(writes);
    expect(mergeSha).toMatch(/^[0-9a-f]{40}$/);
  });
});
