/**
 * Trust boundaries (issue 12, findings 3, 7, 10 and 11), with real git and Packer 1.6.6 against the sandbox.
 * Anyone who can push a branch controls its template, its smoke tests and the files the configuration names;
 * none of that may see a GitHub, Slack or CircleCI token, read or write outside the clone, or get its output into
 * a report unredacted. Each case pushes what an attacker would and sweeps everything the run left for the
 * secrets, in raw, encoded and transformed (reversed, upper-cased, `_`→`-`) forms.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import { REDACTED } from '../../src/log/redact.js';
import { identityEnv } from '../../src/sandbox/github/bare-repo.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { BUNDLE } from '../cli/run-cli.js';
import { runCliAsync } from '../cli/run-cli-async.js';
import { CANARY_ENV, checkSecrets, detectorOf } from './canary.js';
import { childFreeTokens, flowEnv, published, runFlowOnSandbox, sandboxSecrets } from './sandbox-flow.js';

const run = promisify(execFile);
const PACKER_ENV = { AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '10', CHECKPOINT_DISABLE: '1' };
const ATTACKER = { name: 'Mallory', email: 'mallory@example.invalid' };
/** The secret variables branch code goes for. */
const WANTED = ['GITHUB_TOKEN', 'PASSWORD', 'CIRCLE_TOKEN', 'CCI_PASSWORD', 'SLACK_ACCESS_TOKEN'] as const;

let sandbox: Sandbox;
let scratch: string;
beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  scratch = await mkdtemp(path.join(tmpdir(), 'hephestus-branch-code-'));
  Object.assign(sandbox.env, PACKER_ENV);
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** The tokens no child may see, in every form the sweep knows (transformed ones included). */
const tokenDetector = () => detectorOf(childFreeTokens(flowEnv(sandbox)));

/** Pushes `branch` of the images repository: `base` changed by `change` (given a working tree), as an attacker. */
async function pushBranch(
  branch: string,
  change: (dir: string) => Promise<void>,
  base = 'main',
): Promise<string> {
  const bare = sandbox.github.repo(IMAGES_REPO).dir;
  const work = await mkdtemp(path.join(scratch, 'attacker-'));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: scratch,
    GIT_CONFIG_NOSYSTEM: '1',
    ...identityEnv(ATTACKER),
  };
  const git = (args: string[]) => run('git', args, { cwd: work, env });
  await run('git', ['clone', '--quiet', '--branch', base, bare, work], { env });
  await change(work);
  await git(['add', '--all']);
  await git(['commit', '--quiet', '-m', `Change ${branch}`]);
  await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
  await sandbox.github.sync(IMAGES_REPO);
  return (await git(['rev-parse', 'HEAD'])).stdout.trim();
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return Promise.all(
    entries
      .filter((e) => e.isFile())
      .map((e) => readFile(path.join(e.parentPath, e.name), 'utf8').catch(() => '')),
  );
}

/** Everything EC2 holds that a template can write: AMI names, descriptions and tags. */
function amiTexts(): string[] {
  return [...sandbox.ec2.state.images.values()].map((image) => JSON.stringify(image));
}

const ssmCommands = () => [...sandbox.ssm.state.commands.values()].map((c) => JSON.stringify(c));

/**
 * Packer probes: variables read with `env()`, written into AMI tags reversed, upper-cased and with `_` as `-`,
 * and a `shell-local` provisioner printing the same transformations of its environment into the build log.
 */
