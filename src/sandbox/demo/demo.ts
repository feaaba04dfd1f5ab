/**
 * `hephestus demo`: the whole windows-update lifecycle across two repositories, on the embedded sandbox, narrated.
 * Each flow runs as its own `hephestus run <flow>` process with the environment a CircleCI job would have; the
 * merges are what a person would click. Nothing leaves this machine.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { renderMessage } from '../slack/slack-service.js';
import { IMAGES_REPO, type Sandbox, SERVICE_REPO, startSandbox } from '../start-sandbox.js';
import { type ProcessResult, runHephestus } from './hephestus-process.js';
import { Narrator } from './narrator.js';

export interface DemoOptions {
  keep: boolean;
  narrator?: Narrator;
}

/** An image's patch scan at validation, as `demo --json` shows it. */
export interface PatchCounts {
  installed: number;
  missing: number;
  failed: number;
}

/**
 * What the story reads of build-validate's `--json` report. The sandbox imports nothing of the product, so the
 * demo reads the report as any CI script would: by its documented fields.
 */
interface BuildReport {
  images: Array<{
    image: string;
    action: string;
    amis: Record<string, string>;
    validation?: { instanceId?: string; keptUntil?: string; patches?: PatchCounts };
  }>;
}

/** One instance in `ami sweep --json`'s report. */
interface SweptInstance {
  region: string;
  instanceId: string;
  imageId?: string;
  action: 'terminate' | 'keep';
  keptUntil?: string;
}

/** hephestus's exit codes: 0 done, 1 a real failure found (a build failed, an image did not validate). */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;

export interface DemoSummary {
  /** Every stage ended as the story expected: a build the patch gate is meant to catch fails, as it should. */
  ok: boolean;
  /** The CI jobs the story ran: the flows and the scheduled `ami sweep`, in order. */
  stages: Array<{ flow: string; repo: string; exitCode: number; expectedExitCode: number; outcome: unknown }>;
  pullRequests: Array<{ repo: string; number: number; state: string; merged: boolean; title: string }>;
  /** The AMIs Hephestus tagged; `patches` is what the patch scan of the image's validation found. */
  images: Array<{
    image: string;
    region: string;
    ami: string;
    status: string;
    channel?: string;
    patches?: PatchCounts;
  }>;
  /** Issues in the two repositories (the image dashboard). */
  issues: Array<{ repo: string; number: number; title: string }>;
  slackMessages: number;
  pipelinesTriggered: number;
}

