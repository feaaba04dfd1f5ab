/**
 * build-validate and Packer, against the sandbox: `packer init` for a template with `required_plugins` (exit 2
 * with Packer 1.6.6, the call made with a newer one, shown by a fake `packer` first on PATH), and the AMI
 * waits Packer is given on a loopback endpoint as on AWS.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import { GitRepository } from '../../src/git/git-repository.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runSandboxFlow } from '../flows/flow-harness.js';

const PERSON = { name: 'Dana Operator', email: 'dana@example.com' };
const PLUGINS_BLOCK = `packer {
  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

`;

let sandbox: Sandbox;
let scratch: string;
let fakeBin: string;
let calls: string;

beforeAll(async () => {
  sandbox = await startSandbox({ ec2: { scale: 0 } });
  scratch = await mkdtemp(join(tmpdir(), 'packer-in-build-'));
  fakeBin = join(scratch, 'bin');
  calls = join(scratch, 'calls.log');
  await mkdir(fakeBin);
  // A Packer newer than 1.7: records each call (and the waits it was given), fails the build itself.
  await writeFile(
    join(fakeBin, 'packer'),
    `#!/bin/sh
echo "$1 delay=$AWS_POLL_DELAY_SECONDS attempts=$AWS_MAX_ATTEMPTS" >> '${calls}'
case "$1" in
  version) echo "Packer v1.14.3" ;;
  init) echo "Installed plugin github.com/hashicorp/amazon v1.3.9" ;;
  build) echo "1733100000,,error,fake packer builds nothing"; exit 1 ;;
esac
`,
  );
  await chmod(join(fakeBin, 'packer'), 0o755);
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** A branch off main of the images repository with `edit` applied to its files. */
async function pushBranch(branch: string, files: Record<string, (text: string) => string>): Promise<void> {
  const dir = await mkdtemp(join(scratch, 'clone-'));
  const git = await GitRepository.clone({
    url: sandbox.cloneUrl(IMAGES_REPO),
    token: sandbox.tokens.github,
    dir,
    branch: 'main',
    author: PERSON,
  });
  for (const [file, edit] of Object.entries(files)) {
    const path = join(dir, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, edit(await readFile(path, 'utf8').catch(() => '')));
  }
  await git.commitAll(`${branch}: ${Object.keys(files).join(', ')}`);
  expect((await git.push(branch, undefined)).status).toBe('pushed');
}

describe('a template that declares required_plugins', () => {
  beforeAll(() => pushBranch('dana/plugins', { 'packer/windows.pkr.hcl': (text) => PLUGINS_BLOCK + text }));

  it('with Packer 1.6.6: exit 2 at the block, saying Packer >= 1.7 is needed for packer init; nothing built', async () => {
    const run = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
      repo: IMAGES_REPO,
      branch: 'dana/plugins',
    });
    expect(run.exitCode, run.log).toBe(2);
    expect(run.error?.describe()).toMatch(
      /^packer\/windows\.pkr\.hcl:2:3: images\.win2022\.template: the template declares required_plugins, which needs `packer init` from Packer >= 1\.7; this is Packer v1\.6\.6/,
    );
    expect(sandbox.ec2.count('RunInstances')).toBe(0);
  });

  it('with a newer Packer on PATH: packer init runs before packer build', async () => {
    await writeFile(calls, '');
    const run = await runSandboxFlow<BuildValidateReport>(
      sandbox,
      'build-validate',
      { repo: IMAGES_REPO, branch: 'dana/plugins' },
      { PATH: `${fakeBin}:${process.env.PATH}` },
    );
    expect(run.exitCode, run.log).toBe(1);
    expect(run.log).toContain('packer init packer/windows.pkr.hcl: plugins installed');
    expect((await readFile(calls, 'utf8')).split('\n').map((line) => line.split(' ')[0])).toEqual([
      'version',
      'init',
      'build',
      '',
    ]);
  });
});

describe("Packer's AMI and copy waits", () => {
  it('are sized for Windows on a loopback endpoint too, when hephestus.yml does not set them', async () => {
    await pushBranch('dana/default-waits', {
      'hephestus.yml': (text) => text.replace(/^packer:\n(?: {2}.*\n)+/m, ''),
    });
    await writeFile(calls, '');
    const run = await runSandboxFlow<BuildValidateReport>(
      sandbox,
      'build-validate',
      { repo: IMAGES_REPO, branch: 'dana/default-waits' },
      { PATH: `${fakeBin}:${process.env.PATH}` },
    );
    expect(run.exitCode, run.log).toBe(1);
    expect(await readFile(calls, 'utf8')).toContain('build delay=30 attempts=120');
  });

  it('follow packer.aws_polling in hephestus.yml', async () => {
    await pushBranch('dana/seed-waits', { 'README.md': (text) => `${text}\nA change.\n` });
    await writeFile(calls, '');
    await runSandboxFlow<BuildValidateReport>(
      sandbox,
      'build-validate',
      { repo: IMAGES_REPO, branch: 'dana/seed-waits' },
      { PATH: `${fakeBin}:${process.env.PATH}` },
    );
    expect(await readFile(calls, 'utf8')).toContain('build delay=1 attempts=120');
  });
});