function probeTemplate(template: string): string {
  const names = [...WANTED, 'AWS_SECRET_ACCESS_KEY'];
  const variable = (name: string) =>
    `variable "probe_${name.toLowerCase()}" {\n  type    = string\n  default = env("${name}")\n}\n`;
  const tags = names
    .map((name) => {
      const v = `var.probe_${name.toLowerCase()}`;
      return `    "probe-${name.toLowerCase()}" = "\${strrev(${v})} \${upper(${v})} \${replace(${v}, "_", "-")}"`;
    })
    .join('\n');
  const shell = names
    .map(
      (name) =>
        `"v=$(printenv ${name} || true); echo ${name} $(echo $v | rev) $(echo $v | tr a-z A-Z) $(echo $v | tr _ -)"`,
    )
    .join(',\n      ');
  return `${template
    // Whatever the alignment of the seed's tags block.
    .replace(/"base-ami"( *)= var\.win2022_source_ami/, (line) => `${line}\n${tags}`)
    .replace(
      /build \{\n {2}sources = \[[^\]]*\]\n\}/,
      (build) =>
        `${build.slice(0, -1)}  provisioner "shell-local" {\n    inline = [\n      "echo probe-ran",\n      ${shell}\n    ]\n  }\n}`,
    )}\n${names.map(variable).join('\n')}`;
}

describe('branch code never sees a token', () => {
  it('finding 3: env() in the template and a shell-local provisioner get no GitHub, Slack or CircleCI token', async ({
    task,
  }) => {
    task.meta.figure = 'hostile';
    const branch = 'attack/read-tokens';
    await pushBranch(branch, async (dir) => {
      const file = path.join(dir, 'packer/windows.pkr.hcl');
      const probed = probeTemplate(await readFile(file, 'utf8'));
      expect(probed).toContain('provisioner "shell-local"');
      expect(probed).toContain('"probe-github_token"');
      await writeFile(file, probed);
    });
    const artifacts = path.join(scratch, 'read-tokens');
    const result = await runFlowOnSandbox<BuildValidateReport>(sandbox, 'build-validate', {
      repo: IMAGES_REPO,
      branch,
      images: 'win2022',
      artifacts,
      junit: path.join(artifacts, 'smoke.xml'),
    });
    expect(result.exitCode, result.output).toBe(0);
    // The probes ran and work: the provisioner printed, and the Packer role's AWS secret (which Packer needs)
    // shows in the tags the template computed, so finding no token below is not a blind sweep.
    const written = await filesUnder(artifacts);
    expect(written.join('\n')).toContain('probe-ran');
    const aws = { meta: {} as { canaryChecked?: number; canaryHits?: number } };
    expect(
      checkSecrets(aws, detectorOf([sandbox.env.HEPHESTUS_PACKER_AWS_SECRET_ACCESS_KEY]), ...amiTexts()),
    ).toBeGreaterThan(0);

    const captured = [result.output, ...(await filesUnder(artifacts)), ...amiTexts(), ...published(sandbox)];
    expect(checkSecrets(task, tokenDetector(), ...captured)).toBe(0);
    expect(checkSecrets(task, sandboxSecrets(sandbox), result.output, ...(await filesUnder(artifacts)))).toBe(
      0,
    );
  });

  it('finding 3: DEBUG=* and NODE_DEBUG=child_process print no secret (git gets the token, the log does not)', async ({
    task,
  }) => {
    task.meta.figure = 'hostile';
    const work = await mkdtemp(path.join(scratch, 'debug-'));
    const env = {
      ...flowEnv(sandbox),
      TMPDIR: work,
      HEPHESTUS_WORK_DIR: work,
      DEBUG: '*',
      NODE_DEBUG: 'child_process',
    };
    const result = await runCliAsync(['run', 'open-update', '--repo', IMAGES_REPO, '--dry-run', '--json'], {
      env,
    });
    expect(result.status, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as OpenUpdateReport).outcome).toBeDefined();
    // Node printed every child's options (git's environment with its credential header among them), redacted.
    expect(result.stderr).toContain('CHILD_PROCESS');
    expect(result.stderr).toContain('GIT_CONFIG_VALUE_');
    expect(result.stderr).toContain(REDACTED);
    // No child got a token of GitHub, Slack or CircleCI in its environment (git gets the header only).
    expect(result.stderr).not.toMatch(/GITHUB_TOKEN|SLACK_ACCESS_TOKEN|CIRCLE_TOKEN/);
    const captured = [result.stdout, result.stderr, ...(await filesUnder(work))];
    expect(checkSecrets(task, sandboxSecrets(sandbox), ...captured)).toBe(0);
  });
});