/** Runs the lifecycle on a fresh sandbox; returns what happened. */
export async function runDemo(options: DemoOptions): Promise<{ summary: DemoSummary; sandbox: Sandbox }> {
  const say = options.narrator ?? new Narrator();
  // Scale 0: every AWS state change completes by the next request, so real Packer and the validation finish fast.
  const sandbox = await startSandbox({ ec2: { scale: 0 } });
  const story = new Story(sandbox, say);
  try {
    say.section(
      'The sandbox',
      'Local stand-ins for GitHub, Slack, CircleCI, EC2 and SSM; the real git, Packer and clients run against them.',
    );
    for (const [name, url] of Object.entries(sandbox.urls)) say.line(`${name.padEnd(9)} ${url}`);
    say.line(
      `repositories: ${IMAGES_REPO} (Packer templates), ${SERVICE_REPO} (a service naming the images)`,
    );

    say.section(
      'Scheduled pipeline on the images repository: open-update',
      'Finds newer Windows base AMIs, bumps the pins in the Packer files, opens a windows-update/* PR.',
    );
    await story.run('open-update', IMAGES_REPO, { branch: 'main' });
    const imagesPr = story.openUpdatePull(IMAGES_REPO);
    await story.showPull(IMAGES_REPO, imagesPr);

    say.section(
      'Push to the update branch: build-validate',
      'Builds the images with Packer, boots each AMI, runs the smoke tests over SSM, tags them, says "ready to merge".',
    );
    await story.run('build-validate', IMAGES_REPO, { branch: imagesPr.head.ref, sha: imagesPr.head.sha });
    story.showImages();

    say.section(
      'A person merges the images PR: promote',
      'Finds the validated AMIs by their tags (no rebuild), promotes them, triggers the consumer pipeline.',
    );
    const imagesMerge = await story.merge(IMAGES_REPO, imagesPr.number);
    await story.run('promote', IMAGES_REPO, { branch: 'main', sha: imagesMerge });
    const trigger = story.lastTrigger();
    await story.mergeLockPull();

    say.section(
      'The consumer pipeline, triggered with parameters: bump-consumer',
      'Edits config.edn and the Helm chart that embeds it, byte for byte, and opens its own PR.',
    );
    await story.run('bump-consumer', SERVICE_REPO, { branch: 'main', images: trigger.images });
    const servicePr = story.openUpdatePull(SERVICE_REPO);
    await story.showPull(SERVICE_REPO, servicePr);

    say.section(
      'A person merges the service PR: announce',
      'Promotes the images to the next channel and posts the rollout notice to the configured channels.',
    );
    const serviceMerge = await story.merge(SERVICE_REPO, servicePr.number);
    await story.run('announce', SERVICE_REPO, { branch: 'main', sha: serviceMerge });
    story.showImages();

    say.section(
      'Re-run every step',
      'CI re-runs jobs; nothing may double: one branch, one PR, one Slack message per event, the same tags.',
    );
    const before = story.counts();
    await story.run('open-update', IMAGES_REPO, { branch: 'main' }, { quiet: true });
    await story.run('promote', IMAGES_REPO, { branch: 'main', sha: imagesMerge }, { quiet: true });
    await story.run(
      'bump-consumer',
      SERVICE_REPO,
      { branch: 'main', images: trigger.images },
      { quiet: true },
    );
    await story.run('announce', SERVICE_REPO, { branch: 'main', sha: serviceMerge }, { quiet: true });
    const after = story.counts();
    say.line(
      `pull requests ${before.pulls} -> ${after.pulls}, Slack messages ${before.messages} -> ${after.messages}, open update PRs ${after.openPulls}`,
    );

    say.section(
      'On demand: a person changes one image in a PR',
      "Any PR that touches an image's inputs builds and validates that image only; the others are reused.",
    );
    const personal = await story.pushPersonalChange(IMAGES_REPO, {
      author: DANA,
      branch: 'dana/win2022-iis-hardening',
      title: 'win2022: keep IIS logs on the default site',
      edits: {
        'scripts/win2022/web-server.ps1': (script) =>
          `${script}Set-ItemProperty -Path 'IIS:\\Sites\\Default Web Site' -Name logFile.enabled -Value $true\n`,
      },
    });
    await story.showPull(IMAGES_REPO, personal);
    await story.run('build-validate', IMAGES_REPO, { branch: personal.head.ref, sha: personal.head.sha });
    story.showImages();
    const personalMerge = await story.merge(IMAGES_REPO, personal.number);
    await story.run('promote', IMAGES_REPO, { branch: 'main', sha: personalMerge });
    await story.mergeLockPull();
    await rollOut(story, story.lastTrigger());
    await revokeBadImage(story, say);
    const caught = await catchUnpatchedBuild(story, say);
    await sweepKeptInstances(story, say, caught);

    say.section(
      'The image dashboard: monitor',
      "One issue in the images repository, edited in place: each channel's AMIs, revoked images, open updates.",
    );
    await story.run('monitor', IMAGES_REPO, { branch: 'main' });
    story.showDashboard(IMAGES_REPO);

    say.section('Where to look next', 'Everything above happened on this machine.');
    say.line(
      'hephestus demo --keep     leaves the sandbox up: git clone the repositories, list the AMIs with the AWS CLI',
    );
    say.line('hephestus sandbox up      the sandbox alone, with the environment to export');
    say.line('docs/setup.md             setting it up for real: contexts, IAM policy, schedules');
    return { summary: story.summary(), sandbox };
  } catch (error) {
    if (!options.keep) await sandbox.stop();
    throw error;
  }
}

/** The consumer takes the on-demand rebuild too: its pipeline bumps, a person merges, announce rolls it out. */
async function rollOut(story: Story, trigger: { images: string }): Promise<void> {
  await story.run('bump-consumer', SERVICE_REPO, { branch: 'main', images: trigger.images }, { quiet: true });
  const pull = story.openUpdatePull(SERVICE_REPO);
  const merged = await story.merge(SERVICE_REPO, pull.number);
  await story.run('announce', SERVICE_REPO, { branch: 'main', sha: merged }, { quiet: true });
}

