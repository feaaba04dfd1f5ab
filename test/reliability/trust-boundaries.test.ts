/**
 * Issue 12's attacks, end to end against the sandbox with the real clients, git and Packer 1.6.6: each case is
 * what someone who can push a branch, comment or open a PR does, and what Hephestus must then refuse. The
 * attacker ("mallory") has a GitHub token of their own, so the sandbox reports them as the author of what they
 * write; the bot is the token's user (`GET /user`).
 *
 * 1. forged validation through AMI tags (and input-hash reuse, and a template with builds no image owns),
 * 2. a forged build-validate verdict in a comment (and "validated" with no AMIs),
 * 5. bump-consumer given an AMI nobody validated,
 * 6. announce of a `windows-update/*` PR the bot did not open,
 * 9. Markdown injection through a base AMI's name and Packer's error text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../src/aws/image-tags.js';
import type { AnnounceReport } from '../../src/flows/announce.js';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import type { BumpConsumerReport } from '../../src/flows/bump-consumer.js';
import type { MonitorReport } from '../../src/flows/monitor.js';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import type { PromoteReport } from '../../src/flows/promote.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { markedComment } from '../../src/github/pull-request-marker.js';
import { PullRequests } from '../../src/github/pull-requests.js';
import { BUILD_COMMENT_KEY, VALIDATION_RECORD } from '../../src/lock/build-record.js';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/aws/aws-auth.js';
import { commitFileOnBranch, updateBranch } from '../../src/sandbox/github/bare-repo.js';
import { IMAGES_REPO, type Sandbox, SERVICE_REPO, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { validatedAmis } from '../flows/flow-harness.js';
import { runFlowOnSandbox } from './sandbox-flow.js';

const BRANCH = 'windows-update/win2019-win2022';
const PACKER_ENV = { AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '10', CHECKPOINT_DISABLE: '1' };
const MALLORY = { name: 'Mallory', email: 'mallory@example.invalid' };
/** What an attacker writes where Markdown or Slack mrkdwn is rendered. */
const HOSTILE =
  '@acme/admins [click here](https://evil.example/login) <!channel> <https://evil.example|docs>';

async function started(): Promise<Sandbox> {
  const sandbox = await startSandbox({ ec2: { scale: 0 } });
  Object.assign(sandbox.env, PACKER_ENV);
  return sandbox;
}

/** An Octokit acting as a second person with their own token. */
function personOn(sandbox: Sandbox, login: string) {
  const token = sandbox.github.addUser(login);
  return new GitHubClient({ token, baseUrl: sandbox.urls.github, pacing: false }).octokit;
}

/** Creates `branch` from main with `files` changed, as a push by mallory; returns the branch's sha. */
async function pushBranch(
  sandbox: Sandbox,
  repo: string,
  branch: string,
  files: Record<string, string>,
): Promise<string> {
  const { dir, branches } = sandbox.github.repo(repo);
  await updateBranch(dir, branch, branches.main as string, '');
  let sha = '';
  for (const [path, content] of Object.entries(files))
    sha = await commitFileOnBranch(dir, branch, path, content, `Change ${path}`, MALLORY);
  await sandbox.github.sync(repo);
  return sha;
}

/** AMIs of ours in EC2 carrying `tags`, newer than anything built so far: what a branch's Packer run can leave. */
function forgeAmis(
  sandbox: Sandbox,
  prefix: string,
  regions: string[],
  tags: Record<string, string>,
): string[] {
  const base = [...sandbox.ec2.state.images.values()][0];
  if (!base) throw new Error('the sandbox has no image to copy');
  return regions.map((region, n) => {
    const imageId = `ami-0${prefix}${String(n).padStart(16 - prefix.length, '0')}`;
    sandbox.ec2.state.images.set(imageId, {
      ...base,
      imageId,
      region,
      name: `forged-${imageId}`,
      ownerId: SANDBOX_ACCOUNT_ID,
      ownerAlias: undefined,
      isPublic: false,
      creationDate: Date.now() + 86_400_000,
      tags: { ...tags },
    });
    return imageId;
  });
}

/** A seeded public base AMI in us-east-1 (Amazon's, not ours). */
function baseImageOf(sandbox: Sandbox): string {
  const image = [...sandbox.ec2.state.images.values()].find(
    (i) => i.isPublic && i.region === 'us-east-1' && i.name.startsWith('Windows_Server-2022'),
  );
  if (!image) throw new Error('no seeded base image');
  return image.imageId;
}

const amisOf = (report: { images: Array<{ amis: Record<string, string> }> } | undefined) =>
  (report?.images ?? []).flatMap((i) => Object.values(i.amis));