describe('paths stay in the checkout', () => {
  it('finding 7: a smoke test linked to /proc/self/environ is refused with exit 2 naming the setting; nothing is built or sent', async ({
    task,
  }) => {
    task.meta.figure = 'hostile';
    const branch = 'attack/environ';
    await pushBranch(branch, async (dir) => {
      await rm(path.join(dir, 'tests/smoke.ps1'));
      await symlink('/proc/self/environ', path.join(dir, 'tests/smoke.ps1'));
    });
    const images = sandbox.ec2.state.images.size;
    const commands = sandbox.ssm.state.commands.size;
    const work = await mkdtemp(path.join(scratch, 'environ-'));
    // As a job runs it: the secrets in the process's own environment, which /proc/self/environ shows.
    const env = { ...flowEnv(sandbox), TMPDIR: work, HEPHESTUS_WORK_DIR: work };
    const result = await runCliAsync(['run', 'build-validate', '--repo', IMAGES_REPO, '--branch', branch], {
      env,
    });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/images\[0\]\.smoke_tests\[0\]/);
    expect(result.stderr).toMatch(/tests\/smoke\.ps1.*outside the repository/);
    expect(sandbox.ec2.state.images.size).toBe(images);
    expect(sandbox.ssm.state.commands.size).toBe(commands);
    const captured = [result.stdout, result.stderr, ...ssmCommands(), ...(await filesUnder(work))];
    expect(checkSecrets(task, sandboxSecrets(sandbox), ...captured)).toBe(0);
  });

  it('finding 7: a lock file linked out of the clone is refused by promote (exit 2, lock_file); nothing is written outside', async ({
    task,
  }) => {
    task.meta.figure = 'hostile';
    const outside = path.join(scratch, 'outside');
    await mkdir(outside, { recursive: true });
    const target = path.join(outside, 'images.lock.json');
    // A validated update PR, as the lifecycle makes it.
    const opened = await runFlowOnSandbox<OpenUpdateReport>(sandbox, 'open-update', { repo: IMAGES_REPO });
    expect(opened.report?.outcome, opened.output).toBe('created');
    const branch = opened.report?.branch as string;
    const validated = await runFlowOnSandbox<BuildValidateReport>(sandbox, 'build-validate', {
      repo: IMAGES_REPO,
      branch,
      artifacts: path.join(scratch, 'lock-artifacts'),
    });
    expect(validated.report?.outcome, validated.output).toBe('validated');
    // Someone got a link onto the default branch: the lock file points out of any clone.
    await pushBranch('main', async (dir) => {
      await symlink(target, path.join(dir, 'images.lock.json'));
    });
    const [owner, repo] = IMAGES_REPO.split('/') as [string, string];
    const octokit = new Octokit({ baseUrl: sandbox.urls.github, auth: sandbox.tokens.github });
    const number = opened.report?.pullRequest?.number as number;
    const merged = await octokit.rest.pulls.merge({ owner, repo, pull_number: number });

    let promoted: Awaited<ReturnType<typeof runFlowOnSandbox>>;
    try {
      promoted = await runFlowOnSandbox(sandbox, 'promote', { repo: IMAGES_REPO, sha: merged.data.sha });
    } finally {
      // The other cases start from the default branch: the link goes again.
      await pushBranch('main', (dir) => rm(path.join(dir, 'images.lock.json')));
    }
    expect(promoted.exitCode, promoted.output).toBe(2);
    expect(promoted.error?.message).toMatch(/images\.lock\.json/);
    expect(promoted.error?.location).toMatchObject({ setting: 'lock_file' });
    expect(existsSync(target)).toBe(false);
    expect(await readdir(outside)).toEqual([]);
    const captured = [opened.output, validated.output, promoted.output, ...published(sandbox)];
    expect(checkSecrets(task, sandboxSecrets(sandbox), ...captured)).toBe(0);
  });
});