const DANA = { name: 'Dana Developer', email: 'dana@example.com' };
const ERIN = { name: 'Erin Engineer', email: 'erin@example.com' };
/** How long Erin's branch keeps a failed validation's instance. */
const KEEP_MINUTES = 30;

/**
 * A second person's PR rebuilds win2019, and the patch gate fails the build: the month's cumulative update is
 * not in it. Returns the failed build's report. The PR stays open: nobody merges a failed build.
 */
async function catchUnpatchedBuild(story: Story, say: Narrator): Promise<BuildReport> {
  say.section(
    'On demand: a build the patch gate catches',
    "Each validation scans the instance with SSM's AWS-RunPatchBaseline; a missing critical or security update\n" +
      '   fails the image like a failed smoke test, and the PR comment and Slack say which KB is missing.',
  );
  const base = await story.pinnedBaseAmi(IMAGES_REPO, 'win2019_source_ami');
  story.setPatchProfile(base, 'missing-critical');
  say.line(
    `Simulated: the sandbox gives win2019's base AMI ${base} the patch profile \`missing-critical\`:\n` +
      "   a new win2019 build lacks this month's cumulative update, as when it fails to install in the build.",
  );
  const pull = await story.pushPersonalChange(IMAGES_REPO, {
    author: ERIN,
    branch: 'erin/win2019-net35-state',
    title: 'win2019: log the .NET 3.5 feature state',
    edits: {
      'scripts/win2019/net35.ps1': (script) =>
        `${script}Get-WindowsFeature -Name NET-Framework-Core | Format-List Name, InstallState\n`,
      // build-validate reads the branch's hephestus.yml: Erin asks to keep a failed instance to look at.
      'hephestus.yml': (config) =>
        insertAfter(config, '  timeout_minutes: 40\n', `  keep_on_failure_minutes: ${KEEP_MINUTES}\n`),
    },
  });
  await story.showPull(IMAGES_REPO, pull);
  const result = await story.run(
    'build-validate',
    IMAGES_REPO,
    { branch: pull.head.ref, sha: pull.head.sha },
    { expect: 'failure' },
  );
  const report = result.report as unknown as BuildReport;
  if (report.images.some((image) => image.image === 'win2022' && image.action === 'built'))
    say.line(
      "win2022 was built too: the AMIs built from main's win2022 inputs were revoked, and a revoked AMI is never\n" +
        '   reused.',
    );
  story.showBuildComment(IMAGES_REPO, pull.number);
  story.showImages();
  say.line(`PR #${pull.number} stays open: AMIs tagged failed are never promoted.`);
  return report;
}

/** The failed build's kept instance: someone connects to it; after its expiry the scheduled sweep ends it. */
async function sweepKeptInstances(story: Story, say: Narrator, build: BuildReport): Promise<void> {
  say.section(
    'The kept instance, swept after its expiry: ami sweep',
    'The failed validation instance stays for the Session Manager command in the PR comment, tagged\n' +
      '   hephestus:keep-until; the scheduled `ami sweep` terminates it once that has passed.',
  );
  const kept = build.images.flatMap((image) =>
    image.validation?.instanceId && image.validation.keptUntil ? [image.validation.instanceId] : [],
  );
  if (kept.length === 0) throw new Error('the failed build kept no instance');
  story.showInstances(kept);
  story.advanceClock((KEEP_MINUTES + 1) * 60_000);
  await story.sweep(['us-east-1', 'us-west-2']);
  story.showInstances(kept);
}

/** `text` with `insert` after `anchor`; throws when the anchor is gone, so a changed seed cannot go unnoticed. */
function insertAfter(text: string, anchor: string, insert: string): string {
  if (!text.includes(anchor)) throw new Error(`no ${JSON.stringify(anchor)} to insert after`);
  return text.replace(anchor, `${anchor}${insert}`);
}

