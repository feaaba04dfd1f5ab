import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationResult } from '../../src/aws/validate-ami.js';
import { readSmokeTests, redactResult, validationJunit } from '../../src/aws/validation-run.js';
import { InputError } from '../../src/errors.js';
import { Redactor } from '../../src/log/redact.js';

const SECRET = 'ghs_validationRunCanary0123456789';
const redactor = new Redactor([SECRET]);
const redact = (text: string) => redactor.redact(text);

const result = (overrides: Partial<ValidationResult> = {}): ValidationResult => ({
  region: 'us-east-1',
  imageId: 'ami-0123456789abcdef0',
  passed: false,
  failedStep: 'smoke-tests',
  message: `1 of 1 smoke tests failed; token ${SECRET}`,
  steps: [],
  terminated: true,
  tests: [
    {
      name: 'smoke.ps1',
      outcome: 'failed',
      stdout: `printed ${SECRET}`,
      stderr: `error near ${SECRET}`,
      truncated: false,
      durationMs: 1200,
      message: `Failed, exit code 1 (${SECRET})`,
    },
  ],
  ...overrides,
});

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hephestus-validation-run-'));
  await writeFile(join(scratch, 'smoke.ps1'), "Write-Output 'ok'\n");
  await symlink('/proc/self/environ', join(scratch, 'environ.ps1'));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('redactResult', () => {
  it('redacts every text a smoke test or a step produced', () => {
    const redacted = redactResult(result(), redact);
    expect(redactor.leaks(JSON.stringify(redacted))).toBe(false);
    expect(redacted.tests[0]?.stdout).toBe('printed [REDACTED]');
  });
});

describe('validationJunit', () => {
  it('writes the redacted output, and an error case for a failure no smoke test shows', () => {
    const xml = validationJunit([
      { name: 'win2022', result: redactResult(result(), redact), failure: 'failed' },
      {
        name: 'win2019',
        result: result({ tests: [], failedStep: 'ssm-online', message: 'never online' }),
        failure: 'validation failed at ssm-online',
      },
      { name: 'win2025', failure: 'packer build failed: no AMI in every region' },
    ]);
    expect(redactor.leaks(xml)).toBe(false);
    expect(xml).toContain('<testcase name="smoke.ps1" classname="ami-0123456789abcdef0 (us-east-1)"');
    expect(xml).toContain('<testcase name="ssm-online"');
    expect(xml).toContain('<testcase name="build" classname="win2025"');
    expect(xml).toContain('tests="3" failures="1" errors="2"');
  });
});

describe('readSmokeTests', () => {
  it('reads scripts inside the directory, named by their file', async () => {
    expect(await readSmokeTests(scratch, ['smoke.ps1'], 'images.win2022.smoke_tests')).toEqual([
      { name: 'smoke.ps1', script: "Write-Output 'ok'\n" },
    ]);
  });

  it('refuses a link out of the directory and a missing script with exit 2, naming the setting', async () => {
    await expect(
      readSmokeTests(scratch, ['environ.ps1'], 'images.win2022.smoke_tests'),
    ).rejects.toMatchObject({
      exitCode: 2,
      location: { setting: 'images.win2022.smoke_tests[0]' },
    });
    const missing = readSmokeTests(scratch, ['smoke.ps1', 'gone.ps1'], '--smoke-test');
    await expect(missing).rejects.toBeInstanceOf(InputError);
    await expect(missing).rejects.toThrow('smoke test not found');
  });
});
