/**
 * revoke against the in-process sandbox, through the real clients: after a rollout (an older validated image
 * set, then a newer one promoted to canary and recorded in the lock file), revoking the newer one disables it,
 * rolls canary back, records the revocation through the lock pull request, triggers the consumer with the
 * rolled-back AMIs and a reason, and posts the incident notice; a re-run changes and sends nothing; and from
 * then on check-lock, bump-consumer and promote's checks refuse the revoked AMIs. With `revoke.ec2_action:
 * deprecate` and `--ami`, a channel with no earlier image is left empty and no consumer is triggered.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveChannel } from '../../src/aws/channels.js';
import { awsClientsPerRegion } from '../../src/aws/ec2-client.js';
import { hephestusRoles, type PolicyDocument, rolePolicy } from '../../src/aws/iam-policies.js';
import { TAG } from '../../src/aws/image-tags.js';
import type { BumpConsumerReport } from '../../src/flows/bump-consumer.js';
import type { CheckLockReport } from '../../src/flows/check-lock.js';
import type { RevokeReport } from '../../src/flows/revoke.js';
import { GitRepository } from '../../src/git/git-repository.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { findValidatedAmis } from '../../src/images/find-validated-amis.js';
import { type LockFile, parseLockFile, renderLockFile } from '../../src/lock/lock-file.js';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/aws/aws-auth.js';
import { IMAGES_REPO, type Sandbox, SERVICE_REPO, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { authorizationsFor, fromEc2Call } from '../iam/aws-requests.js';
import { evaluate } from '../iam/policy-evaluator.js';
import { githubWrites, runSandboxFlow } from './flow-harness.js';

const [owner, imagesName] = IMAGES_REPO.split('/') as [string, string];
const serviceName = SERVICE_REPO.split('/')[1] as string;
const REGIONS = ['us-east-1', 'us-west-2'];
const OLD = { 'us-east-1': 'ami-0a00000000000e001', 'us-west-2': 'ami-0a00000000000e002' };
const BAD = { 'us-east-1': 'ami-0b00000000000e001', 'us-west-2': 'ami-0b00000000000e002' };
const OTHER_IMAGE = 'ami-0c00000000000e001';
const REASON = 'KB5034441\nbreaks RDP \u202eon login';
const CLEAN_REASON = 'KB5034441 breaks RDP on login';
const JOB = 'https://circleci.com/gh/acme/windows-images/42';
const RUNNER = { CIRCLE_BUILD_URL: JOB, CIRCLE_USERNAME: 'dana' };
const revokeOptions = { repo: IMAGES_REPO, image: 'win2022', reason: REASON };

let sandbox: Sandbox;
let github: GitHubClient;
let scratch: string;

beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  github = new GitHubClient({ token: sandbox.tokens.github, baseUrl: sandbox.urls.github, pacing: false });
  scratch = await mkdtemp(join(tmpdir(), 'revoke-'));
  const now = Date.now();
  seedImage('win2022', OLD, now - 20 * 86_400_000, {
    'hephestus:previous-channel': 'canary',
    'hephestus:input-hash': 'sha256:old',
    'hephestus:git-sha': 'a'.repeat(40),
  });
  seedImage('win2022', BAD, now - 86_400_000, {
    'hephestus:channel': 'canary',
    'hephestus:replaces': OLD['us-east-1'],
    'hephestus:input-hash': 'sha256:bad',
    'hephestus:git-sha': 'b'.repeat(40),
  });
  seedImage('win2019', { 'us-east-1': OTHER_IMAGE }, now - 86_400_000, { 'hephestus:channel': 'canary' });
  const lock: LockFile = {
    version: 1,
    images: { win2022: { amis: BAD, input_hash: 'sha256:bad', source_commit: 'b'.repeat(40) } },
  };
  await pushFiles(
    {
      'images.lock.json': () => renderLockFile(lock),
      // Channels are published to SSM: the rollback must move the parameters too.
      'hephestus.yml': (text) => `${text}\nssm_parameters:\n  publish: true\n`,
    },
    'Record the rolled-out images; publish channels to SSM',
  );
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** Our validated AMIs of `image` in the sandbox's EC2 with `extra` tags. */
function seedImage(
  image: string,
  amis: Record<string, string>,
  created: number,
  extra: Record<string, string>,
) {
  const base = [...sandbox.ec2.state.images.values()][0];
  if (!base) throw new Error('the sandbox has no image to copy');
  for (const [region, imageId] of Object.entries(amis)) {
    // Each AMI its own snapshot in its region: revoke tags both.
    const snapshotId = `snap-${imageId.slice(4)}`;
    sandbox.ec2.state.snapshots.set(snapshotId, {
      snapshotId,
      region,
      ownerId: SANDBOX_ACCOUNT_ID,
      volumeId: 'vol-ffffffff',
      volumeSize: 30,
      state: 'completed',
      startTime: created,
      description: `Created by CreateImage for ${imageId}`,
      // Hephestus tags an AMI's snapshots with it; the release role may only change tags of marked ones.
      tags: { 'hephestus:image': image, 'hephestus:status': 'validated', ...extra },
    });
    const device = { ...(base.blockDevices[0] as NonNullable<(typeof base.blockDevices)[0]>), snapshotId };
    sandbox.ec2.state.images.set(imageId, {
      ...base,
      blockDevices: [device],
      imageId,
      region,
      name: `${image}-${imageId}`,
      ownerId: SANDBOX_ACCOUNT_ID,
      ownerAlias: undefined,
      isPublic: false,
      creationDate: created,
      tags: { 'hephestus:image': image, 'hephestus:status': 'validated', ...extra },
    });
  }
}