/** On call finds the rolled-out win2022 bad: revoke takes it out everywhere and the consumer gets a rollback PR. */
async function revokeBadImage(story: Story, say: Narrator): Promise<void> {
  say.section(
    'A bad image after rollout: revoke',
    'Disables the AMIs, rolls the channel back to the last good image, records it in the lock file, triggers the\n' +
      'consumer with the rolled-back AMIs and posts the incident notice.',
  );
  await story.run('revoke', IMAGES_REPO, {
    branch: 'main',
    args: [
      '--image',
      'win2022',
      '--reason',
      'RDP sign-in fails on win2022 hosts after this build (INC-4711)',
    ],
  });
  story.showImages();
  const trigger = story.lastTrigger();
  await story.mergeLockPull();
  say.section(
    'The consumer pipeline, triggered by revoke: bump-consumer',
    'The same bump, worded as a rollback.',
  );
  await story.run('bump-consumer', SERVICE_REPO, {
    branch: 'main',
    images: trigger.images,
    args: [
      ...(trigger.reason ? ['--rollback-reason', trigger.reason] : []),
      ...(trigger.url ? ['--rollback-url', trigger.url] : []),
    ],
  });
  await story.showPull(SERVICE_REPO, story.openUpdatePull(SERVICE_REPO));
}

interface RunOptions {
  branch: string;
  sha?: string;
  images?: string;
  /** More arguments of the flow, as its job would pass them. */
  args?: string[];
}

/** A change a person makes by hand, in one commit of a new branch. */
interface PersonalChange {
  author: { name: string; email: string };
  branch: string;
  title: string;
  /** Each file's new content, from its content on the default branch. */
  edits: Record<string, (content: string) => string>;
}

class Story {
  readonly stages: DemoSummary['stages'] = [];
  private slackSeen = 0;
  /** The patch scans of the validations, by AMI. */
  private readonly patches = new Map<string, PatchCounts>();

  constructor(
    private readonly sandbox: Sandbox,
    private readonly say: Narrator,
  ) {}

  /**
   * Runs one flow as a CI job of `repo` would, and prints its progress and Slack messages. Throws unless it
   * ends as `expect` says: a failure the story sets up must fail, with exit 1 (a real failure found).
   */
  async run(
    flow: string,
    repo: string,
    at: RunOptions,
    { quiet = false, expect = 'success' }: { quiet?: boolean; expect?: 'success' | 'failure' } = {},
  ): Promise<ProcessResult> {
    const args = [
      'run',
      flow,
      '--repo',
      repo,
      '--branch',
      at.branch,
      ...(at.sha ? ['--sha', at.sha] : []),
      ...(at.images ? ['--images', at.images] : []),
      ...(at.args ?? []),
    ];
    const expectedExitCode = expect === 'failure' ? EXIT_FAILURE : EXIT_OK;
    const result = await this.job(args, this.jobEnv(repo, at), quiet);
    const outcome = result.report?.outcome ?? result.report?.error;
    this.stages.push({ flow, repo, exitCode: result.exitCode, expectedExitCode, outcome });
    this.say.line(
      `exit ${result.exitCode}: ${typeof outcome === 'string' ? outcome : JSON.stringify(outcome)}${expect === 'failure' ? ' (as expected)' : ''}`,
    );
    this.expectExit(`${flow} on ${repo}`, result, expectedExitCode);
    if (flow === 'build-validate') this.recordPatches(result.report);
    if (!quiet) this.showNewSlackMessages();
    return result;
  }

  /**
   * `hephestus ami sweep`, as the images repository's scheduled job runs it. Recorded as a stage (`ami sweep`):
   * it is a CI job of the story like the flows, and `ok` must cover its exit code too.
   */
  async sweep(regions: string[]): Promise<SweptInstance[]> {
    const args = ['ami', 'sweep', ...regions.flatMap((region) => ['--region', region])];
    const result = await this.job(args, this.jobEnv(IMAGES_REPO, { branch: 'main' }), false);
    const instances = (result.report?.instances ?? []) as SweptInstance[];
    const ids = (action: SweptInstance['action']) =>
      instances.filter((i) => i.action === action).map((i) => i.instanceId);
    const outcome = { terminated: ids('terminate'), kept: ids('keep') };
    this.stages.push({
      flow: 'ami sweep',
      repo: IMAGES_REPO,
      exitCode: result.exitCode,
      expectedExitCode: EXIT_OK,
      outcome,
    });
    for (const i of instances)
      this.say.line(
        `  ${i.region} ${i.instanceId} (${i.imageId ?? '?'}${i.keptUntil ? `, kept to debug until ${i.keptUntil}` : ''}): ${i.action === 'terminate' ? 'terminated' : 'kept'}`,
      );
    this.say.line(`exit ${result.exitCode}: ${JSON.stringify(outcome)}`);
    this.expectExit('ami sweep', result, EXIT_OK);
    return instances;
  }