describe('finding 1: only what build-validate recorded is promoted; tags alone prove nothing', () => {
  let sandbox: Sandbox;
  let validated: BuildValidateReport;
  beforeAll(async () => {
    sandbox = await started();
    const opened = await runFlowOnSandbox<OpenUpdateReport>(sandbox, 'open-update', { repo: IMAGES_REPO });
    expect(opened.report?.outcome, opened.output).toBe('created');
    const run = await runFlowOnSandbox<BuildValidateReport>(sandbox, 'build-validate', {
      repo: IMAGES_REPO,
      branch: BRANCH,
    });
    expect(run.report?.outcome, run.output).toBe('validated');
    validated = run.report as BuildValidateReport;
  });
  afterAll(() => sandbox?.stop());

  it('AMIs a branch tagged "validated" for the PR head are not promoted; the recorded ones are', async () => {
    const pr = sandbox.github.pulls(IMAGES_REPO)[0];
    if (!pr) throw new Error('no update pull request');
    const forged = validated.images.flatMap((image) =>
      forgeAmis(sandbox, image.image === 'win2022' ? 'bad2022' : 'bad2019', Object.keys(image.amis), {
        [TAG.status]: 'validated',
        [TAG.gitSha]: pr.head.sha,
        [TAG.image]: image.image,
        [TAG.inputHash]: image.inputHash,
        [TAG.run]: 'mallory',
      }),
    );
    const bot = new GitHubClient({
      token: sandbox.tokens.github,
      baseUrl: sandbox.urls.github,
      pacing: false,
    });
    const [owner, repo] = IMAGES_REPO.split('/') as [string, string];
    const merged = await bot.octokit.rest.pulls.merge({ owner, repo, pull_number: pr.number });

    const run = await runFlowOnSandbox<PromoteReport>(sandbox, 'promote', {
      repo: IMAGES_REPO,
      sha: merged.data.sha,
    });
    expect(run.exitCode, run.output).toBe(0);
    expect(amisOf(run.report).sort()).toEqual(amisOf(validated).sort());
    for (const ami of forged) expect(sandbox.ec2.state.images.get(ami)?.tags[TAG.channel]).toBeUndefined();
    expect(JSON.stringify(sandbox.circleci.state.triggers)).not.toMatch(/bad20/);
  });

  it('AMIs tagged with the default branch input hash are not reused for an unrelated PR', async () => {
    const mallory = personOn(sandbox, 'mallory');
    await pushBranch(sandbox, IMAGES_REPO, 'docs/readme', { 'README.md': 'Typo fixed.\n' });
    await mallory.rest.pulls.create({
      owner: 'acme',
      repo: 'windows-images',
      head: 'docs/readme',
      base: 'main',
      title: 'Fix a typo',
    });
    const forged = validated.images.flatMap((image) =>
      forgeAmis(sandbox, image.image === 'win2022' ? 'eee2022' : 'eee2019', Object.keys(image.amis), {
        [TAG.status]: 'validated',
        [TAG.image]: image.image,
        [TAG.inputHash]: image.inputHash,
      }),
    );
    const run = await runFlowOnSandbox<BuildValidateReport>(sandbox, 'build-validate', {
      repo: IMAGES_REPO,
      branch: 'docs/readme',
      dryRun: true,
    });
    expect(run.exitCode, run.output).toBe(0);
    for (const ami of forged) expect(amisOf(run.report)).not.toContain(ami);
    // The lock file on main is still to be merged (its own PR): nothing is recorded there to reuse.
    expect(run.report?.images.map((i) => i.action)).toEqual(['would-build', 'would-build']);
  });

  it('an image without build: in a template of several builds is refused (exit 2) before anything is built', async () => {
    const seed = await import('node:fs/promises').then((fs) =>
      fs.readFile(new URL('../../src/sandbox/seeds/images-repo/hephestus.yml', import.meta.url), 'utf8'),
    );
    await pushBranch(sandbox, IMAGES_REPO, 'feature/every-source', {
      'hephestus.yml': seed.replace(/^\s*build: amazon-ebs\.win20(19|22)\n/gm, ''),
    });
    const images = sandbox.ec2.state.images.size;
    const run = await runFlowOnSandbox<BuildValidateReport>(sandbox, 'build-validate', {
      repo: IMAGES_REPO,
      branch: 'feature/every-source',
    });
    expect(run.exitCode, run.output).toBe(2);
    expect(run.error?.message).toMatch(/defines 2 builds/);
    expect(run.error?.location.setting).toBe('images.win2022.build');
    expect(sandbox.ec2.state.images.size).toBe(images);
  });
});

