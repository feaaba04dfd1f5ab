import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { assertPathsInside, repoPath } from '../../src/config/repo-paths.js';
import { InputError } from '../../src/errors.js';

let scratch: string;
let repo: string;
let outside: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hephestus-paths-'));
  repo = join(scratch, 'repo');
  outside = join(scratch, 'outside');
  await mkdir(join(repo, 'tests'), { recursive: true });
  await mkdir(join(repo, 'packer'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'secret\n');
  await writeFile(join(repo, 'tests', 'real.ps1'), 'Write-Output ok\n');
  await symlink('/proc/self/environ', join(repo, 'tests', 'smoke.ps1'));
  await symlink(join(outside, 'lock.json'), join(repo, 'images.lock.json'));
  await symlink('real.ps1', join(repo, 'tests', 'alias.ps1'));
  await symlink(outside, join(repo, 'linked-dir'));
  await symlink(join(outside, 'secret.txt'), join(repo, 'packer', 'extra.pkr.hcl'));
  await writeFile(join(repo, 'packer', 'windows.pkr.hcl'), '# template\n');
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** The error `attempt` throws. */
function refusal(attempt: () => unknown): InputError {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected a refusal');
}

describe('repoPath', () => {
  it('accepts files, links inside the checkout and files yet to be written', () => {
    expect(repoPath(repo, 'tests/real.ps1', 's')).toBe(join(repo, 'tests', 'real.ps1'));
    expect(repoPath(repo, 'tests/alias.ps1', 's')).toBe(join(repo, 'tests', 'alias.ps1'));
    expect(repoPath(repo, 'new/dir/file.json', 's')).toBe(join(repo, 'new', 'dir', 'file.json'));
  });

  it('refuses a link out of the checkout, naming the setting (exit 2)', () => {
    const error = refusal(() => repoPath(repo, 'tests/smoke.ps1', 'images[0].smoke_tests[0]'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/symbolic link .* outside the repository/);
    expect(error.location.setting).toBe('images[0].smoke_tests[0]');
  });

  it('refuses a dangling link (writing would create its target outside) and a path under a linked directory', () => {
    expect(refusal(() => repoPath(repo, 'images.lock.json', 'lock_file')).message).toMatch(/link to nothing/);
    expect(refusal(() => repoPath(repo, 'linked-dir/secret.txt', 'x')).message).toMatch(/outside/);
    expect(refusal(() => repoPath(repo, 'linked-dir/new.json', 'x')).message).toMatch(/outside/);
    expect(refusal(() => repoPath(repo, '../outside/secret.txt', 'x')).message).toMatch(/outside/);
  });
});

describe('assertPathsInside', () => {
  const config = (images: string) =>
    parseConfig(`version: 1\nimages:\n${images}\nlock_file: data/images.lock.json\n`, 'hephestus.yml');

  it('passes a configuration whose paths stay inside', async () => {
    await writeFile(join(repo, 'hephestus.yml'), 'version: 1\n');
    const ok = config(
      '  - {name: a, template: packer/windows.pkr.hcl, regions: [us-east-1], smoke_tests: [tests/real.ps1], inputs: ["scripts/**"]}',
    );
    expect(() => assertPathsInside(repo, ok, 'hephestus.yml')).not.toThrow();
  });

  it('names the first setting that leads out: a smoke test, a file of a template directory, the lock file', () => {
    const smoke = config(
      '  - {name: a, template: packer/windows.pkr.hcl, regions: [us-east-1], smoke_tests: [tests/real.ps1, tests/smoke.ps1]}',
    );
    expect(refusal(() => assertPathsInside(repo, smoke, 'hephestus.yml')).location.setting).toBe(
      'images[0].smoke_tests[1]',
    );
    const dir = config('  - {name: a, template: packer, regions: [us-east-1]}');
    expect(refusal(() => assertPathsInside(repo, dir, 'hephestus.yml')).location.setting).toBe(
      'images[0].template',
    );
    const lock = parseConfig('version: 1\n', 'hephestus.yml');
    expect(refusal(() => assertPathsInside(repo, lock, 'hephestus.yml')).location.setting).toBe('lock_file');
  });
});
