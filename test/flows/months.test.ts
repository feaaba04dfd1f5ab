/**
 * Month over month: three consecutive months of the whole lifecycle on the sandbox, as a team lives with it (new
 * base AMIs each month; open-update, build-validate, merge, promote, the lock PR, bump-consumer, merge, announce),
 * with the real clients, real git and real Packer 1.6.6. Each month merges with another method (merge, squash,
 * rebase); along the way a person commits on the update branch, an on-demand PR is merged and promoted in between,
 * a subset update is superseded by the full one, and a manual forced run opens an update with current pins.
 *
 * After each month: at most one open update PR per repository, the channels, the lock file and the consumer's files
 * name that month's AMIs, no step exited non-zero and no Slack message was posted twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../src/aws/image-tags.js';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import type { BumpConsumerReport } from '../../src/flows/bump-consumer.js';
import type { FlowOptions } from '../../src/flows/flow-context.js';
import type { FlowName, FlowReportBase } from '../../src/flows/flow-report.js';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import type { PromoteReport } from '../../src/flows/promote.js';
import { GitHubClient } from '../../src/github/github-client.js';
import type { ImageAmiMap } from '../../src/images/image-set.js';
import { parseLockFile } from '../../src/lock/lock-file.js';
import { seededId } from '../../src/sandbox/aws/ec2-state.js';
import { commitFileOnBranch } from '../../src/sandbox/github/bare-repo.js';
import { IMAGES_REPO, type Sandbox, SERVICE_REPO, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { type FlowRun, runSandboxFlow } from './flow-harness.js';

type MergeMethod = 'merge' | 'squash' | 'rebase';

const PERSON = { name: 'Dana Operator', email: 'dana@example.com' };
const FULL = 'windows-update/win2019-win2022';
const SUBSET = 'windows-update/win2022';
const LOCK = 'windows-update/lock';
const [owner, imagesName] = IMAGES_REPO.split('/') as [string, string];
const serviceName = SERVICE_REPO.split('/')[1] as string;
const images = { repo: IMAGES_REPO };

let sandbox: Sandbox;
let github: GitHubClient;
let scratch: string;
/** Every step run, with its exit code: none may be non-zero. */
const steps: Array<{ step: string; exitCode: number; log: string }> = [];

