/**
 * The gates after the smoke tests, through our own clients against the sandbox: the patch scan (compliant,
 * missing a critical update, failed, another baseline) and Inspector (off, on and clean, on with a finding).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TAG } from '../../src/aws/image-tags.js';
import { ValidationError, type ValidationRequest, validateAmi } from '../../src/aws/validate-ami.js';
import { validationJunit } from '../../src/aws/validation-run.js';
import { PATCH_PROFILE_TAG } from '../../src/sandbox/aws/ssm-patches.js';
import { type Sandbox, startSandbox, testDelays } from './aws-sandbox.js';

const region = 'us-east-2';
const thresholds = { maxCriticalNonCompliant: 0, maxSecurityNonCompliant: 0, maxFailed: 0 };
let aws: Sandbox;

beforeAll(async () => {
  aws = await startSandbox();
});
afterAll(() => aws.close());
afterEach(() => {
  aws.ssm.faults.patchScanFails = false;
});

function image(profile?: string): string {
  return aws.addImage(region, {
    name: `win2022-${Math.random().toString(36).slice(2)}`,
    tags: { [TAG.status]: 'built', ...(profile ? { [PATCH_PROFILE_TAG]: profile } : {}) },
  }).imageId;
}

function request(imageId: string, overrides: Partial<ValidationRequest> = {}): ValidationRequest {
  return {
    region,
    imageId,
    instanceType: 't3.large',
    instanceProfile: 'hephestus-validation',
    timeoutMs: 15_000,
    smokeTests: [{ name: 'iis.ps1', script: "Write-Output 'IIS 10.0'" }],
    patchCompliance: { thresholds },
    ...overrides,
  };
}

const deps = () => ({ ...aws.clients(region), delays: testDelays, signals: false as const });

async function failure(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

const listFindingsCalls = () => aws.inspector2.calls.filter((c) => c.action === 'ListFindings').length;

describe('the patch compliance gate', () => {
  it('passes a compliant image after its smoke tests, with the counts in the result', async () => {
    const result = await validateAmi(request(image()), deps());
    expect(result.passed).toBe(true);
    expect(result.steps.map((s) => s.step).slice(-2)).toEqual(['smoke-tests', 'patch-compliance']);
    expect(result.patches).toMatchObject({
      counts: { installed: 4, missing: 0, failed: 0, criticalNonCompliant: 0 },
      noncompliant: [],
      violations: [],
    });
    expect(result.patches?.baselineId).toMatch(/patchbaseline\/pb-/);
    const scan = aws.ssm.calls.find(
      (c) => c.action === 'SendCommand' && c.body?.DocumentName === 'AWS-RunPatchBaseline',
    );
    expect(scan?.body?.Parameters).toEqual({ Operation: ['Scan'], RebootOption: ['NoReboot'] });
  });

  it('fails an image missing a critical update, naming the KB, and terminates the instance', async () => {
    const error = await failure(validateAmi(request(image('missing-critical')), deps()));
    expect(error.step).toBe('patch-compliance');
    expect(error.message).toContain('critical patches not installed: 1 (allowed: 0)');
    expect(error.message).toContain('KB5044281 (SecurityUpdates, Critical, MISSING)');
    expect(error.result.tests.map((t) => t.outcome)).toEqual(['passed']);
    expect(error.result.patches?.noncompliant).toEqual([
      expect.objectContaining({ kbId: 'KB5044281', classification: 'SecurityUpdates', severity: 'Critical' }),
    ]);
    expect(error.result.terminated).toBe(true);
    const xml = validationJunit([{ name: 'win2022', result: error.result, failure: error.message }]);
    expect(xml).toContain('<testcase name="patch-compliance"');
    expect(xml).toContain('KB5044281 (SecurityUpdates, Critical, MISSING)');
    expect(xml).toMatch(/failures="1" errors="0"/);
  });

  it('fails clearly when the scan itself fails', async () => {
    aws.ssm.faults.patchScanFails = true;
    const error = await failure(validateAmi(request(image()), deps()));
    expect(error.step).toBe('patch-compliance');
    expect(error.message).toMatch(
      /the patch scan \(AWS-RunPatchBaseline\) on i-[0-9a-f]+ ended Failed, exit code 1: Windows Update scan failed: 0x8024402C WU_E_PT_WINHTTP_NAME_NOT_RESOLVED/,
    );
    expect(error.result.patches).toBeUndefined();
    const xml = validationJunit([{ name: 'win2022', result: error.result, failure: error.message }]);
    expect(xml).toContain('<testcase name="patch-compliance"');
    expect(xml).toMatch(/errors="1"/);
  });

  it('tags the patch group and fails a scan against another baseline than the configured one', async () => {
    aws.ssm.state.patches.patchGroups.set(`${region}/hephestus-validation`, 'pb-0123456789abcdef0');
    const imageId = image();
    const passed = await validateAmi(
      request(imageId, {
        patchCompliance: {
          thresholds,
          patchGroup: 'hephestus-validation',
          baselineId: 'pb-0123456789abcdef0',
        },
      }),
      deps(),
    );
    expect(passed.patches?.baselineId).toBe('pb-0123456789abcdef0');
    const error = await failure(
      validateAmi(
        request(image(), { patchCompliance: { thresholds, baselineId: 'pb-0123456789abcdef0' } }),
        deps(),
      ),
    );
    expect(error.message).toMatch(
      /scanned against baseline arn:aws:ssm:us-east-2:\d+:patchbaseline\/pb-\w+, not the configured pb-0123456789abcdef0/,
    );
  });

  it('runs no scan when the request has no gate', async () => {
    const before = aws.ssm.calls.length;
    const result = await validateAmi(
      request(image('missing-critical'), { patchCompliance: undefined }),
      deps(),
    );
    expect(result.passed).toBe(true);
    expect(result.patches).toBeUndefined();
    expect(aws.ssm.calls.slice(before).some((c) => c.action.includes('Patch'))).toBe(false);
  });
});

describe('the Inspector gate', () => {
  it('reads no findings when off', async () => {
    const before = listFindingsCalls();
    const vulnerable = image();
    aws.inspector2.seedImageFindings(vulnerable, [
      {
        vulnerabilityId: 'CVE-2026-21001',
        title: 'Windows Kerberos elevation of privilege',
        severity: 'CRITICAL',
      },
    ]);
    expect((await validateAmi(request(vulnerable), deps())).passed).toBe(true);
    expect(listFindingsCalls()).toBe(before);
  });

  it('passes an instance whose findings are all below the threshold', async () => {
    const imageId = image();
    aws.inspector2.seedImageFindings(imageId, [
      { vulnerabilityId: 'CVE-2026-21002', title: 'Windows SMB information disclosure', severity: 'MEDIUM' },
    ]);
    const result = await validateAmi(request(imageId, { inspector: { failOn: 'HIGH' } }), deps());
    expect(result.passed).toBe(true);
    expect(result.steps.map((s) => s.step).at(-1)).toBe('inspector-findings');
    expect(result.findings).toEqual({
      findings: [{ vulnerabilityId: 'CVE-2026-21002', title: expect.any(String), severity: 'MEDIUM' }],
      blocking: [],
    });
  });

  it('fails on an active finding at or above the threshold', async () => {
    const imageId = image();
    aws.inspector2.seedImageFindings(imageId, [
      {
        vulnerabilityId: 'CVE-2026-21001',
        title: 'Windows Kerberos elevation of privilege',
        severity: 'CRITICAL',
      },
      {
        vulnerabilityId: 'CVE-2026-21003',
        title: 'Suppressed by the security team',
        severity: 'CRITICAL',
        status: 'SUPPRESSED',
      },
    ]);
    const error = await failure(validateAmi(request(imageId, { inspector: { failOn: 'HIGH' } }), deps()));
    expect(error.step).toBe('inspector-findings');
    expect(error.message).toContain('1 Inspector findings of HIGH or worse: CVE-2026-21001 (CRITICAL)');
    expect(error.result.terminated).toBe(true);
  });
});
