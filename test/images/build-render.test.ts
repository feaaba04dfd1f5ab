/** build-validate's pure renderers on a realistic run: one image validated, one failed, one of another builder. */
import { describe, expect, it } from 'vitest';
import type { ValidationResult } from '../../src/aws/validate-ami.js';
import { type BuildOutcome, buildComment, validationRecord } from '../../src/images/build-comment.js';
import { buildJunit } from '../../src/images/build-junit.js';
import type { ImageBuildReport } from '../../src/images/image-build.js';
import { buildNotice } from '../../src/images/report-build.js';
import { VALIDATION_RECORD } from '../../src/lock/build-record.js';

const SHA = '3f9c2a7be01d4c6f8a9b0c1d2e3f405162738495';

const validated: ImageBuildReport = {
  image: 'win2022',
  inputHash: 'sha256:5b1f0e3c9a7d2b4e6f8a0c1e3d5b7f9a1c3e5d7b9f1a3c5e7d9b1f3a5c7e9d1b',
  action: 'built',
  status: 'validated',
  amis: { 'us-east-1': 'ami-0a1b2c3d4e5f60718', 'eu-west-1': 'ami-0f1e2d3c4b5a69788' },
  validation: {
    region: 'us-east-1',
    imageId: 'ami-0a1b2c3d4e5f60718',
    instanceId: 'i-0123456789abcdef0',
    passed: true,
    terminated: true,
    tests: [
      { name: 'iis.ps1', outcome: 'passed', exitCode: 0 },
      { name: 'dotnet.ps1', outcome: 'passed', exitCode: 0 },
    ],
  },
};

const failed: ImageBuildReport = {
  image: 'win2019_core',
  inputHash: 'sha256:0c2e4a6b8d0f1e3c5a7b9d1f3e5c7a9b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c',
  action: 'built',
  status: 'failed',
  amis: { 'us-east-1': 'ami-0badc0ffee1234567' },
  failure: 'smoke test `features.ps1` failed: *Web-Server* missing',
  validation: {
    region: 'us-east-1',
    imageId: 'ami-0badc0ffee1234567',
    instanceId: 'i-0fedcba9876543210',
    passed: false,
    failedStep: 'smoke-tests',
    terminated: true,
    tests: [
      { name: 'features.ps1', outcome: 'failed', exitCode: 1 },
      { name: 'agent|check.ps1', outcome: 'passed', exitCode: 0 },
    ],
  },
};

const docker: ImageBuildReport = {
  image: 'build-agent',
  inputHash: 'sha256:9e7c5a3b1d9f7e5c3a1b9d7f5e3c1a9b7d5f3e1c9a7b5d3f1e9c7a5b3d1f9e7c',
  action: 'reused',
  status: 'built',
  amis: {},
  artifacts: [{ builder_id: 'packer.post-processor.docker-tag', id: 'registry.example.com/agent:2024.6' }],
  note: 'not an AMI: tagging, validation and promotion skipped',
};

const run = {
  run: '8d3f1c2e-4b5a-4c6d-9e7f-0a1b2c3d4e5f',
  branch: 'windows-update/win2019_core+win2022',
  sha: SHA,
  packerVersion: 'Packer v1.11.2',
  runUrl: 'https://circleci.com/gh/acme/windows-images/4211',
};

const failedRun: BuildOutcome = { ...run, outcome: 'failed', images: [validated, failed, docker] };
const validatedRun: BuildOutcome = { ...run, outcome: 'validated', images: [validated, docker] };

function result(image: ImageBuildReport, passed: boolean): ValidationResult {
  return {
    region: 'us-east-1',
    imageId: image.amis['us-east-1'] as string,
    instanceId: image.validation?.instanceId,
    passed,
    ...(passed ? {} : { failedStep: 'smoke-tests' as const, message: 'features.ps1 exited 1' }),
    steps: [{ step: 'launch', durationMs: 41_000 }],
    terminated: true,
    tests: (image.validation?.tests ?? []).map((t) => ({
      name: t.name,
      outcome: t.outcome as 'passed' | 'failed',
      status: t.outcome === 'passed' ? 'Success' : 'Failed',
      exitCode: t.exitCode,
      stdout: t.outcome === 'passed' ? 'ok\n' : 'Web-Server: Available\n',
      stderr: t.outcome === 'passed' ? '' : 'Install-WindowsFeature: <Web-Server> not installed & required\n',
      truncated: false,
      durationMs: 12_345,
      ...(t.outcome === 'passed' ? {} : { message: 'exit code 1' }),
    })),
  };
}

describe('build-validate comment', () => {
  it('shows every image, escapes what the branch wrote, and carries a failed record', () => {
    const text = buildComment(failedRun);
    expect(text).toMatchSnapshot();
    expect(VALIDATION_RECORD.decode(text)?.outcome).toBe('failed');
  });

  it('carries a validated record (and the artifacts) when every image has something to show', () => {
    const text = buildComment(validatedRun);
    expect(text).toMatchSnapshot();
    expect(VALIDATION_RECORD.decode(text)).toEqual(validationRecord(validatedRun));
  });

  it('gives the Session Manager command of a failed instance kept to debug, and when it goes', () => {
    const kept: ImageBuildReport = {
      ...failed,
      validation: {
        ...(failed.validation as NonNullable<ImageBuildReport['validation']>),
        terminated: false,
        keptUntil: '2026-12-02T15:04:05.000Z',
      },
    };
    const text = buildComment({ ...run, outcome: 'failed', images: [validated, kept] });
    expect(text).toMatchSnapshot();
    expect(text).toContain('`aws ssm start-session --target i-0fedcba9876543210 --region us-east-1`');
    // The validated image's instance was terminated: no command for it.
    expect(text).not.toContain('i-0123456789abcdef0 --region');
  });
});

