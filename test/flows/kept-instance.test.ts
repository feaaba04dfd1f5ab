/**
 * build-validate with `validation.keep_on_failure_minutes` against the sandbox: a failed validation's instance
 * stays, tagged with its expiry, and the PR comment says how to connect; the image's next run ends it, and sweep
 * ends the next run's once its expiry has passed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/ec2-client.js';
import { TAG } from '../../src/aws/image-tags.js';
import { sweep } from '../../src/aws/sweep.js';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import { commitFileOnBranch } from '../../src/sandbox/github/bare-repo.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runSandboxFlow } from './flow-harness.js';

const BRANCH = 'windows-update/win2019-win2022';
const repo = { repo: IMAGES_REPO };
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  const opened = await runSandboxFlow<OpenUpdateReport>(sandbox, 'open-update', repo);
  expect(opened.report?.outcome, opened.log).toBe('created');
  const config = await readFile(join(seedDirs.imagesRepo, 'hephestus.yml'), 'utf8');
  await commitFileOnBranch(
    sandbox.github.repo(IMAGES_REPO).dir,
    BRANCH,
    'hephestus.yml',
    config.replace('  timeout_minutes: 40\n', '  timeout_minutes: 40\n  keep_on_failure_minutes: 30\n'),
    'Keep failed validation instances for half an hour',
    { name: 'Ada Person', email: 'ada@example.invalid' },
  );
  await sandbox.github.sync(IMAGES_REPO);
});
afterAll(() => sandbox?.stop());

function instance(instanceId: string | undefined) {
  const found = sandbox.ec2.state.instances.get(instanceId ?? '');
  if (!found) throw new Error(`no instance ${instanceId}`);
  return found;
}
const alive = (instanceId: string | undefined) =>
  !['shutting-down', 'terminated'].includes(instance(instanceId).state);

async function failingBuild(): Promise<BuildValidateReport> {
  sandbox.ssm.faults.commandFails = true;
  try {
    const run = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
      ...repo,
      branch: BRANCH,
    });
    expect(run.exitCode, run.log).toBe(1);
    return run.report as BuildValidateReport;
  } finally {
    sandbox.ssm.faults.commandFails = false;
  }
}

function buildComment(): string {
  const pull = sandbox.github.pulls(IMAGES_REPO).find((p) => p.state === 'open');
  const comment = sandbox.github
    .comments(IMAGES_REPO, pull?.number as number)
    .find((c) => c.body.includes('hephestus:comment build-validate'));
  return comment?.body ?? '';
}

describe('a failed validation instance kept to debug, through build-validate', () => {
  let first: BuildValidateReport;

  it('keeps each failed instance, tagged with its expiry, and the comment gives the command to connect', async () => {
    first = await failingBuild();
    expect(first.images.length).toBeGreaterThan(0);
    for (const image of first.images) {
      const { instanceId, keptUntil, region } = image.validation ?? {};
      expect(image.validation).toMatchObject({ passed: false, terminated: false });
      expect(alive(instanceId)).toBe(true);
      expect(instance(instanceId).tags).toMatchObject({
        [TAG.validates]: image.validation?.imageId,
        [TAG.keepUntil]: keptUntil,
        [TAG.image]: image.image,
      });
      expect(Date.parse(keptUntil ?? '') - Date.now()).toBeGreaterThan(29 * 60_000);
      expect(buildComment()).toContain(`\`aws ssm start-session --target ${instanceId} --region ${region}\``);
      expect(buildComment()).toContain(`until ${keptUntil}`);
    }
  });

  it("ends the kept instances of earlier runs when the image is validated again, and keeps the new run's", async () => {
    const second = await failingBuild();
    for (const image of first.images) expect(alive(image.validation?.instanceId)).toBe(false);
    for (const image of second.images) expect(alive(image.validation?.instanceId)).toBe(true);
    const now = () => sandbox.ec2.clock.now();
    const ec2For = (region: string) => createAwsClients({ env: sandbox.env, region }).ec2;
    const regions = ['us-east-1'];
    await sweep(ec2For, { regions, graceMinutes: 0, dryRun: false, now });
    for (const image of second.images) expect(alive(image.validation?.instanceId)).toBe(true);
    sandbox.ec2.clock.advance(31 * 60_000);
    await sweep(ec2For, { regions, graceMinutes: 0, dryRun: false, now });
    for (const image of second.images) expect(alive(image.validation?.instanceId)).toBe(false);
  });

  it('keeps nothing when the validation passes', async () => {
    const run = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
      ...repo,
      branch: BRANCH,
    });
    expect(run.exitCode, run.log).toBe(0);
    for (const image of run.report?.images ?? []) {
      expect(image.validation?.keptUntil).toBeUndefined();
      expect(alive(image.validation?.instanceId)).toBe(false);
    }
  });
});