  private expectExit(what: string, result: ProcessResult, expected: number): void {
    if (result.exitCode === expected) return;
    this.say.block('its output', result.stderr.split('\n').slice(-20).join('\n'));
    throw new Error(`${what} exited ${result.exitCode}, expected ${expected}`);
  }

  /** Runs `hephestus ARGS` as a CI job, on the sandbox's clock (ahead of this machine's once the story moved it). */
  private job(args: string[], env: Record<string, string>, quiet: boolean): Promise<ProcessResult> {
    this.say.line(`$ hephestus ${args.join(' ')}`);
    const ahead = this.sandbox.ec2.clock.now() - Date.now();
    // Below a second the difference is the two reads of the clock, not a jump.
    return runHephestus(
      args,
      env,
      (line) => {
        if (!quiet) this.say.line(`  ${line}`);
      },
      { clockOffsetMs: ahead >= 1000 ? ahead : 0 },
    );
  }

  /** The environment CircleCI gives a job of `repo` at `at`, pointed at the sandbox. */
  private jobEnv(repo: string, at: RunOptions): Record<string, string> {
    const [owner = '', name = ''] = repo.split('/');
    return {
      ...this.sandbox.env,
      CIRCLECI: 'true',
      CIRCLE_PROJECT_USERNAME: owner,
      CIRCLE_PROJECT_REPONAME: name,
      CIRCLE_BRANCH: at.branch,
      CIRCLE_BUILD_URL: `https://app.circleci.com/pipelines/gh/${repo}/1/workflows/demo/jobs/1`,
      HEPHESTUS_GIT_AUTHOR_NAME: 'Hephestus Bot',
      HEPHESTUS_GIT_AUTHOR_EMAIL: 'hephestus-bot@users.noreply.github.com',
      // Packer's amazon builders poll with these; the sandbox answers at once.
      AWS_POLL_DELAY_SECONDS: '1',
      AWS_MAX_ATTEMPTS: '10',
      CHECKPOINT_DISABLE: '1',
      // The AWS SDK's notice that it will need Node 22 from 2027 would repeat in every stage of the narration.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(at.sha ? { CIRCLE_SHA1: at.sha } : {}),
    };
  }

  /**
   * Keeps the patch counts of each validation, for every AMI of the image: the validation boots the copy in
   * the build region, and the copies in the other regions are the same image.
   */
  private recordPatches(report: Record<string, unknown> | undefined): void {
    const images = (report as Partial<BuildReport> | undefined)?.images ?? [];
    for (const image of images) {
      const scan = image.validation?.patches;
      if (!scan) continue;
      const counts = { installed: scan.installed, missing: scan.missing, failed: scan.failed };
      for (const ami of Object.values(image.amis)) this.patches.set(ami, counts);
    }
  }

  /** The AMI the default branch pins in `variable` of the images' Packer variables. */
  async pinnedBaseAmi(repo: string, variable: string): Promise<string> {
    const { stdout } = await promisify(execFile)('git', [
      '--git-dir',
      this.sandbox.github.repo(repo).dir,
      'show',
      'main:packer/windows.auto.pkrvars.hcl',
    ]);
    const pin = new RegExp(`^${variable}\\s*=\\s*"(ami-[0-9a-f]+)"`, 'm').exec(stdout)?.[1];
    if (!pin) throw new Error(`main pins no ${variable}`);
    return pin;
  }

  /** What an instance of `ami` (and of every image built from it) finds when SSM scans it for patches. */
  setPatchProfile(ami: string, profile: string): void {
    this.sandbox.ssm.state.patches.imageProfiles.set(ami, profile);
  }

  /** Moves the sandbox's AWS clock forward; the jobs started afterwards run on it. */
  advanceClock(ms: number): void {
    this.sandbox.ec2.clock.advance(ms);
    this.say.line(
      `${Math.round(ms / 60_000)} minutes later (the sandbox's clock moves ahead; the jobs run on it)`,
    );
  }

  /** The instances as EC2 reports them now. */
  showInstances(ids: string[]): void {
    this.sandbox.ec2.clock.tick();
    const rows = ids.map((id) => {
      const instance = this.sandbox.ec2.state.instances.get(id);
      const tags = instance?.tags ?? {};
      return `${id}  ${instance?.state ?? 'unknown'}  validates ${tags['hephestus:validates'] ?? '?'}  keep-until ${tags['hephestus:keep-until'] ?? '-'}`;
    });
    this.say.block('Instances (from the sandbox EC2)', rows.join('\n'));
  }

