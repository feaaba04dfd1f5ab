/**
 * The whole windows-update lifecycle driven through the orb's own jobs, as CircleCI would run them, against the
 * in-process sandbox: the images repository's scheduled `open_update` -> `build_validate` on the update branch
 * (real Packer, amazon-ebs against the sandbox EC2) -> merge -> `promote` -> the consumer's `bump_consumer`,
 * triggered with the `images` pipeline parameter the sandbox CircleCI recorded -> merge -> `announce`; then every
 * job again, and nothing may double. Each job installs the CLI from one `npm pack` of this repository.
 *
 * The runner spawns bash asynchronously, so the sandbox can serve from this process while the jobs call it.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../src/aws/image-tags.js';
import { IMAGES_REPO, type Sandbox, SERVICE_REPO, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { cliBundle, loadOrb, repoRoot } from '../orb/orb-fixture.js';
import { type JobResult, type PipelineValues, runJob } from '../orb/orb-runner.js';

const exec = promisify(execFile);
const BRANCH = 'windows-update/win2019-win2022';
// Each job installs the CLI and clones; build_validate runs Packer, the re-run test five jobs, on two busy cores.
const JOB_TIMEOUT = 120_000;
const RERUN_TIMEOUT = 240_000;
const CONSUMER_FILES = ['chart/templates/configmap.yaml', 'resources/config.edn'];
// The consumer's project keeps its token under a name of its own, as a second CircleCI context would.
const CONSUMER_TOKEN_VAR = 'VM_MANAGER_GITHUB_TOKEN';

let sandbox: Sandbox;
let orb: Record<string, unknown>;
let scratch: string;
let tarball: string;
const outputs: string[] = [];
let jobCount = 0;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'orb-lifecycle-'));
  // The tarball packs the bundle as built (`npm test` builds first); without one the failure says so here.
  await stat(cliBundle);
  const [packed, loaded, started] = await Promise.all([
    exec('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: repoRoot }),
    loadOrb(),
    // Scale 0: every EC2 transition is done by the next request, as Packer's waiters need.
    startSandbox({ ec2: { scale: 0 } }),
  ]);
  tarball = join(scratch, packed.stdout.trim().split('\n').pop() as string);
  orb = loaded.orb;
  sandbox = started;
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

interface JobRun {
  repo: string;
  branch: string;
  sha: string;
  pipeline?: PipelineValues;
}

/** The variables a CircleCI project and its contexts would hold for `repo`'s jobs: the secrets and AWS. */
function projectEnv(repo: string): Record<string, string> {
  const { GITHUB_TOKEN, ...rest } = sandbox.env;
  const common = {
    ...rest,
    // Packer's amazon builders poll with these; the sandbox answers at once.
    AWS_POLL_DELAY_SECONDS: '1',
    AWS_MAX_ATTEMPTS: '10',
    CHECKPOINT_DISABLE: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // One npm cache for all jobs: the tarball is read into it once.
    npm_config_cache: join(scratch, 'npm-cache'),
    npm_config_update_notifier: 'false',
  };
  return repo === SERVICE_REPO
    ? { ...common, [CONSUMER_TOKEN_VAR]: GITHUB_TOKEN as string }
    : { ...common, GITHUB_TOKEN: GITHUB_TOKEN as string };
}

/** Runs one orb job for `repo` in a fresh scratch directory; fails the test with its output if it fails. */
async function job(name: string, parameters: Record<string, unknown>, at: JobRun): Promise<JobResult> {
  const [owner, reponame] = at.repo.split('/') as [string, string];
  const base = join(scratch, `job-${++jobCount}-${name}`);
  await mkdir(base, { recursive: true });
  const basic = Buffer.from(`x-access-token:${sandbox.tokens.github}`).toString('base64');
  const result = await runJob(
    orb,
    name,
    {
      cli_source: 'tarball',
      cli_tarball: tarball,
      // The Debian Packer 1.6.6 on PATH builds against the sandbox; install_packer has tests of its own.
      ...(name === 'build_validate' ? { packer_version: '' } : {}),
      ...(at.repo === SERVICE_REPO ? { github_token: CONSUMER_TOKEN_VAR } : {}),
      ...parameters,
    },
    {
      base,
      env: projectEnv(at.repo),
      branch: at.branch,
      sha: at.sha,
      projectUsername: owner,
      projectReponame: reponame,
      pipeline: {
        git: { branch: at.branch, revision: at.sha },
        project: { git_url: `https://github.com/${at.repo}`, type: 'github' },
        ...at.pipeline,
      },
      checkout: { url: sandbox.cloneUrl(at.repo), extraHeader: `Authorization: Basic ${basic}` },
      stepTimeout: 150_000,
    },
  );
  const log = result.steps.map((step) => `--- ${step.name} (${step.status})\n${step.output}`).join('\n');
  outputs.push(log);
  expect(result.status, log).toBe('success');
  expect(result.steps.map((step) => step.status)).not.toContain('skipped');
  return result;
}

