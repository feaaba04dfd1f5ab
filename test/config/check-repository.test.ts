/** `config check` opens the repository: each path, pin, build name and bump path is checked where it is. */
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkRepository, repositoryError } from '../../src/config/check-repository.js';
import { parseConfig } from '../../src/config/load-config.js';
import { ExitCode } from '../../src/errors.js';
import { positionOf, swap } from '../reliability/hostile-inputs.js';

const SEED = new URL('../../src/sandbox/seeds/', import.meta.url).pathname;
let images: string;
let service: string;
let seedConfig: string;
let serviceConfig: string;

beforeAll(async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'check-repository-'));
  images = join(scratch, 'images');
  service = join(scratch, 'service');
  await cp(join(SEED, 'images-repo'), images, { recursive: true });
  await cp(join(SEED, 'service-repo'), service, { recursive: true });
  seedConfig = await readFile(join(images, 'hephestus.yml'), 'utf8');
  serviceConfig = await readFile(join(service, 'hephestus.yml'), 'utf8');
  return () => rm(scratch, { recursive: true, force: true });
});

/** Checks `text` as hephestus.yml of `root` and renders the problems as `config check` prints them. */
async function check(text: string, root: string): Promise<string[]> {
  const problems = await checkRepository(parseConfig(text, 'hephestus.yml'), root);
  if (problems.length === 0) return [];
  const error = repositoryError(problems, 'hephestus.yml', text);
  expect(error.exitCode).toBe(ExitCode.badInput);
  return error.describe().split('\n');
}

describe('checkRepository on the sandbox seeds', () => {
  it('finds nothing wrong with either seed repository', async () => {
    expect(await check(seedConfig, images)).toEqual([]);
    expect(await check(serviceConfig, service)).toEqual([]);
  });

  it('a template that does not exist: its line and column, and the file it probably meant', async () => {
    const text = swap(seedConfig, 'template: packer/windows.pkr.hcl', 'template: packer/window.pkr.hcl');
    const { line, column } = positionOf(text, 'packer/window.pkr.hcl');
    expect(await check(text, images)).toEqual([
      `hephestus.yml:${line}:${column}: images[0].template: template packer/window.pkr.hcl does not exist; did you mean packer/windows.pkr.hcl?`,
    ]);
  });

  it('a variable file or smoke test in a directory that does not exist', async () => {
    let text = swap(
      seedConfig,
      'var_files: [packer/windows.auto.pkrvars.hcl]',
      'var_files: [vars/win.pkrvars.hcl]',
    );
    text = swap(text, 'smoke_tests: [tests/smoke.ps1]', 'smoke_tests: [tests/smoke.ps]');
    const lines = await check(text, images);
    expect(lines[0]).toMatch(
      /^hephestus\.yml:\d+:\d+: images\[0\]\.var_files\[0\]: variable file vars\/win\.pkrvars\.hcl does not exist; there is no directory vars\/ either/,
    );
    expect(lines[1]).toMatch(
      /^ {2}\d+:\d+: images\[0\]\.smoke_tests\[0\]: smoke test tests\/smoke\.ps does not exist; did you mean tests\/smoke\.ps1\?$/,
    );
  });

  it('a pin path that is not in its file', async () => {
    const text = swap(seedConfig, 'path: win2022_source_ami', 'path: win2022_source_amy');
    const { line, column } = positionOf(text, 'win2022_source_amy');
    const [first] = await check(text, images);
    expect(first).toContain(
      `hephestus.yml:${line}:${column}: images[0].base_ami.pin.path: win2022_source_amy does not resolve in packer/windows.auto.pkrvars.hcl`,
    );
    expect(first).toContain('win2022_source_ami');
  });

  it('a build name the template does not have, with the one it probably meant', async () => {
    const text = swap(seedConfig, 'build: amazon-ebs.win2022', 'build: amazon-ebs.win2O22');
    const { line, column } = positionOf(text, 'amazon-ebs.win2O22');
    expect(await check(text, images)).toEqual([
      `hephestus.yml:${line}:${column}: images[0].build: no build amazon-ebs.win2O22 in packer/windows.pkr.hcl (it has amazon-ebs.win2022, amazon-ebs.win2019); did you mean amazon-ebs.win2022?`,
    ]);
  });

  it('a template that does not parse is named at its own line', async () => {
    const broken = join(images, 'packer', 'broken.pkr.hcl');
    await writeFile(broken, 'source "amazon-ebs" "x" {\n  region = \n}\n');
    const text = swap(seedConfig, 'template: packer/windows.pkr.hcl', 'template: packer/broken.pkr.hcl');
    const [first] = await check(text, images);
    expect(first).toMatch(
      /images\[0\]\.template: the template does not parse: packer\/broken\.pkr\.hcl:2:\d+: /,
    );
    await rm(broken);
  });

  it('a path out of the repository', async () => {
    const text = swap(seedConfig, 'smoke_tests: [tests/smoke.ps1]', 'smoke_tests: [../../etc/passwd]');
    expect((await check(text, images))[0]).toContain('"../../etc/passwd" lies outside the repository');
  });

  it('a file that is a link out of the repository is not read', async () => {
    await symlink('/etc/hostname', join(images, 'tests', 'linked.ps1'));
    const text = swap(seedConfig, 'smoke_tests: [tests/smoke.ps1]', 'smoke_tests: [tests/linked.ps1]');
    expect((await check(text, images))[0]).toContain(
      'images[0].smoke_tests[0]: smoke test tests/linked.ps1 is a link out of the repository',
    );
    await rm(join(images, 'tests', 'linked.ps1'));
  });

  it('a bump path that does not resolve in the consumer file, and one inside an embedded document', async () => {
    let text = swap(serviceConfig, '"windows-server-2022"]', '"windows-server-2O22"]');
    text = swap(
      text,
      'inner_path: \'[:vm-manager :images "aws" "windows-server-2019"]\'',
      "inner_path: '[:vm-manager :imgs]'",
    );
    const lines = await check(text, service);
    expect(lines[0]).toMatch(
      /^hephestus\.yml:25:\d+: bump\.files\[0\]\.path: \[:vm-manager :images "aws" "windows-server-2O22"\] does not resolve in resources\/config\.edn/,
    );
    expect(lines[1]).toMatch(
      /^ {2}41:\d+: bump\.files\[3\]\.inner_path: \/data\/config\.edn does not resolve in chart\/templates\/configmap\.yaml/,
    );
    expect(lines).toHaveLength(2);
  });

  it('lists every problem, the first as the location', async () => {
    let text = swap(seedConfig, 'template: packer/windows.pkr.hcl', 'template: packer/nope.pkr.hcl');
    text = swap(text, 'path: win2019_source_ami', 'path: nope');
    const lines = await check(text, images);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^hephestus\.yml:\d+:\d+: images\[0\]\.template: /);
    expect(lines[1]).toMatch(/^ {2}\d+:\d+: images\[1\]\.base_ami\.pin\.path: nope does not resolve/);
  });
});

describe('regions', () => {
  it('refuses a region AWS does not have, with the one it probably meant, at its line', () => {
    const text = swap(seedConfig, 'regions: [us-east-1, us-west-2]', 'regions: [us-east-1, eu-west-4]');
    const { line, column } = positionOf(text, 'eu-west-4');
    let thrown: unknown;
    try {
      parseConfig(text, 'hephestus.yml');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as { describe(): string }).describe().split('\n')[0]).toBe(
      `hephestus.yml:${line}:${column}: images[0].regions[1]: "eu-west-4" is not an AWS region; did you mean eu-west-1?`,
    );
  });
});
