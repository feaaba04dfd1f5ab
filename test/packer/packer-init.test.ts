/** `packer init` runs only when the template needs it and Packer has it; a fake `packer` records the calls. */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, HephestusError } from '../../src/errors.js';
import { packerInit, parsePackerVersion, supportsInit } from '../../src/packer/packer-init.js';

let dir: string;
let fakePacker: string;
let calls: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'packer-init-'));
  calls = join(dir, 'calls.log');
  fakePacker = join(dir, 'packer');
  await writeFile(
    fakePacker,
    `#!/bin/sh\necho "$*" >> '${calls}'\nif [ "$FAKE_INIT_FAILS" = 1 ]; then echo "Failed getting the amazon plugin: token secret-123" >&2; exit 1; fi\n`,
  );
  await chmod(fakePacker, 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const at = { file: 'packer/windows.pkr.hcl', line: 7, column: 3 };
const base = {
  template: 'packer/windows.pkr.hcl',
  setting: 'images.win2022.template',
  env: process.env,
  redact: (text: string) => text.replaceAll('secret-123', '***'),
};

describe('parsePackerVersion and supportsInit', () => {
  it('reads the version line packer prints', () => {
    expect(parsePackerVersion('Packer v1.6.6')).toEqual([1, 6, 6]);
    expect(parsePackerVersion('Packer v1.14.3 (linux/amd64)')).toEqual([1, 14, 3]);
    expect(parsePackerVersion(undefined)).toBeUndefined();
  });

  it('has init from 1.7 on', () => {
    expect(supportsInit('Packer v1.6.6')).toBe(false);
    expect(supportsInit('Packer v1.7.0')).toBe(true);
    expect(supportsInit('Packer v1.14.3')).toBe(true);
    expect(supportsInit('Packer v2.0.0')).toBe(true);
  });
});

describe('packerInit', () => {
  it('does nothing for a template without required_plugins', async () => {
    await writeFile(calls, '');
    const result = await packerInit({
      ...base,
      requiredPlugins: undefined,
      version: 'Packer v1.6.6',
      packerBin: fakePacker,
    });
    expect(result).toBe('not-needed');
    expect(await readFile(calls, 'utf8')).toBe('');
  });

  it('with Packer 1.6.6 and required_plugins: exit 2 at the block, saying Packer >= 1.7 is needed', async () => {
    await writeFile(calls, '');
    const error = await packerInit({
      ...base,
      requiredPlugins: at,
      version: 'Packer v1.6.6',
      packerBin: fakePacker,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HephestusError);
    expect((error as HephestusError).exitCode).toBe(ExitCode.badInput);
    expect((error as HephestusError).describe()).toMatch(
      /^packer\/windows\.pkr\.hcl:7:3: images\.win2022\.template: .*Packer >= 1\.7; this is Packer v1\.6\.6/,
    );
    expect(await readFile(calls, 'utf8')).toBe('');
  });

  it('with a newer Packer: runs packer init on the template', async () => {
    await writeFile(calls, '');
    const result = await packerInit({
      ...base,
      requiredPlugins: at,
      version: 'Packer v1.14.3',
      packerBin: fakePacker,
    });
    expect(result).toBe('initialized');
    expect(await readFile(calls, 'utf8')).toBe('init packer/windows.pkr.hcl\n');
  });

  it('a failing init is a failure (exit 1) with its output redacted', async () => {
    const error = await packerInit({
      ...base,
      // Packer sees only its allowlist and pass_env, so the switch reaches the fake through pass_env.
      env: { ...process.env, FAKE_INIT_FAILS: '1' },
      passEnv: ['FAKE_INIT_FAILS'],
      requiredPlugins: at,
      version: 'Packer v1.14.3',
      packerBin: fakePacker,
    }).catch((e: unknown) => e);
    expect((error as HephestusError).exitCode).toBe(ExitCode.failure);
    expect((error as HephestusError).message).toContain('Failed getting the amazon plugin: token ***');
    expect((error as HephestusError).message).not.toContain('secret-123');
  });
});
