/**
 * `hephestus pr|notify|trigger|event|ami ...` run from the built bundle against the sandbox: each command's
 * JSON report checked against the sandbox's state, `--dry-run` writing nothing, bad input exiting 2 naming the
 * option, and every `--help` teaching by example.
 */
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../src/aws/image-tags.js';
import { type Ec2Image, newId } from '../../src/sandbox/aws/ec2-state.js';
import { commitFileOnBranch, git } from '../../src/sandbox/github/bare-repo.js';
import { bareRepoDir } from '../../src/sandbox/github/git-http.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runCliAsync } from './run-cli-async.js';

const REGION = 'us-east-1';
let sandbox: Sandbox;
/** A directory holding the images repository's hephestus.yml, where commands run. */
let work: string;
/** A directory without configuration. */
let empty: string;

beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  work = await mkdtemp(join(tmpdir(), 'hephestus-integrations-'));
  empty = await mkdtemp(join(tmpdir(), 'hephestus-integrations-empty-'));
  await copyFile(join(seedDirs.imagesRepo, 'hephestus.yml'), join(work, 'hephestus.yml'));
}, 30_000);
afterAll(() => sandbox?.stop());

async function run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = await runCliAsync(args, {
    cwd: options.cwd ?? work,
    env: { ...sandbox.env, ...options.env },
  });
  if (process.env.DEBUG_CLI) console.log(args.join(' '), result);
  return result;
}

function imagesRepo(): string {
  return bareRepoDir(join(sandbox.dir, 'repos'), 'acme', 'windows-images');
}

function json(stdout: string) {
  return JSON.parse(stdout);
}

/** An image of our own account put straight into the sandbox's EC2 state, with one snapshot. */
function ownImage(fields: Partial<Ec2Image> & { name: string }): Ec2Image {
  const ec2 = sandbox.ec2;
  const snapshotId = newId('snap');
  const created = fields.creationDate ?? ec2.clock.now();
  ec2.state.snapshots.set(snapshotId, {
    snapshotId,
    region: REGION,
    ownerId: ec2.state.accountId,
    volumeId: 'vol-ffffffff',
    volumeSize: 30,
    state: 'completed',
    startTime: created,
    description: '',
    tags: {},
  });
  const image: Ec2Image = {
    imageId: newId('ami'),
    region: REGION,
    state: 'available',
    ownerId: ec2.state.accountId,
    isPublic: false,
    sharedWith: [],
    creationDate: created,
    platform: 'windows',
    platformDetails: 'Windows',
    architecture: 'x86_64',
    rootDeviceName: '/dev/sda1',
    blockDevices: [
      { deviceName: '/dev/sda1', snapshotId, volumeSize: 30, volumeType: 'gp3', deleteOnTermination: true },
    ],
    tags: {},
    ...fields,
  };
  ec2.state.images.set(image.imageId, image);
  return image;
}

describe('--help of each integration command', () => {
  const commands = [
    'pr',
    'notify',
    'trigger',
    'event',
    'ami latest',
    'ami validate',
    'ami tag',
    'ami promote',
    'ami prune',
    'ami sweep',
  ];
  it.each(commands)('hephestus %s --help shows an example of itself', async (command) => {
    const result = await runCliAsync([...command.split(' '), '--help']);
    expect(result.status).toBe(0);
    const examples = result.stdout.slice(result.stdout.indexOf('Examples:'));
    expect(examples).toContain(`hephestus ${command} --`);
    expect(result.stdout).toContain('--json');
  });
});

describe('hephestus --help stays light', () => {
  /** Runs the bundle with a loader hook that logs every module file it loads; their texts, joined. */
  async function loadedCode(args: string[]): Promise<{ files: string[]; code: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'hephestus-loads-'));
    const log = join(dir, 'loaded.txt');
    const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');
  return next(url, context);
}`;
    const register = join(dir, 'register.mjs');
    await writeFile(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});\n`,
    );
    await writeFile(log, '');
    await runCliAsync(args, { cwd: empty, nodeArgs: ['--import', register] });
    const files = (await readFile(log, 'utf8')).split('\n').filter((url) => url.includes('/dist/'));
    const texts = await Promise.all(files.map((url) => readFile(new URL(url), 'utf8')));
    return { files, code: texts.join('\n') };
  }

  it('loads no AWS, Octokit or Slack client for `hephestus --help`, as an AMI command does', async () => {
    const help = await loadedCode(['--help']);
    expect(help.files.length).toBeGreaterThan(0);
    for (const marker of ['EC2Client', 'Octokit', 'WebClient']) expect(help.code).not.toContain(marker);
    // The same probe sees the client once a command needs it, so the check above can fail.
    const ami = await loadedCode(['ami', 'latest', '--owners=amazon', '--region=moon-base-1']);
    expect(ami.code).toContain('EC2Client');
  });
});