  /** build-validate's comment on the PR, as a person reads it (the hidden validation record left out). */
  showBuildComment(repo: string, number: number): void {
    const comment = this.sandbox.github
      .comments(repo, number)
      .find((c) => c.body.includes('hephestus:comment build-validate'));
    this.say.block(
      `Comment on PR #${number}`,
      (comment?.body ?? '(none)').replace(/<!--[\s\S]*?-->/g, '').trim(),
    );
  }

  openUpdatePull(repo: string) {
    const pull = this.sandbox.github
      .pulls(repo)
      .find((p) => p.state === 'open' && p.head.ref.startsWith('windows-update/'));
    if (!pull) throw new Error(`no open windows-update PR in ${repo}`);
    return pull;
  }

  async showPull(repo: string, pull: ReturnType<Story['openUpdatePull']>): Promise<void> {
    this.say.line(`PR #${pull.number} ${pull.title}  (${pull.head.ref} -> ${pull.base.ref})`);
    const dir = this.sandbox.github.repo(repo).dir;
    const { stdout } = await promisify(execFile)('git', [
      '--git-dir',
      dir,
      'diff',
      '--no-color',
      `${pull.base.ref}...${pull.head.sha}`,
    ]);
    this.say.block('the diff', stdout);
  }

  /** Merges a PR through the REST API, as a person's click on "Merge" does; returns the merge commit. */
  async merge(repo: string, number: number): Promise<string> {
    const response = await fetch(`${this.sandbox.urls.github}/repos/${repo}/pulls/${number}/merge`, {
      method: 'PUT',
      headers: { authorization: `token ${this.sandbox.tokens.github}`, 'content-type': 'application/json' },
      body: JSON.stringify({ merge_method: 'merge' }),
    });
    const body = (await response.json()) as { sha?: string; message?: string };
    if (!response.ok || !body.sha) throw new Error(`merge of ${repo}#${number} failed: ${body.message}`);
    this.say.line(`merged ${repo}#${number} as ${body.sha.slice(0, 12)}`);
    return body.sha;
  }

  /** Shows the lock-file PR that promote opened (what the default branch will say was validated) and merges it. */
  async mergeLockPull(): Promise<void> {
    const lock = this.sandbox.github
      .pulls(IMAGES_REPO)
      .find((p) => p.state === 'open' && p.head.ref.endsWith('/lock'));
    if (!lock) {
      this.say.line('no lock-file PR: images.lock.json already names these images');
      return;
    }
    await this.showPull(IMAGES_REPO, lock);
    await this.merge(IMAGES_REPO, lock.number);
  }