describe('build-validate JUnit', () => {
  it('has a suite per built AMI image, with the failure and the tests output', () => {
    const results = new Map([
      ['win2022', result(validated, true)],
      ['win2019_core', result(failed, false)],
    ]);
    expect(buildJunit(failedRun.images, results)).toMatchSnapshot();
  });

  it('shows a build that failed before validation as an error case', () => {
    const unbuilt: ImageBuildReport = {
      ...failed,
      amis: {},
      validation: undefined,
      failure: 'packer build failed: copying AMI to eu-west-1: RequestLimitExceeded',
    };
    expect(buildJunit([unbuilt], new Map())).toMatchSnapshot();
  });
});

describe('build-validate Slack notice', () => {
  const pr = {
    repository: 'acme/windows-images',
    number: 42,
    url: 'https://github.com/acme/windows-images/pull/42',
    title: 'Windows image update: win2019_core, win2022',
  };

  it('is ready_to_merge when every image validated', () => {
    expect(buildNotice(validatedRun, pr, run.runUrl)).toMatchSnapshot();
  });

  it('names the failed images and why', () => {
    expect(buildNotice(failedRun, pr, run.runUrl)).toMatchSnapshot();
  });
});

describe('the patch compliance gate in the reports', () => {
  const missingCu = {
    kbId: 'KB5044281',
    title:
      '2026-10 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems',
    classification: 'SecurityUpdates',
    severity: 'Critical',
    state: 'MISSING',
  };
  const failedDotnet = {
    kbId: 'KB5044029',
    title: '2026-10 Cumulative Update for .NET Framework 3.5, 4.8 and 4.8.1',
    classification: 'SecurityUpdates',
    severity: 'Important',
    state: 'FAILED',
  };
  const unpatched: ImageBuildReport = {
    ...validated,
    status: 'failed',
    failure:
      'validation of ami-0a1b2c3d4e5f60718 in us-east-1 failed at patch-compliance: critical patches not installed: 1 (allowed: 0); security updates not installed: 1 (allowed: 0); patches failed to install: 1 (allowed: 0); not installed: KB5044281 (SecurityUpdates, Critical, MISSING), KB5044029 (SecurityUpdates, Important, FAILED)',
    validation: {
      ...(validated.validation as NonNullable<ImageBuildReport['validation']>),
      passed: false,
      failedStep: 'patch-compliance',
      patches: { installed: 2, missing: 1, failed: 1 },
      missingPatches: [missingCu, failedDotnet],
      blockingFindings: [
        {
          vulnerabilityId: 'CVE-2026-21001',
          title: 'Windows Kerberos elevation of privilege',
          severity: 'CRITICAL',
        },
      ],
    },
  };
  const gatedRun: BuildOutcome = { ...run, outcome: 'failed', images: [unpatched] };
  const gatedResult: ValidationResult = {
    ...result(validated, true),
    passed: false,
    failedStep: 'patch-compliance',
    message: 'critical patches not installed: 1 (allowed: 0)',
    patches: {
      baselineId: 'arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0c6f0e8d1a2b3c4d5',
      scannedAt: '2026-10-16T09:41:07.000Z',
      counts: {
        installed: 2,
        installedPendingReboot: 0,
        missing: 1,
        failed: 1,
        criticalNonCompliant: 1,
        securityNonCompliant: 1,
        otherNonCompliant: 0,
      },
      noncompliant: [missingCu, failedDotnet],
      violations: [
        'critical patches not installed: 1 (allowed: 0)',
        'security updates not installed: 1 (allowed: 0)',
        'patches failed to install: 1 (allowed: 0)',
      ],
    },
  };

  it('lists the patches not installed in the comment, with classification and severity', () => {
    const text = buildComment(gatedRun);
    expect(text).toContain('| KB5044281 | SecurityUpdates | Critical | MISSING |');
    expect(text).toMatchSnapshot();
  });

  it('is a failed case of its own in JUnit', () => {
    const xml = buildJunit(gatedRun.images, new Map([['win2022', gatedResult]]));
    expect(xml).toContain('<testcase name="patch-compliance"');
    expect(xml).toMatchSnapshot();
  });

  it("says in Slack's failed notice what is missing", () => {
    const notice = buildNotice(
      gatedRun,
      {
        repository: 'acme/windows-images',
        number: 42,
        url: 'https://github.com/acme/windows-images/pull/42',
        title: 'Windows image update: win2022',
      },
      run.runUrl,
    );
    expect(JSON.stringify(notice.message.blocks)).toContain('KB5044281: 2026-10 Cumulative Update');
    expect(notice).toMatchSnapshot();
  });
});