/** The output of the job's flow step (the last run step). */
function flowOutput(result: JobResult): string {
  return result.steps.filter((step) => step.type === 'run').at(-1)?.output ?? '';
}

async function git(repo: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', ['--git-dir', sandbox.github.repo(repo).dir, ...args]);
  return stdout;
}

async function tip(repo: string, branch: string): Promise<string> {
  return (await git(repo, 'rev-parse', `refs/heads/${branch}`)).trim();
}

/** Merges a PR through the REST API, as a person's click on "Merge" does; returns the merge commit. */
async function merge(repo: string, number: number): Promise<string> {
  const response = await fetch(`${sandbox.urls.github}/repos/${repo}/pulls/${number}/merge`, {
    method: 'PUT',
    headers: { authorization: `token ${sandbox.tokens.github}`, 'content-type': 'application/json' },
    body: JSON.stringify({ merge_method: 'merge' }),
  });
  const body = (await response.json()) as { sha?: string; message?: string };
  expect(response.ok, body.message).toBe(true);
  return body.sha as string;
}

/** The pull requests of the image update in `repo`. */
function updatePulls(repo: string) {
  return sandbox.github.pulls(repo).filter((p) => p.head.ref === BRANCH);
}

/** Each Slack message as `#channel text`, the text naming its event and pull request. */
function slackMessages(): string[] {
  const { channels, messages } = sandbox.slack.state;
  return messages.map((m) => `#${channels.find((c) => c.id === m.channel)?.name} ${m.text}`);
}

/** The tags of every AMI hephestus made, by AMI id. */
function hephestusImages(): Record<string, Record<string, string>> {
  return Object.fromEntries(
    [...sandbox.ec2.state.images.values()]
      .filter((image) => image.tags[TAG.status] !== undefined)
      .map((image) => [image.imageId, image.tags]),
  );
}

/** The state a re-run must leave alone. */
function counts() {
  // A copy: the sandbox updates its state in place.
  return structuredClone({
    pulls: [IMAGES_REPO, SERVICE_REPO].flatMap((repo) =>
      sandbox.github
        .pulls(repo)
        .map((p) => `${repo} ${p.head.ref} #${p.number} ${p.state} merged=${p.merged}`),
    ),
    comments: sandbox.github.state.comments.map((c) => c.id),
    slack: slackMessages(),
    triggers: sandbox.circleci.state.triggers.length,
    images: hephestusImages(),
  });
}

/** The branches of both repositories and their commits. */
function tips() {
  return {
    images: sandbox.github.repo(IMAGES_REPO).branches,
    service: sandbox.github.repo(SERVICE_REPO).branches,
  };
}

const mask = (text: string) => text.replace(/ami-[0-9a-f]{8,17}/g, 'ami-*');