  /** What a person does by hand: clone, change files, push a branch, open a PR. Returns the PR. */
  async pushPersonalChange(
    repo: string,
    change: PersonalChange,
  ): Promise<ReturnType<Story['openUpdatePull']>> {
    const run = promisify(execFile);
    const work = await mkdtemp(path.join(tmpdir(), 'hephestus-demo-person-'));
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${this.sandbox.tokens.github}`).toString('base64')}`;
    const person = [
      '-c',
      `user.name=${change.author.name}`,
      '-c',
      `user.email=${change.author.email}`,
      '-c',
      `http.extraHeader=${header}`,
    ];
    try {
      await run('git', [...person, 'clone', '--quiet', '--depth', '1', this.sandbox.cloneUrl(repo), work]);
      for (const [file, edit] of Object.entries(change.edits)) {
        const target = path.join(work, file);
        await writeFile(target, edit(await readFile(target, 'utf8')));
      }
      await run('git', ['-C', work, 'checkout', '--quiet', '-b', change.branch]);
      await run('git', [...person, '-C', work, 'commit', '--quiet', '-am', change.title]);
      await run('git', [
        ...person,
        '-C',
        work,
        'push',
        '--quiet',
        'origin',
        `HEAD:refs/heads/${change.branch}`,
      ]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const response = await fetch(`${this.sandbox.urls.github}/repos/${repo}/pulls`, {
      method: 'POST',
      headers: { authorization: `token ${this.sandbox.tokens.github}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: change.title,
        head: change.branch,
        base: 'main',
        body: 'Changed by hand.',
      }),
    });
    const created = (await response.json()) as { number?: number; message?: string };
    if (!response.ok || created.number === undefined)
      throw new Error(`opening the PR failed: ${created.message}`);
    this.say.line(
      `${change.author.name.split(' ')[0]} pushed ${change.branch} and opened PR #${created.number}`,
    );
    const pull = this.sandbox.github.pulls(repo).find((p) => p.number === created.number);
    if (!pull) throw new Error(`PR #${created.number} not in the sandbox`);
    return pull;
  }

  /** The parameters of the last consumer pipeline triggered: its images, and revoke's rollback reason and link. */
  lastTrigger(): { images: string; reason?: string; url?: string } {
    const trigger = this.sandbox.circleci.state.triggers.at(-1);
    if (!trigger) throw new Error('promote triggered no consumer pipeline');
    this.say.block(
      `CircleCI pipeline triggered in ${trigger.project_slug}`,
      JSON.stringify(trigger.parameters, null, 2),
    );
    const { images, rollback_reason: reason, rollback_url: url } = trigger.parameters ?? {};
    return {
      images: typeof images === 'string' ? images : JSON.stringify(images ?? {}),
      ...(typeof reason === 'string' ? { reason } : {}),
      ...(typeof url === 'string' ? { url } : {}),
    };
  }

  /** Prints the bot's dashboard issue as a person would read it. */
  showDashboard(repo: string): void {
    const dashboard = this.dashboards(repo)[0];
    this.say.block(
      dashboard ? `Issue #${dashboard.number} ${dashboard.title}` : 'no dashboard issue',
      (dashboard?.body ?? '').replace(/<!--[\s\S]*?-->/g, '').trim(),
    );
  }

  private dashboards(repo: string) {
    return this.sandbox.github.issues(repo);
  }

  showImages(): void {
    const rows = this.images().map(
      (i) =>
        `${i.image.padEnd(10)} ${i.region.padEnd(10)} ${i.ami}  ${i.status.padEnd(9)}${i.patches ? `  patches ${i.patches.installed} installed, ${i.patches.missing} missing, ${i.patches.failed} failed` : ''}${i.channel ? `  channel ${i.channel}` : ''}`,
    );
    this.say.block('AMIs (from the sandbox EC2)', rows.join('\n') || '(none)');
  }

  private images(): DemoSummary['images'] {
    return [...this.sandbox.ec2.state.images.values()]
      .filter((image) => image.tags['hephestus:status'] !== undefined)
      .map((image) => ({
        image: image.tags['hephestus:image'] ?? image.name,
        region: image.region,
        ami: image.imageId,
        status: image.tags['hephestus:status'] ?? '',
        ...(image.tags['hephestus:channel'] ? { channel: image.tags['hephestus:channel'] } : {}),
        ...(this.patches.has(image.imageId) ? { patches: this.patches.get(image.imageId) } : {}),
      }))
      .sort((a, b) => `${a.image}${a.region}`.localeCompare(`${b.image}${b.region}`));
  }

  private showNewSlackMessages(): void {
    const { channels, messages } = this.sandbox.slack.state;
    for (const message of messages.slice(this.slackSeen)) {
      const channel = channels.find((c) => c.id === message.channel)?.name ?? message.channel;
      this.say.block(`Slack #${channel}`, renderMessage(message));
    }
    this.slackSeen = messages.length;
  }

  counts() {
    const pulls = [IMAGES_REPO, SERVICE_REPO].flatMap((repo) => this.sandbox.github.pulls(repo));
    return {
      pulls: pulls.length,
      openPulls: pulls.filter((p) => p.state === 'open').length,
      messages: this.sandbox.slack.state.messages.length,
    };
  }

  summary(): DemoSummary {
    return {
      ok: this.stages.every((stage) => stage.exitCode === stage.expectedExitCode),
      stages: this.stages,
      pullRequests: [IMAGES_REPO, SERVICE_REPO].flatMap((repo) =>
        this.sandbox.github
          .pulls(repo)
          .map((p) => ({ repo, number: p.number, state: p.state, merged: p.merged, title: p.title })),
      ),
      images: this.images(),
      issues: [IMAGES_REPO, SERVICE_REPO].flatMap((repo) =>
        this.dashboards(repo).map((issue) => ({ repo, number: issue.number, title: issue.title })),
      ),
      slackMessages: this.sandbox.slack.state.messages.length,
      pipelinesTriggered: this.sandbox.circleci.state.triggers.length,
    };
  }
}