describe('hephestus event', () => {
  it('classifies an update-branch push offline, with its reasons', async () => {
    const before = sandbox.github.router.count();
    const result = await run([
      'event',
      '--json',
      '--trigger-source=webhook',
      '--schedule-name=',
      '--git-branch=windows-update/win2022',
      '--parameters={}',
    ]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(json(result.stdout)).toMatchObject({
      kind: 'update-branch-push',
      branch: 'windows-update/win2022',
      imageSet: 'win2022',
    });
    expect(json(result.stdout).reasons).toContain('the branch starts with the update prefix windows-update/');
    expect(sandbox.github.router.count()).toBe(before);
  });

  it('classifies a scheduled pipeline without any configuration or token', async () => {
    const result = await runCliAsync(
      ['event', '--json', '--trigger-source', 'scheduled_pipeline', '--schedule-name', 'windows-update'],
      {
        cwd: empty,
      },
    );
    expect(result.status).toBe(0);
    expect(json(result.stdout)).toMatchObject({ kind: 'scheduled', scheduleName: 'windows-update' });
  });

  it('asks GitHub for a push to the default branch', async () => {
    const before = sandbox.github.router.count('GET /repos/:owner/:repo/commits/:sha/pulls');
    const sha = await git(imagesRepo(), ['rev-parse', 'refs/heads/main']);
    const result = await run([
      'event',
      '--json',
      '--trigger-source=webhook',
      '--git-branch=main',
      `--sha=${sha}`,
    ]);
    expect(result.status).toBe(0);
    expect(json(result.stdout)).toMatchObject({ kind: 'other', sha });
    expect(json(result.stdout).reasons.at(-1)).toContain('came from no merged pull request');
    expect(sandbox.github.router.count('GET /repos/:owner/:repo/commits/:sha/pulls')).toBe(before + 1);
  });

  it('exits 2 naming --parameters when they are not a JSON object', async () => {
    const result = await run(['event', '--json', '--parameters=[1]']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--parameters');
  });
});

describe('hephestus trigger', () => {
  const slug = 'gh/acme/vm-manager';
  const parameters = '{"images":"win2022=ami-0123456789abcdef0"}';

  it('triggers the pipeline with the parameters and reports it', async () => {
    const before = sandbox.circleci.pipelines(slug).length;
    const result = await run([
      'trigger',
      `--project-slug=${slug}`,
      `--parameters=${parameters}`,
      '--branch=main',
      '--json',
    ]);
    expect(result.status).toBe(0);
    const pipelines = sandbox.circleci.pipelines(slug);
    expect(pipelines).toHaveLength(before + 1);
    const created = pipelines.at(-1);
    expect(created?.parameters).toEqual({ images: 'win2022=ami-0123456789abcdef0' });
    expect(json(result.stdout)).toMatchObject({
      ok: true,
      pipeline: { id: created?.id, number: created?.number },
    });
  });

  it('sends nothing on --dry-run', async () => {
    const before = sandbox.circleci.router.count();
    const result = await run([
      'trigger',
      `--project-slug=${slug}`,
      `--parameters=${parameters}`,
      '--dry-run',
      '--json',
    ]);
    expect(result.status).toBe(0);
    expect(json(result.stdout)).toMatchObject({ dryRun: true, request: { projectSlug: slug } });
    expect(sandbox.circleci.router.count()).toBe(before);
  });

  it('refuses a parameter over the limit before sending, naming it', async () => {
    const before = sandbox.circleci.router.count();
    const result = await run([
      'trigger',
      `--project-slug=${slug}`,
      `--parameters={"images":"${'x'.repeat(513)}"}`,
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--parameters.images');
    expect(sandbox.circleci.router.count()).toBe(before);
  });

  it('exits 2 naming --project-slug for a slug that is not one', async () => {
    const result = await run(['trigger', '--project-slug=acme/vm-manager']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--project-slug');
  });
});

describe('hephestus notify', () => {
  it('posts the failed notice to the configured channel', async () => {
    const before = sandbox.slack.messages('#execution-teams').length;
    const result = await run([
      'notify',
      '--event=failed',
      '--step=packer build',
      '--json',
      '--job-url=https://circleci.com/gh/acme/windows-images/7',
    ]);
    expect(result.status).toBe(0);
    const messages = sandbox.slack.messages('#execution-teams');
    expect(messages).toHaveLength(before + 1);
    expect(messages.at(-1)?.text).toContain('packer build');
    expect(json(result.stdout).outcomes).toMatchObject([{ channel: '#execution-teams', status: 'posted' }]);
  });

  it('exits 0 when a channel fails, and 1 with --strict', async () => {
    const args = ['notify', '--event=failed', '--channel=#no-such-channel', '--json'];
    const lenient = await run(args);
    expect(lenient.status).toBe(0);
    expect(json(lenient.stdout).outcomes).toMatchObject([{ status: 'failed', error: 'channel_not_found' }]);
    const strict = await run([...args, '--strict']);
    expect(strict.status).toBe(1);
  });

  it('posts nothing on --dry-run', async () => {
    const before = sandbox.slack.router.count();
    const result = await run(['notify', '--event=failed', '--dry-run', '--json']);
    expect(result.status).toBe(0);
    expect(json(result.stdout)).toMatchObject({ dryRun: true, channels: ['#execution-teams'] });
    expect(sandbox.slack.router.count()).toBe(before);
  });

  it('exits 2 naming --pr for a notice about a pull request without one', async () => {
    const result = await run(['notify', '--event=ready-to-merge']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--pr');
  });

  it('exits 2 for an event it does not know', async () => {
    const result = await run(['notify', '--event=rollout']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--event');
  });
});

describe('hephestus pr', () => {
  const branch = 'windows-update/win2022';

  beforeAll(async () => {
    await git(imagesRepo(), ['branch', branch, 'main']);
    await commitFileOnBranch(
      imagesRepo(),
      branch,
      'packer/windows.auto.pkrvars.hcl',
      'win2022_source_ami = "ami-0123456789abcdef0"\nwin2019_source_ami = "ami-0fedcba9876543210"\n',
      'Update win2022 base AMI',
      { name: 'Hephestus Bot', email: 'hephestus-bot@example.com' },
    );
    await sandbox.github.sync('acme/windows-images');
  });

  it('writes nothing on --dry-run and says it would create', async () => {
    const before = sandbox.github.state.pulls.length;
    const result = await run(['pr', `--branch=${branch}`, '--dry-run', '--json']);
    expect(result.status).toBe(0);
    expect(json(result.stdout)).toMatchObject({ dryRun: true, outcome: 'created' });
    expect(sandbox.github.state.pulls.length).toBe(before);
  });

  it('opens the pull request, then reports it unchanged on a re-run', async () => {
    const created = await run(['pr', `--branch=${branch}`, '--json']);
    expect(created.status).toBe(0);
    const report = json(created.stdout);
    expect(report.outcome).toBe('created');
    const pull = sandbox.github.state.pulls.find((p) => p.number === report.pullRequest.number);
    expect(pull).toBeDefined();
    const again = await run(['pr', `--branch=${branch}`, '--json']);
    expect(json(again.stdout)).toMatchObject({ outcome: 'unchanged', pullRequest: report.pullRequest });
  });

  it('exits 2 naming --branch for a branch that was never pushed', async () => {
    const result = await run(['pr', '--branch=windows-update/never-pushed']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--branch');
  });
});

describe('hephestus ami', () => {
  it('latest finds the newest base AMI the sandbox holds', async () => {
    const result = await run([
      'ami',
      'latest',
      '--owners=801119661308',
      '--filter=name=Windows_Server-2022-English-Full-Base-*',
      `--region=${REGION}`,
      '--json',
    ]);
    expect(result.status).toBe(0);
    const candidates = [...sandbox.ec2.state.images.values()]
      .filter(
        (i) =>
          i.region === REGION &&
          i.ownerId === '801119661308' &&
          i.state === 'available' &&
          i.name.startsWith('Windows_Server-2022-English-Full-Base-'),
      )
      .sort((a, b) => b.creationDate - a.creationDate);
    expect(candidates.length).toBeGreaterThan(0);
    expect(json(result.stdout).images).toEqual([
      expect.objectContaining({ region: REGION, imageId: candidates[0]?.imageId }),
    ]);
  });

  it('exits 2 naming --region for a region that is not one', async () => {
    const result = await run(['ami', 'latest', '--owners=amazon', '--region=moon-base-1']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--region');
    expect(result.stderr).toContain('is not an AWS region');
  });

  it('exits 2 naming --ami for an AMI id that is not one', async () => {
    const result = await run(['ami', 'validate', '--ami=ami-nothex', `--region=${REGION}`]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--ami');
  });

  it('tag tags the image and its snapshot; --dry-run tags nothing', async () => {
    const image = ownImage({ name: 'win2022-tag' });
    const args = [
      'ami',
      'tag',
      `--ami=${image.imageId}`,
      `--region=${REGION}`,
      '--status=built',
      '--image=win2022',
    ];
    const dry = await run([...args, '--dry-run', '--json']);
    expect(dry.status).toBe(0);
    expect(image.tags).toEqual({});
    const result = await run([...args, '--json']);
    expect(result.status).toBe(0);
    expect(image.tags).toMatchObject({ [TAG.status]: 'built', [TAG.image]: 'win2022' });
    const snapshot = sandbox.ec2.state.snapshots.get(image.blockDevices[0]?.snapshotId ?? '');
    expect(snapshot?.tags).toMatchObject({ [TAG.status]: 'built' });
  });

  it('validate boots the image, runs the smoke test, writes JUnit and tags it validated', async () => {
    const image = ownImage({
      name: 'win2022-validate',
      tags: { [TAG.image]: 'win2022', [TAG.status]: 'built' },
    });
    const smoke = join(work, 'smoke.ps1');
    await writeFile(smoke, "Write-Output 'IIS 10.0'\n");
    const junit = join(work, 'results', 'smoke-tests.xml');
    const subnet = [...sandbox.ec2.state.subnets.values()].find((s) => s.region === REGION)?.subnetId ?? '';
    const result = await run([
      'ami',
      'validate',
      `--ami=${image.imageId}`,
      `--region=${REGION}`,
      `--smoke-test=${smoke}`,
      `--subnet=${subnet}`,
      `--junit=${junit}`,
      '--json',
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/waiting for .* \(\d+\.\ds elapsed, check \d+\)/);
    expect(json(result.stdout).validations).toMatchObject([
      { imageId: image.imageId, passed: true, terminated: true },
    ]);
    expect(image.tags[TAG.status]).toBe('validated');
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain('<testcase name="smoke.ps1"');
    // The patch compliance gate runs by default, as in build-validate: its own case beside the smoke test.
    expect(xml).toContain('<testcase name="patch-compliance"');
    expect(xml).toContain('tests="2" failures="0"');
    const instances = [...sandbox.ec2.state.instances.values()].filter((i) => i.imageId === image.imageId);
    expect(instances.map((i) => i.state).every((s) => s === 'terminated' || s === 'shutting-down')).toBe(
      true,
    );
  }, 60_000);

  it('validate --dry-run launches nothing', async () => {
    const image = ownImage({ name: 'win2022-dry' });
    const before = sandbox.ec2.state.instances.size;
    const result = await run([
      'ami',
      'validate',
      `--ami=${image.imageId}`,
      `--region=${REGION}`,
      '--dry-run',
      '--json',
    ]);
    expect(result.status).toBe(0);
    expect(json(result.stdout)).toMatchObject({ dryRun: true, validations: [{ imageId: image.imageId }] });
    expect(sandbox.ec2.state.instances.size).toBe(before);
  });

  it('promote moves the newest validated image into the first channel; --dry-run moves nothing', async () => {
    const image = ownImage({
      name: 'win2019-promote',
      tags: { [TAG.image]: 'win2019', [TAG.status]: 'validated' },
    });
    const args = ['ami', 'promote', '--image=win2019', '--channel=canary', `--region=${REGION}`];
    const dry = await run([...args, '--dry-run', '--json']);
    expect(dry.status).toBe(0);
    expect(json(dry.stdout).images).toEqual([{ region: REGION, imageId: image.imageId }]);
    expect(image.tags[TAG.channel]).toBeUndefined();
    const result = await run([...args, '--json']);
    expect(result.status).toBe(0);
    expect(json(result.stdout).moves).toMatchObject([
      { imageId: image.imageId, channel: 'canary', outcome: 'moved' },
    ]);
    expect(image.tags[TAG.channel]).toBe('canary');
  });

  it('promote --rollback points the channel back at the image it displaced; --dry-run names the holder', async () => {
    const displaced = ownImage({
      name: 'win2016-before',
      tags: { [TAG.image]: 'win2016', [TAG.status]: 'validated', [TAG.previousChannel]: 'canary' },
    });
    const holder = ownImage({
      name: 'win2016-now',
      tags: { [TAG.image]: 'win2016', [TAG.status]: 'validated', [TAG.channel]: 'canary' },
    });
    const args = [
      'ami',
      'promote',
      '--image=win2016',
      '--channel=canary',
      `--region=${REGION}`,
      '--rollback',
    ];
    const dry = await run([...args, '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout.trim()).toBe(`${REGION}: would roll canary back from ${holder.imageId}`);
    expect(holder.tags[TAG.channel]).toBe('canary');
    const result = await run([...args, '--json']);
    expect(result.status).toBe(0);
    expect(json(result.stdout)).toMatchObject({
      rollback: true,
      moves: [{ imageId: displaced.imageId, previous: holder.imageId, channel: 'canary' }],
    });
    expect(displaced.tags[TAG.channel]).toBe('canary');
    expect(holder.tags[TAG.channel]).toBeUndefined();
  });

  it('exits 2 naming --channel for a channel not configured', async () => {
    const result = await run(['ami', 'promote', '--image=win2019', '--channel=beta', `--region=${REGION}`]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--channel');
  });

  it('prune lists what would go on --dry-run, deprecates it, and deregisters it once the grace period passed', async () => {
    const old = Date.now() - 90 * 86_400_000;
    const images = [0, 1, 2].map((i) =>
      ownImage({ name: `prune-${i}`, creationDate: old + i * 1000, tags: { [TAG.image]: 'prune-set' } }),
    );
    const args = [
      'ami',
      'prune',
      '--image=prune-set',
      '--keep=1',
      '--grace-days=3',
      `--region=${REGION}`,
      '--skip-launch-templates',
    ];
    const actions = (stdout: string, action: string) =>
      json(stdout)
        .decisions.filter((d: { action: string }) => d.action === action)
        .map((d: { imageId: string }) => d.imageId)
        .sort();
    const doomed = [images[0]?.imageId, images[1]?.imageId].sort();
    const dry = await run([...args, '--dry-run', '--json']);
    expect(dry.status).toBe(0);
    expect(actions(dry.stdout, 'deprecate')).toEqual(doomed);
    const dryText = await run([...args, '--dry-run']);
    expect(dryText.stdout).toMatch(/: would deprecate \(older than the newest 1; deregistered after \d{4}-/);
    expect(images.every((i) => sandbox.ec2.state.images.get(i.imageId)?.deprecationTime === undefined)).toBe(
      true,
    );

    const first = await run([...args, '--json']);
    expect(first.status).toBe(0);
    expect(actions(first.stdout, 'deprecate')).toEqual(doomed);
    const deprecatedAt = (id: string | undefined) =>
      sandbox.ec2.state.images.get(id as string)?.deprecationTime;
    expect(deprecatedAt(images[0]?.imageId)).toBeGreaterThan(Date.now() + 2 * 86_400_000);
    expect(images.every((i) => sandbox.ec2.state.images.has(i.imageId))).toBe(true);

    // Three days later, as far as the images are concerned.
    for (const id of doomed) {
      const image = sandbox.ec2.state.images.get(id as string);
      if (image) image.deprecationTime = Date.now() - 60_000;
    }
    const result = await run([...args, '--json']);
    expect(result.status).toBe(0);
    expect(actions(result.stdout, 'delete')).toEqual(doomed);
    const left = images.filter((i) => sandbox.ec2.state.images.has(i.imageId));
    expect(left.map((i) => i.imageId)).toEqual([images[2]?.imageId]);
  });

  it('sweep reports the validation instances it found and terminates none on --dry-run', async () => {
    const before = sandbox.ec2.router.count();
    const result = await run(['ami', 'sweep', `--region=${REGION}`, '--dry-run', '--json']);
    expect(result.status).toBe(0);
    expect(json(result.stdout)).toMatchObject({ ok: true, dryRun: true });
    expect(Array.isArray(json(result.stdout).instances)).toBe(true);
    expect(sandbox.ec2.router.count()).toBeGreaterThan(before);
  });
});