/** A person's commit on the images repository's main. */
async function pushFiles(files: Record<string, (text: string) => string>, message: string): Promise<void> {
  const dir = await mkdtemp(join(scratch, 'clone-'));
  const git = await GitRepository.clone({
    url: sandbox.cloneUrl(IMAGES_REPO),
    token: sandbox.tokens.github,
    dir,
    branch: 'main',
    author: { name: 'Dana Operator', email: 'dana@example.com' },
  });
  for (const [file, content] of Object.entries(files)) {
    const path = join(dir, file);
    await writeFile(path, content(await readFile(path, 'utf8').catch(() => '')));
  }
  await git.commitAll(message);
  await git.push('main', await git.revParse('origin/main'));
}

function tags(imageId: string): Record<string, string> {
  return sandbox.ec2.state.images.get(imageId)?.tags ?? {};
}

function snapshot() {
  return {
    writes: githubWrites(sandbox).length,
    triggers: sandbox.circleci.state.triggers.length,
    messages: sandbox.slack.state.messages.length,
    tags: Object.fromEntries(
      [...Object.values(OLD), ...Object.values(BAD)].map((id) => [id, { ...tags(id) }]),
    ),
  };
}

async function lockPullRequest() {
  const { data } = await github.octokit.rest.pulls.list({ owner, repo: imagesName, state: 'open' });
  return data.find((p) => p.head.ref === 'windows-update/lock');
}

async function fileOn(repo: string, branch: string, path: string): Promise<string> {
  const { data } = await github.octokit.rest.repos.getContent({ owner, repo, path, ref: branch });
  return Buffer.from((data as { content: string }).content, 'base64').toString('utf8');
}