beforeAll(async () => {
  // Scale 0: every EC2 transition is done by the next request (the scaled clock Packer's waiters need).
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  github = new GitHubClient({ token: sandbox.tokens.github, baseUrl: sandbox.urls.github, pacing: false });
  scratch = await mkdtemp(join(tmpdir(), 'months-'));
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** Runs one flow as its CircleCI job would, and records it. */
async function run<R extends FlowReportBase>(step: string, flow: FlowName, options: FlowOptions): Promise<R> {
  const result: FlowRun<R> = await runSandboxFlow<R>(sandbox, flow, options);
  steps.push({ step, exitCode: result.exitCode, log: result.log });
  expect(result.exitCode, `${step}\n${result.log}`).toBe(0);
  return result.report as R;
}

/** Amazon publishes new Windows base AMIs (both families, every region), dated in `month` (`2026-11`). */
function publishBaseAmis(month: string): void {
  const state = sandbox.ec2.state;
  for (const family of ['2022', '2019']) {
    for (const region of state.regions) {
      const name = `Windows_Server-${family}-English-Full-Base-${month.replace('-', '.')}.12`;
      const template = [...state.images.values()].find(
        (i) => i.region === region && i.name.startsWith(`Windows_Server-${family}-`),
      );
      if (!template) throw new Error(`no seeded ${family} base image in ${region}`);
      const imageId = seededId('ami', region, name);
      const created = Date.parse(`${month}-12T06:00:00.000Z`);
      state.images.set(imageId, { ...template, imageId, name, creationDate: created, tags: {} });
    }
  }
}

async function openPulls(repo: string) {
  const { data } = await github.octokit.rest.pulls.list({ owner, repo, state: 'open', per_page: 100 });
  return data;
}

async function openPull(repo: string, branch: string) {
  const pull = (await openPulls(repo)).find((p) => p.head.ref === branch);
  expect(pull, `an open PR from ${branch} in ${repo}`).toBeDefined();
  return pull as NonNullable<typeof pull>;
}

async function merge(repo: string, branch: string, method: MergeMethod): Promise<string> {
  const pull = await openPull(repo, branch);
  const { data } = await github.octokit.rest.pulls.merge({
    owner,
    repo,
    pull_number: pull.number,
    merge_method: method,
  });
  return data.sha;
}

/** A person's commit of `path` on `branch` of the images repository, pushed as they would. */
async function personCommits(branch: string, path: string, content: string): Promise<string> {
  const sha = await commitFileOnBranch(
    sandbox.github.repo(IMAGES_REPO).dir,
    branch,
    path,
    content,
    `Tweak ${path}`,
    PERSON,
  );
  await sandbox.github.sync(IMAGES_REPO);
  return sha;
}

async function fileOnMain(repo: string, path: string): Promise<string> {
  const { data } = await github.octokit.rest.repos.getContent({ owner, repo, path, ref: 'main' });
  return Buffer.from((data as { content: string }).content, 'base64').toString('utf8');
}

/** The pipeline promote triggered last in the consumer: its `images` parameter, as the consumer's job gets it. */
function lastTriggeredImages(): string {
  const trigger = sandbox.circleci.state.triggers.at(-1);
  expect(trigger?.project_slug).toBe('gh/acme/vm-manager');
  return trigger?.parameters.images as string;
}

/** Asserts the state a month must end in; `amis` are the AMIs of the month. */
async function expectMonthDone(amis: ImageAmiMap): Promise<void> {
  expect(steps.filter((s) => s.exitCode !== 0).map((s) => `${s.step}\n${s.log}`)).toEqual([]);
  for (const repo of [imagesName, serviceName]) {
    const updates = (await openPulls(repo)).filter((p) => p.head.ref.startsWith('windows-update/'));
    expect(
      updates.map((p) => p.head.ref),
      repo,
    ).toEqual([]);
  }
  const lock = parseLockFile(await fileOnMain(imagesName, 'images.lock.json'), 'images.lock.json');
  const consumerConfig = await fileOnMain(serviceName, 'resources/config.edn');
  const consumerChart = await fileOnMain(serviceName, 'chart/templates/configmap.yaml');
  for (const [image, regional] of Object.entries(amis)) {
    expect(lock.images[image]?.amis, `lock file: ${image}`).toEqual(regional);
    for (const [region, ami] of Object.entries(regional)) {
      // Each channel holds one image per region: this month's is the one in edge.
      const inEdge = [...sandbox.ec2.state.images.values()].filter(
        (i) => i.region === region && i.tags[TAG.image] === image && i.tags[TAG.channel] === 'edge',
      );
      expect(
        inEdge.map((i) => i.imageId),
        `edge: ${image} ${region}`,
      ).toEqual([ami]);
    }
    const east = regional['us-east-1'] as string;
    const key = image === 'win2022' ? 'windows-server-2022' : 'windows-server-2019';
    expect(consumerConfig).toContain(`"${key}" "${east}"`);
    expect(consumerChart).toContain(`"${key}" "${east}"`);
  }
  const seen = new Set<string>();
  for (const message of sandbox.slack.state.messages) {
    const key = `${message.channel} ${message.text}`;
    expect(seen.has(key), `posted twice: ${key}`).toBe(false);
    seen.add(key);
    // An edit is a change: never chat.update with the content the message already had.
    const versions = [...message.edits, message].map((v) => JSON.stringify([v.text, v.blocks ?? null]));
    for (let i = 1; i < versions.length; i++)
      expect(versions[i], `edited to the same content: ${key}`).not.toBe(versions[i - 1]);
  }
}

/**
 * The images merged: promote, the consumer's update through its PR merged with `method` and announced, and the lock
 * PR merged. The AMIs the consumer was given are returned.
 */
async function rollOut(mergeSha: string, method: MergeMethod): Promise<ImageAmiMap> {
  const promoted = await run<PromoteReport>('promote', 'promote', { ...images, sha: mergeSha });
  expect(promoted.outcome).toBe('triggered');
  // The lock PR is opened, or updated when one is open already (another PR was merged and promoted meanwhile).
  expect(['created', 'updated']).toContain(promoted.lock?.outcome);
  const parameter = lastTriggeredImages();
  await run<BumpConsumerReport>('bump-consumer', 'bump-consumer', { repo: SERVICE_REPO, images: parameter });
  const consumerSha = await merge(serviceName, FULL, method);
  await run('announce', 'announce', { repo: SERVICE_REPO, sha: consumerSha });
  const lockSha = await merge(imagesName, LOCK, method);
  const afterLock = await run<PromoteReport>('promote after the lock PR', 'promote', {
    ...images,
    sha: lockSha,
  });
  expect(afterLock.outcome).toBe('skipped');
  return JSON.parse(parameter) as ImageAmiMap;
}

describe('three months of the lifecycle on the sandbox', () => {
  it('month 1 (merge commits): a person commits on the update branch; an on-demand PR is promoted in between', async () => {
    publishBaseAmis('2026-11');
    const opened = await run<OpenUpdateReport>('open-update', 'open-update', images);
    expect(opened.outcome).toBe('created');
    await personCommits(FULL, 'scripts/configure-windows.ps1', "Write-Output 'configured by Dana'\n");
    // The scheduled job runs again (a retry): the branch holds the update and the person's commit stays.
    const again = await run<OpenUpdateReport>('open-update again', 'open-update', images);
    expect(again.outcome).toBe('unchanged');
    await run<BuildValidateReport>('build-validate', 'build-validate', { ...images, branch: FULL });
    const mergeSha = await merge(imagesName, FULL, 'merge');
    const promoted = await run<PromoteReport>('promote', 'promote', { ...images, sha: mergeSha });
    expect(promoted.lock?.outcome).toBe('created');
    // The consumer's pipeline that promote triggered opens the consumer's PR.
    const bumped = await run<BumpConsumerReport>('bump-consumer', 'bump-consumer', {
      repo: SERVICE_REPO,
      images: lastTriggeredImages(),
    });
    expect(bumped.outcome).toBe('created');

    // An on-demand change by a person, built on its branch, merged and promoted while the lock PR is open.
    const onDemand = 'feature/win2022-web-server';
    await github.octokit.rest.git.createRef({
      owner,
      repo: imagesName,
      ref: `refs/heads/${onDemand}`,
      sha: sandbox.github.repo(IMAGES_REPO).branches.main as string,
    });
    await personCommits(onDemand, 'scripts/win2022/web-server.ps1', 'Install-WindowsFeature Web-Server\n');
    await github.octokit.rest.pulls.create({
      owner,
      repo: imagesName,
      head: onDemand,
      base: 'main',
      title: 'IIS',
    });
    await run<BuildValidateReport>('build-validate on-demand', 'build-validate', {
      ...images,
      branch: onDemand,
    });
    const onDemandSha = await merge(imagesName, onDemand, 'merge');
    // The lock PR opened above is still open: promote updates it rather than finding "someone else's" commits.
    expect((await openPulls(imagesName)).map((p) => p.head.ref)).toEqual([LOCK]);
    const amis = await rollOut(onDemandSha, 'merge');
    expect(Object.keys(amis).sort()).toEqual(['win2019', 'win2022']);
    await expectMonthDone(amis);
  });

  it('month 2 (squash): a subset update is superseded by the full one; the stale update branch is reused', async () => {
    publishBaseAmis('2026-12');
    const subset = await run<OpenUpdateReport>('open-update win2022', 'open-update', {
      ...images,
      images: 'win2022',
    });
    expect(subset.outcome).toBe('created');
    const full = await run<OpenUpdateReport>('open-update', 'open-update', images);
    expect(full.outcome).toBe('created');
    expect((await openPulls(imagesName)).map((p) => p.head.ref)).toEqual([FULL]);
    const superseded = sandbox.github.pulls(IMAGES_REPO).find((p) => p.head.ref === SUBSET);
    expect(superseded?.state).toBe('closed');
    expect(sandbox.github.comments(IMAGES_REPO, superseded?.number as number).at(-1)?.body).toContain(
      `Superseded by #${full.pullRequest?.number}`,
    );
    await run<BuildValidateReport>('build-validate', 'build-validate', { ...images, branch: FULL });
    const mergeSha = await merge(imagesName, FULL, 'squash');
    const amis = await rollOut(mergeSha, 'squash');
    await expectMonthDone(amis);
  });

  it('month 3 (rebase): a manual forced run opens the update, the scheduled run brings the new AMIs to it', async () => {
    const forced = await run<OpenUpdateReport>('open-update --force', 'open-update', {
      ...images,
      force: true,
    });
    expect(forced.outcome).toBe('created');
    publishBaseAmis('2027-01');
    const scheduled = await run<OpenUpdateReport>('open-update', 'open-update', images);
    expect(scheduled.outcome).toBe('updated');
    await run<BuildValidateReport>('build-validate', 'build-validate', { ...images, branch: FULL });
    const mergeSha = await merge(imagesName, FULL, 'rebase');
    const amis = await rollOut(mergeSha, 'rebase');
    await expectMonthDone(amis);
  });
});