describe('finding 2: a verdict counts only from the bot, and never without AMIs', () => {
  let sandbox: Sandbox;
  let pr: { number: number; sha: string };
  beforeAll(async () => {
    sandbox = await started();
    const opened = await runFlowOnSandbox<OpenUpdateReport>(sandbox, 'open-update', { repo: IMAGES_REPO });
    expect(opened.report?.outcome, opened.output).toBe('created');
    const pull = sandbox.github.pulls(IMAGES_REPO)[0];
    if (!pull) throw new Error('no update pull request');
    pr = { number: pull.number, sha: pull.head.sha };
    const { dir } = sandbox.github.repo(IMAGES_REPO);
    const seed = await import('node:fs/promises').then((fs) =>
      fs.readFile(new URL('../../src/sandbox/seeds/images-repo/hephestus.yml', import.meta.url), 'utf8'),
    );
    await commitFileOnBranch(
      dir,
      'main',
      'hephestus.yml',
      `${seed}\nmonitor:\n  auto_merge: true\n`,
      'Auto-merge',
      {
        name: 'Ada',
        email: 'ada@example.invalid',
      },
    );
    await sandbox.github.sync(IMAGES_REPO);
  });
  afterAll(() => sandbox?.stop());

  const monitorEntry = async () => {
    const run = await runFlowOnSandbox<MonitorReport>(sandbox, 'monitor', { repo: IMAGES_REPO });
    expect(run.exitCode, run.output).toBe(0);
    return run.report?.pullRequests.find((p) => p.number === pr.number);
  };
  const verdict = (images: Record<string, Record<string, string>>) =>
    [
      '### Hephestus: every image validated',
      '',
      `Commit \`${pr.sha.slice(0, 12)}\`.`,
      '',
      VALIDATION_RECORD.encode({
        sha: pr.sha,
        run: 'forged',
        outcome: 'validated',
        images: Object.fromEntries(
          Object.entries(images).map(([image, amis]) => [
            image,
            { status: 'validated', action: 'built', input_hash: 'sha256:forged', amis },
          ]),
        ),
      }),
    ].join('\n');

  it("mallory's comment with the build-validate marker and a forged record does not get the PR merged", async () => {
    const images = Object.fromEntries(
      ['win2022', 'win2019'].map((image) => [
        image,
        Object.fromEntries(
          ['us-east-1', 'us-west-2'].map((region, n) => [
            region,
            forgeAmis(sandbox, `f${image.slice(3)}${n}`, [region], {
              [TAG.status]: 'validated',
              [TAG.gitSha]: pr.sha,
              [TAG.image]: image,
            })[0] as string,
          ]),
        ),
      ]),
    );
    await personOn(sandbox, 'mallory').rest.issues.createComment({
      owner: 'acme',
      repo: 'windows-images',
      issue_number: pr.number,
      body: markedComment(BUILD_COMMENT_KEY, verdict(images)),
    });
    const entry = await monitorEntry();
    expect(entry?.validation.state).toBe('pending');
    expect(entry?.merge).not.toBe('merged');
    expect(sandbox.github.pulls(IMAGES_REPO)[0]?.state).toBe('open');
  });

  it('a record of the bot saying "validated" with no AMIs is not "passed"', async () => {
    const state = sandbox.github.state;
    state.comments.splice(0, state.comments.length, ...state.comments.filter((c) => c.user !== 'mallory'));
    const bot = new GitHubClient({
      token: sandbox.tokens.github,
      baseUrl: sandbox.urls.github,
      pacing: false,
    });
    await new PullRequests(bot, { owner: 'acme', repo: 'windows-images' }).upsertComment(
      pr.number,
      BUILD_COMMENT_KEY,
      verdict({}),
    );
    const entry = await monitorEntry();
    expect(entry?.validation.state).toBe('pending');
    expect(entry?.merge).not.toBe('merged');
    expect(sandbox.github.pulls(IMAGES_REPO)[0]?.state).toBe('open');
  });
});