describe('credentials on disk', () => {
  it('finding 10: SIGKILL while git holds the token leaves no file with it', async ({ task }) => {
    task.meta.figure = 'fault';
    const work = await mkdtemp(path.join(scratch, 'killed-'));
    // A git server that takes the request and never answers: git waits with the token in hand.
    const requests: string[] = [];
    const sockets = new Set<Socket>();
    let connected!: () => void;
    const connection = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', (chunk) => {
        requests.push(String(chunk));
        connected();
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: work,
      ...flowEnv(sandbox),
      GITHUB_SERVER_URL: `http://127.0.0.1:${port}`,
      TMPDIR: work,
      HEPHESTUS_WORK_DIR: work,
    };
    const child = spawn(process.execPath, [BUNDLE, 'run', 'open-update', '--repo', IMAGES_REPO], {
      env,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    try {
      await connection;
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    // git had the token (its request carried the header) when the job was killed ...
    expect(requests.join('')).toMatch(/Authorization: Basic /i);
    expect(checkSecrets({ meta: {} }, sandboxSecrets(sandbox), requests.join(''))).toBeGreaterThan(0);
    // ... and nothing under the job's temporary directory holds it.
    const left = await filesUnder(work);
    expect(checkSecrets(task, sandboxSecrets(sandbox), ...left)).toBe(0);
  });
});

describe('one validation path', () => {
  it('finding 11: build-validate and ami validate both redact smoke-test output before they write JUnit', async ({
    task,
  }) => {
    task.meta.figure = 'hostile';
    const branch = 'attack/print-secret';
    const secret = CANARY_ENV.PASSWORD as string;
    await pushBranch(branch, async (dir) => {
      await writeFile(path.join(dir, 'tests/smoke.ps1'), `Write-Output 'the job password is ${secret}'\n`);
    });
    const out = path.join(scratch, 'print-secret');
    const junit = path.join(out, 'smoke.xml');
    const result = await runFlowOnSandbox<BuildValidateReport>(sandbox, 'build-validate', {
      repo: IMAGES_REPO,
      branch,
      images: 'win2022',
      artifacts: path.join(out, 'artifacts'),
      junit,
    });
    expect(result.exitCode, result.output).toBe(0);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain(`the job password is ${REDACTED}`);

    // `ami validate` of the same AMI with the same smoke test writes the same redacted text. The script holds the
    // secret (it is the test's input), so it lives outside the swept directory.
    const ami = result.report?.images[0]?.amis['us-east-1'] as string;
    await mkdir(path.join(scratch, 'smoke-source'), { recursive: true });
    const smoke = path.join(scratch, 'smoke-source', 'smoke.ps1');
    await writeFile(smoke, `Write-Output 'the job password is ${secret}'\n`);
    const cliJunit = path.join(out, 'cli.xml');
    const subnet = [...sandbox.ec2.state.subnets.values()].find((s) => s.region === 'us-east-1')?.subnetId;
    const cli = await runCliAsync(
      [
        'ami',
        'validate',
        `--ami=${ami}`,
        '--region=us-east-1',
        `--smoke-test=${smoke}`,
        `--subnet=${subnet}`,
        // SSM registers only an instance with a profile.
        '--instance-profile=hephestus-validation',
        `--junit=${cliJunit}`,
      ],
      { env: { ...flowEnv(sandbox), TMPDIR: out } },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const cliXml = await readFile(cliJunit, 'utf8');
    expect(cliXml).toContain(`the job password is ${REDACTED}`);
    // One JUnit builder: the same case, named and classed the same way, in both reports.
    const testcase = (text: string) => /<testcase [^>]*>/.exec(text)?.[0];
    expect(testcase(cliXml)?.replace(/time="[^"]*"/, '')).toBe(testcase(xml)?.replace(/time="[^"]*"/, ''));

    const captured = [
      result.output,
      xml,
      cli.stdout,
      cli.stderr,
      ...(await filesUnder(out)),
      ...published(sandbox),
    ];
    expect(checkSecrets(task, sandboxSecrets(sandbox), ...captured)).toBe(0);
  });
});