describe('revoke on the sandbox', () => {
  it('refuses bad input with exit 2 and writes nothing', async () => {
    const before = snapshot();
    const unknown = await runSandboxFlow(sandbox, 'revoke', { ...revokeOptions, image: 'win2016' });
    expect(unknown.exitCode, unknown.log).toBe(2);
    expect(unknown.log).toContain('unknown image "win2016"; configured: win2022, win2019');
    const foreign = await runSandboxFlow(sandbox, 'revoke', { ...revokeOptions, ami: [OTHER_IMAGE] });
    expect(foreign.exitCode, foreign.log).toBe(2);
    expect(foreign.log).toContain(`${OTHER_IMAGE} (us-east-1) belongs to image set "win2019", not win2022`);
    const missing = await runSandboxFlow(sandbox, 'revoke', {
      ...revokeOptions,
      ami: ['ami-0d00000000000e009'],
    });
    expect(missing.exitCode, missing.log).toBe(2);
    expect(missing.log).toContain('ami-0d00000000000e009 is not an AMI of win2022 in us-east-1, us-west-2');
    const noReason = await runSandboxFlow(sandbox, 'revoke', { ...revokeOptions, reason: ' \n ' });
    expect(noReason.exitCode, noReason.log).toBe(2);
    const tooLong = await runSandboxFlow(sandbox, 'revoke', { ...revokeOptions, reason: 'x'.repeat(257) });
    expect(tooLong.log).toContain('at most 256 fit an AMI tag');
    expect(snapshot()).toEqual(before);
  });

  it('--dry-run names what it would do and writes nothing', async () => {
    const before = snapshot();
    const run = await runSandboxFlow<RevokeReport>(
      sandbox,
      'revoke',
      { ...revokeOptions, dryRun: true },
      RUNNER,
    );
    expect(run.exitCode, run.log).toBe(0);
    expect(run.report).toMatchObject({ outcome: 'revoked', dryRun: true, reason: CLEAN_REASON });
    expect(run.report?.amis.map((a) => a.imageId).sort()).toEqual(Object.values(BAD).sort());
    expect(run.report?.channels.map((c) => c.outcome)).toEqual(['would-roll-back', 'would-roll-back']);
    expect(run.log).toContain(`dry run: would tag ${BAD['us-east-1']} (us-east-1) revoked and disable it`);
    expect(snapshot()).toEqual(before);
  });

  it('revokes the first channel’s image set: disabled, canary rolled back, lock PR, consumer, notice', async () => {
    const run = await runSandboxFlow<RevokeReport>(sandbox, 'revoke', revokeOptions, RUNNER);
    expect(run.exitCode, run.log).toBe(0);
    const report = run.report as RevokeReport;
    expect(report.outcome).toBe('revoked');
    for (const [region, ami] of Object.entries(BAD)) {
      expect(sandbox.ec2.state.images.get(ami)?.state).toBe('disabled');
      expect(tags(ami)).toMatchObject({
        [TAG.status]: 'revoked',
        [TAG.revokedReason]: CLEAN_REASON,
        [TAG.revokedBy]: JOB,
        [TAG.rolledBackFrom]: 'canary',
      });
      expect(tags(ami)[TAG.channel]).toBeUndefined();
      expect(tags(OLD[region as keyof typeof OLD])[TAG.channel]).toBe('canary');
    }
    expect(report.channels.map((c) => [c.region, c.outcome, c.replacement])).toEqual(
      REGIONS.map((r) => [r, 'rolled-back', OLD[r as keyof typeof OLD]]),
    );
    const aws = awsClientsPerRegion({ env: sandbox.env });
    for (const region of REGIONS) {
      const { Parameter } = await aws(region).ssm.send(
        new GetParameterCommand({ Name: '/hephestus/win2022/canary' }),
      );
      expect(Parameter?.Value).toBe(OLD[region as keyof typeof OLD]);
    }

    const pr = await lockPullRequest();
    expect(pr?.title).toBe('Revoke win2022 in images.lock.json');
    const lock = parseLockFile(await fileOn(imagesName, 'windows-update/lock', 'images.lock.json'), 'lock');
    expect(lock.images.win2022).toEqual({
      amis: OLD,
      input_hash: 'sha256:old',
      source_commit: 'a'.repeat(40),
    });
    expect(lock.revoked).toEqual([
      {
        image: 'win2022',
        amis: BAD,
        reason: CLEAN_REASON,
        revoked_at: tags(BAD['us-east-1'])[TAG.revokedAt],
        revoked_by: JOB,
      },
    ]);

    const triggers = sandbox.circleci.state.triggers;
    expect(triggers).toHaveLength(1);
    expect(triggers[0]?.parameters).toEqual({
      images: JSON.stringify({ win2022: OLD }),
      rollback_reason: CLEAN_REASON,
      rollback_url: JOB,
    });
    const notices = sandbox.slack.state.messages.filter((m) => m.text.startsWith('Revoked win2022'));
    expect(notices).toHaveLength(3);
    expect(JSON.stringify(notices[0]?.blocks)).toContain('Revoked by dana');
  });

  it('a re-run finds everything done: no write on GitHub, EC2, CircleCI or Slack', async () => {
    const before = snapshot();
    const run = await runSandboxFlow<RevokeReport>(sandbox, 'revoke', revokeOptions, RUNNER);
    expect(run.exitCode, run.log).toBe(0);
    expect(run.report).toMatchObject({ alreadyAnnounced: true, lock: { outcome: 'unchanged' } });
    expect(run.report?.amis.map((a) => [a.tagged, a.retired])).toEqual([
      ['unchanged', 'unchanged'],
      ['unchanged', 'unchanged'],
    ]);
    expect(run.report?.channels.map((c) => c.outcome)).toEqual(['unchanged', 'unchanged']);
    // A re-run with the reason edited must not revoke the image canary went back to.
    const edited = await runSandboxFlow(
      sandbox,
      'revoke',
      { ...revokeOptions, reason: 'RDP broken' },
      RUNNER,
    );
    expect(edited.exitCode, edited.log).toBe(2);
    expect(edited.log).toContain(`canary holds ${OLD['us-east-1']}, the image it went back to`);
    expect(snapshot()).toEqual(before);
  });

  it('check-lock refuses the revoked AMIs the default branch still names, and passes the lock PR', async () => {
    const onMain = await runSandboxFlow<CheckLockReport>(sandbox, 'check-lock', { repo: IMAGES_REPO });
    expect(onMain.exitCode, onMain.log).toBe(1);
    expect(onMain.report?.checks.map((c) => c.outcome)).toEqual(['revoked', 'revoked']);
    expect(onMain.report?.checks[0]?.detail).toContain(CLEAN_REASON);
    const onLockBranch = await runSandboxFlow<CheckLockReport>(sandbox, 'check-lock', {
      repo: IMAGES_REPO,
      branch: 'windows-update/lock',
    });
    expect(onLockBranch.exitCode, onLockBranch.log).toBe(0);
  });

  it('bump-consumer refuses a revoked AMI and words the rollback it was triggered with', async () => {
    const refused = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', {
      repo: SERVICE_REPO,
      images: JSON.stringify({ win2022: BAD }),
    });
    expect(refused.exitCode, refused.log).toBe(1);
    expect(refused.log).toContain(`${BAD['us-east-1']} (win2022, us-east-1) was revoked at`);

    const parameters = sandbox.circleci.state.triggers[0]?.parameters as Record<string, string>;
    const run = await runSandboxFlow<BumpConsumerReport>(sandbox, 'bump-consumer', {
      repo: SERVICE_REPO,
      images: parameters.images,
      rollbackReason: parameters.rollback_reason,
      rollbackUrl: parameters.rollback_url,
    });
    expect(run.exitCode, run.log).toBe(0);
    const { data } = await github.octokit.rest.pulls.get({
      owner,
      repo: serviceName,
      pull_number: run.report?.pullRequest?.number as number,
    });
    expect(data.title).toBe('Windows image rollback: win2022');
    expect(data.body).toContain(`**Rollback.** The images these places named were revoked: ${CLEAN_REASON}`);
    expect(data.body).toContain(`[Revoke job](${JOB})`);
    expect(run.report?.diff).toContain(OLD['us-east-1']);
  });

  it("promote's checks refuse the revoked AMIs: the validation record's reuse and the channel move", async () => {
    const ec2For = awsClientsPerRegion({ env: sandbox.env });
    const image = { name: 'win2022', regions: REGIONS } as Parameters<typeof findValidatedAmis>[1];
    const found = await findValidatedAmis((r) => ec2For(r).ec2, image, {
      amis: BAD,
      inputHash: 'sha256:bad',
    });
    expect(found.refused?.why).toMatch(/^was revoked at .* \("KB5034441 breaks RDP on login"\)$/);
    await expect(
      moveChannel((r) => ec2For(r).ec2, {
        image: 'win2022',
        images: [{ region: 'us-east-1', imageId: BAD['us-east-1'] }],
        channels: ['canary', 'edge', 'stable'],
        to: 'canary',
      }),
    ).rejects.toThrow(/was revoked at .*; it cannot be promoted/);
  });

  it('with revoke.ec2_action deprecate and --ami: deprecates, and leaves a channel with no earlier image empty', async () => {
    await pushFiles(
      { 'hephestus.yml': (text) => `${text}\nrevoke:\n  ec2_action: deprecate\n` },
      'Revoked images are deprecated, not disabled',
    );
    const triggers = sandbox.circleci.state.triggers.length;
    const options = {
      repo: IMAGES_REPO,
      image: 'win2019',
      ami: [OTHER_IMAGE],
      reason: 'smoke tests missed a driver',
    };
    const run = await runSandboxFlow<RevokeReport>(sandbox, 'revoke', options, RUNNER);
    expect(run.exitCode, run.log).toBe(0);
    expect(run.report?.amis).toEqual([
      { region: 'us-east-1', imageId: OTHER_IMAGE, tagged: 'tagged', retired: 'deprecated' },
    ]);
    const image = sandbox.ec2.state.images.get(OTHER_IMAGE);
    expect(image?.state).toBe('available');
    expect(image?.deprecationTime).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(run.report?.channels).toEqual([
      { region: 'us-east-1', channel: 'canary', revoked: OTHER_IMAGE, outcome: 'emptied' },
    ]);
    expect(tags(OTHER_IMAGE)[TAG.channel]).toBeUndefined();
    expect(run.log).toContain('canary in us-east-1 now holds no image of win2019');
    // Nothing to roll the consumer back to: it is not triggered, and the notice says so.
    expect(sandbox.circleci.state.triggers).toHaveLength(triggers);
    const notices = sandbox.slack.state.messages.filter((m) => m.text.startsWith('Revoked win2019'));
    expect(notices).toHaveLength(3);

    const again = await runSandboxFlow<RevokeReport>(sandbox, 'revoke', options, RUNNER);
    expect(
      again.report?.amis.map((a) => a.retired),
      again.log,
    ).toEqual(['unchanged']);
    expect(sandbox.slack.state.messages.filter((m) => m.text.startsWith('Revoked win2019'))).toHaveLength(3);
  });

  it("every EC2 call revoke made is one the release role's policy allows", () => {
    const release = hephestusRoles({
      accountId: SANDBOX_ACCOUNT_ID,
      circleciOrgId: 'org',
      imagesProjectId: 'images',
      consumerProjectIds: ['consumer'],
      kmsKeyArns: [],
    }).find((role) => role.key === 'release');
    const policy = rolePolicy(release as NonNullable<typeof release>) as PolicyDocument;
    const calls = sandbox.ec2.calls.filter((call) => call.resources !== undefined).map(fromEc2Call);
    expect(calls.map((c) => c.action)).toEqual(
      expect.arrayContaining(['DisableImage', 'EnableImageDeprecation', 'CreateTags', 'DeleteTags']),
    );
    const refused = calls.flatMap((call) =>
      authorizationsFor(call, SANDBOX_ACCOUNT_ID)
        .filter((request) => evaluate(policy, request).effect !== 'allow')
        .map((request) => `${request.action} ${request.resource}`),
    );
    expect(refused).toEqual([]);
  });
});