describe('findings 5 and 6: consumers take only validated AMIs, and only the bot’s merged PR is announced', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await started();
  });
  afterAll(() => sandbox?.stop());

  const consumerPulls = () => sandbox.github.pulls(SERVICE_REPO);
  const consumerBranches = () => Object.keys(sandbox.github.repo(SERVICE_REPO).branches);

  it.each([
    ['never built', () => 'ami-0123456789abcdef0'],
    ['a public base AMI, not ours', () => baseImageOf(sandbox)],
  ])('bump-consumer refuses an AMI that is %s: exit 1 naming it, no branch, no PR', async (_, ami) => {
    const id = ami();
    const run = await runFlowOnSandbox<BumpConsumerReport>(sandbox, 'bump-consumer', {
      repo: SERVICE_REPO,
      images: JSON.stringify({ win2022: { 'us-east-1': id } }),
    });
    expect(run.exitCode, run.output).toBe(1);
    expect(run.error?.message).toContain(id);
    expect(consumerPulls()).toEqual([]);
    expect(consumerBranches()).toEqual(['main']);
  });

  it("announce ignores mallory's merged windows-update/* PR: nothing moves, nothing is posted", async () => {
    const images = { win2022: { 'us-east-1': 'ami-0a11ce00000000001' } };
    validatedAmis(sandbox, images, 'canary');
    const mallory = personOn(sandbox, 'mallory-2');
    await pushBranch(sandbox, SERVICE_REPO, 'windows-update/win2022-rollout', { 'README.md': 'Rollout.\n' });
    const created = await mallory.rest.pulls.create({
      owner: 'acme',
      repo: 'vm-manager',
      head: 'windows-update/win2022-rollout',
      base: 'main',
      title: `Windows image update ${HOSTILE}`,
      body: `New images.\n\n<!-- hephestus:images ${JSON.stringify(images)} -->`,
    });
    const merged = await mallory.rest.pulls.merge({
      owner: 'acme',
      repo: 'vm-manager',
      pull_number: created.data.number,
    });
    const run = await runFlowOnSandbox<AnnounceReport>(sandbox, 'announce', {
      repo: SERVICE_REPO,
      sha: merged.data.sha,
    });
    expect(run.exitCode, run.output).toBe(0);
    expect(run.report?.outcome).toBe('skipped');
    expect(sandbox.ec2.state.images.get('ami-0a11ce00000000001')?.tags[TAG.channel]).toBe('canary');
    expect(sandbox.slack.state.messages).toEqual([]);
  });
});

describe('finding 9: names and errors from outside render as text in the bot’s Markdown', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await started();
  });
  afterAll(() => sandbox?.stop());

  it('a base AMI whose name carries a mention and a link is named, escaped, in the update PR', async () => {
    const newest = [...sandbox.ec2.state.images.values()]
      .filter((i) => i.name.startsWith('Windows_Server-2022') && i.region === 'us-east-1')
      .sort((a, b) => b.creationDate - a.creationDate)[0];
    if (!newest) throw new Error('no seeded base image');
    // Real AMI names allow letters, digits, spaces and ( ) [ ] . / - ' @ _: enough for a mention and a link.
    const name = 'Windows_Server-2022-English-Full-Base-2026.11.01 @acme/admins [click](evil.example/x)';
    sandbox.ec2.state.images.set('ami-0eaeaeaeaeaeaeae1', {
      ...newest,
      imageId: 'ami-0eaeaeaeaeaeaeae1',
      name,
      creationDate: newest.creationDate + 86_400_000,
    });
    const opened = await runFlowOnSandbox<OpenUpdateReport>(sandbox, 'open-update', { repo: IMAGES_REPO });
    expect(opened.report?.outcome, opened.output).toBe('created');
    const body = sandbox.github.pulls(IMAGES_REPO)[0]?.body ?? '';
    expect(body).toContain('2026.11.01');
    expect(body).not.toContain('@acme/admins');
    expect(body).not.toContain('[click](');
    expect(body).toContain('@\u200bacme/admins \\[click\\](evil.example/x)');
  });

  it("Packer's error text in the build-validate comment is escaped", async () => {
    const vars = await import('node:fs/promises').then((fs) =>
      fs.readFile(
        new URL('../../src/sandbox/seeds/images-repo/packer/windows.auto.pkrvars.hcl', import.meta.url),
        'utf8',
      ),
    );
    const hostileAmi = '@acme/admins [click](https://evil.example) <img src=x>';
    await pushBranch(sandbox, IMAGES_REPO, 'feature/bad-ami', {
      'packer/windows.auto.pkrvars.hcl': vars.replace(
        /^win2022_source_ami = ".*"$/m,
        `win2022_source_ami = "${hostileAmi}"`,
      ),
    });
    await personOn(sandbox, 'mallory-3').rest.pulls.create({
      owner: 'acme',
      repo: 'windows-images',
      head: 'feature/bad-ami',
      base: 'main',
      title: 'Try another base',
    });
    const run = await runFlowOnSandbox<BuildValidateReport>(sandbox, 'build-validate', {
      repo: IMAGES_REPO,
      branch: 'feature/bad-ami',
      images: 'win2022',
    });
    expect(run.exitCode, run.output).toBe(1);
    const pr = sandbox.github.pulls(IMAGES_REPO).find((p) => p.head.ref === 'feature/bad-ami');
    const comment = sandbox.github
      .comments(IMAGES_REPO, pr?.number ?? 0)
      .find((c) => c.user === 'hephestus-bot');
    expect(comment?.body).toMatch(/Invalid id/);
    expect(comment?.body).not.toContain('@acme/admins');
    expect(comment?.body).not.toContain('[click](');
    expect(comment?.body).not.toContain('<img');
  });
});