describe('the lifecycle through the orb jobs', () => {
  let imagesMerge: string;
  let serviceMerge: string;
  let imagesParameter: string;
  let built: Record<string, Record<string, string>>;

  it(
    'the scheduled open_update job opens the images PR',
    async () => {
      const result = await job(
        'open_update',
        {},
        {
          repo: IMAGES_REPO,
          branch: 'main',
          sha: await tip(IMAGES_REPO, 'main'),
          pipeline: { trigger_source: 'scheduled_pipeline', schedule: { name: 'windows-update', id: 's1' } },
        },
      );
      expect(result.steps.map((step) => [step.type, step.name])).toEqual([
        ['checkout', 'Checkout code'],
        ['run', 'Install the hephestus CLI'],
        ['run', 'Open or update the image update'],
      ]);
      expect(result.steps[1]?.output).toContain(`Installing hephestus from ${tarball}`);
      expect(flowOutput(result)).toContain('open-update on acme/windows-images: created');
      expect(updatePulls(IMAGES_REPO).map((p) => [p.head.ref, p.state])).toEqual([[BRANCH, 'open']]);
      expect(slackMessages()).toEqual([
        expect.stringMatching(/^#execution-teams Windows image update opened: /),
      ]);
    },
    JOB_TIMEOUT,
  );

  it(
    'build_validate on the update branch builds with Packer, validates and tags the AMIs',
    async () => {
      const pull = updatePulls(IMAGES_REPO)[0];
      const result = await job(
        'build_validate',
        {},
        { repo: IMAGES_REPO, branch: BRANCH, sha: pull?.head.sha ?? '' },
      );
      expect(flowOutput(result)).toContain('build-validate on acme/windows-images: validated');
      // Packer's own progress, streamed through the job's step.
      expect(flowOutput(result)).toMatch(/amazon-ebs\.win2019: .*AMI/);
      expect(result.steps.find((step) => step.type === 'store_test_results')?.output).toBe(
        'Uploaded test-results/hephestus',
      );
      built = hephestusImages();
      const amis = Object.values(built);
      // Two images in two regions each.
      expect(amis).toHaveLength(4);
      for (const tags of amis) {
        expect(tags).toMatchObject({
          [TAG.status]: 'validated',
          [TAG.gitSha]: pull?.head.sha,
          [TAG.branch]: BRANCH,
        });
      }
      expect(sandbox.github.state.comments.filter((c) => c.repo === IMAGES_REPO)).toHaveLength(1);
      expect(slackMessages().filter((m) => m.includes('Ready to merge'))).toHaveLength(1);
    },
    JOB_TIMEOUT,
  );

  it(
    'promote on main after the merge puts the AMIs in canary and triggers the consumer pipeline',
    async () => {
      imagesMerge = await merge(IMAGES_REPO, updatePulls(IMAGES_REPO)[0]?.number as number);
      const result = await job('promote', {}, { repo: IMAGES_REPO, branch: 'main', sha: imagesMerge });
      expect(flowOutput(result)).toContain('promote on acme/windows-images: triggered');
      for (const tags of Object.values(hephestusImages())) expect(tags[TAG.channel]).toBe('canary');
      const triggers = sandbox.circleci.state.triggers;
      expect(triggers).toHaveLength(1);
      expect(triggers[0]).toMatchObject({ project_slug: 'gh/acme/vm-manager', branch: 'main' });
      imagesParameter = triggers[0]?.parameters.images as string;
      const byImage = JSON.parse(imagesParameter) as Record<string, Record<string, string>>;
      expect(
        Object.values(byImage)
          .flatMap((regions) => Object.values(regions))
          .sort(),
      ).toEqual(Object.keys(built).sort());
    },
    JOB_TIMEOUT,
  );

  it(
    'bump_consumer, run with the pipeline parameter, opens a PR changing only the AMI bytes',
    async () => {
      const trigger = sandbox.circleci.state.triggers[0];
      const result = await job(
        'bump_consumer',
        { images: '<< pipeline.parameters.images >>' },
        {
          repo: SERVICE_REPO,
          branch: trigger?.branch ?? 'main',
          sha: await tip(SERVICE_REPO, 'main'),
          pipeline: { trigger_source: 'api', parameters: { images: imagesParameter } },
        },
      );
      expect(flowOutput(result)).toContain('bump-consumer on acme/vm-manager: created');
      const pulls = updatePulls(SERVICE_REPO);
      expect(pulls.map((p) => [p.head.ref, p.state])).toEqual([[BRANCH, 'open']]);
      const range = `${pulls[0]?.base.ref}...${pulls[0]?.head.sha}`;
      expect((await git(SERVICE_REPO, 'diff', '--name-only', range)).trim().split('\n')).toEqual(
        CONSUMER_FILES,
      );
      const images = JSON.parse(imagesParameter) as Record<string, Record<string, string>>;
      for (const file of CONSUMER_FILES) {
        const before = await git(SERVICE_REPO, 'show', `${pulls[0]?.base.ref}:${file}`);
        const after = await git(SERVICE_REPO, 'show', `${pulls[0]?.head.sha}:${file}`);
        // Everything but the AMI ids is byte for byte what it was, and the ids are the new us-east-1 ones.
        expect(mask(after)).toBe(mask(before));
        expect(after).not.toBe(before);
        for (const regions of Object.values(images)) expect(after).toContain(regions['us-east-1']);
      }
    },
    JOB_TIMEOUT,
  );

  it(
    'announce after the consumer merge moves the AMIs to edge and posts the rollout',
    async () => {
      serviceMerge = await merge(SERVICE_REPO, updatePulls(SERVICE_REPO)[0]?.number as number);
      const result = await job('announce', {}, { repo: SERVICE_REPO, branch: 'main', sha: serviceMerge });
      expect(flowOutput(result)).toContain('announce on acme/vm-manager: announced');
      for (const tags of Object.values(hephestusImages())) expect(tags[TAG.channel]).toBe('edge');
      const rollouts = slackMessages().filter((m) => / Rolled out: /.test(m));
      expect(rollouts.map((m) => m.split(' ')[0]).sort()).toEqual([
        '#custeng-support',
        '#execution-teams',
        '#investigation',
      ]);
    },
    JOB_TIMEOUT,
  );

  it(
    're-running every job doubles nothing',
    async () => {
      const before = counts();
      const pullHead = updatePulls(IMAGES_REPO)[0]?.head.sha as string;
      const branches = structuredClone(tips());
      const runs = [
        await job('open_update', {}, { repo: IMAGES_REPO, branch: 'main', sha: imagesMerge }),
        await job('build_validate', {}, { repo: IMAGES_REPO, branch: BRANCH, sha: pullHead }),
        await job('promote', {}, { repo: IMAGES_REPO, branch: 'main', sha: imagesMerge }),
        await job(
          'bump_consumer',
          { images: '<< pipeline.parameters.images >>' },
          {
            repo: SERVICE_REPO,
            branch: 'main',
            sha: serviceMerge,
            pipeline: { parameters: { images: imagesParameter } },
          },
        ),
        await job('announce', {}, { repo: SERVICE_REPO, branch: 'main', sha: serviceMerge }),
      ];
      expect(runs.map((run) => flowOutput(run).match(/^\S+ on \S+: .*$/m)?.[0])).toEqual([
        'open-update on acme/windows-images: nothing-newer',
        'build-validate on acme/windows-images: validated',
        'promote on acme/windows-images: triggered',
        'bump-consumer on acme/vm-manager: closed',
        'announce on acme/vm-manager: announced',
      ]);
      // promote's report keeps its outcome; the AMIs stay where they are and the trigger count below stays one.
      expect(flowOutput(runs[2] as JobResult)).toContain('already in a channel');
      const after = counts();
      expect(after).toEqual(before);
      // One pull request per repository and branch (promote may also propose a lock file on a branch of its own).
      const byBranch = after.pulls.map((pull) => pull.split(' #')[0]);
      expect(new Set(byBranch).size).toBe(byBranch.length);
      expect(after.pulls).toEqual(
        expect.arrayContaining([
          `${IMAGES_REPO} ${BRANCH} #1 closed merged=true`,
          `${SERVICE_REPO} ${BRANCH} #1 closed merged=true`,
        ]),
      );
      expect(after.triggers).toBe(1);
      // One message per event, pull request and channel; each update's top message shows where it ended.
      expect(after.slack.map((m) => m.replace(/^(#\S+ [^:]+): .* \((\S+)\)$/, '$1 $2')).sort()).toEqual([
        '#custeng-support Rolled out acme/vm-manager#1',
        '#execution-teams Ready to merge acme/windows-images#1',
        '#execution-teams Rolled out acme/vm-manager#1',
        '#execution-teams Windows image update merged acme/windows-images#1',
        '#execution-teams Windows image update rolled out acme/vm-manager#1',
        '#investigation Rolled out acme/vm-manager#1',
      ]);
      expect(Object.keys(after.images).sort()).toEqual(Object.keys(built).sort());
      // No branch appeared or moved; bump-consumer, finding nothing left to change, deletes the merged branch.
      const { [BRANCH]: deleted, ...service } = branches.service;
      expect(deleted).toMatch(/^[0-9a-f]{40}$/);
      expect(tips()).toEqual({ images: branches.images, service });
    },
    RERUN_TIMEOUT,
  );

  it('no step of any job printed a token or the AWS secret key', () => {
    const canaries = [
      sandbox.tokens.github,
      sandbox.tokens.slack,
      sandbox.tokens.circleci,
      sandbox.env.AWS_SECRET_ACCESS_KEY as string,
    ];
    expect(outputs.length).toBeGreaterThanOrEqual(10);
    const all = outputs.join('\n');
    // The outputs are real: the flows' own lines are in them.
    expect(all).toContain('promote on acme/windows-images');
    for (const canary of canaries) expect(all).not.toContain(canary);
  });
});
