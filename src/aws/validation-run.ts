/**
 * The one validation path of `hephestus ami validate` and build-validate: the smoke tests read from files inside
 * the checkout, the AMI validated, every text of the result (smoke-test output, messages) redacted as soon as it
 * comes back, and the JUnit report built from the redacted results. Both callers go through here, so neither
 * can write a smoke test's raw output to a report the other redacts.
 */
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import {
  INSPECTOR_DEFAULTS,
  type InspectorConfig,
  PATCH_COMPLIANCE_DEFAULTS,
  type PatchComplianceConfig,
} from '../config/config-schema.js';
import { repoPath } from '../config/repo-paths.js';
import { InputError } from '../errors.js';
import { describeFinding } from './inspector-findings.js';
import { casesOfFailedRun, type JunitCase, type JunitSuite, junitXml } from './junit.js';
import { describePatch } from './patch-compliance.js';
import {
  type SmokeTest,
  type ValidationDeps,
  ValidationError,
  type ValidationRequest,
  type ValidationResult,
  validateAmi,
} from './validate-ami.js';

/** A validation's redacted result, and why it failed (redacted; undefined when it passed). */
export interface ValidationOutcome {
  result: ValidationResult;
  failure?: string;
}

/** Validates one AMI; a failed validation comes back as an outcome, not an error. Everything in it is redacted. */
export async function runValidation(
  request: ValidationRequest,
  deps: ValidationDeps,
  redact: (text: string) => string,
): Promise<ValidationOutcome> {
  try {
    return { result: redactResult(await validateAmi(request, deps), redact) };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { result: redactResult(error.result, redact), failure: redact(error.message) };
  }
}

/** The result with its smoke tests' output and every message redacted. */
export function redactResult(result: ValidationResult, redact: (text: string) => string): ValidationResult {
  return {
    ...result,
    ...(result.message === undefined ? {} : { message: redact(result.message) }),
    tests: result.tests.map((test) => ({
      ...test,
      stdout: redact(test.stdout),
      stderr: redact(test.stderr),
      ...(test.message === undefined ? {} : { message: redact(test.message) }),
    })),
  };
}

/** The gates after the smoke tests, from `validation.patch_compliance` and `validation.inspector` (or their defaults). */
export function validationGates(
  validation: { patch_compliance?: PatchComplianceConfig; inspector?: InspectorConfig } | undefined,
): Pick<ValidationRequest, 'patchCompliance' | 'inspector'> {
  const patches = validation?.patch_compliance ?? PATCH_COMPLIANCE_DEFAULTS;
  const inspector = validation?.inspector ?? INSPECTOR_DEFAULTS;
  return {
    ...(patches.enabled
      ? {
          patchCompliance: {
            thresholds: {
              maxCriticalNonCompliant: patches.max_critical_noncompliant,
              maxSecurityNonCompliant: patches.max_security_noncompliant,
              maxFailed: patches.max_failed,
              ...('max_missing' in patches && patches.max_missing !== undefined
                ? { maxMissing: patches.max_missing }
                : {}),
            },
            ...('baseline_id' in patches && patches.baseline_id ? { baselineId: patches.baseline_id } : {}),
            ...('patch_group' in patches && patches.patch_group ? { patchGroup: patches.patch_group } : {}),
          },
        }
      : {}),
    ...(inspector.enabled ? { inspector: { failOn: inspector.fail_on } } : {}),
  };
}

/**
 * Reads smoke-test scripts. A relative path is resolved inside `dir` (the checkout) and refused when a link leads
 * out of it (exit 2 naming `setting`): a committed `tests/smoke.ps1 -> /proc/self/environ` would otherwise send
 * the job's environment to the instance. An absolute path is the caller's own choice and read as given.
 */
export async function readSmokeTests(
  dir: string,
  files: readonly string[],
  setting: string,
): Promise<SmokeTest[]> {
  return Promise.all(
    files.map(async (file, index) => {
      const at = `${setting}[${index}]`;
      const path = isAbsolute(file) ? file : repoPath(dir, file, at);
      try {
        return { name: basename(file), script: await readFile(path, 'utf8') };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new InputError(code === 'ENOENT' ? 'smoke test not found' : `cannot read (${code})`, {
          file,
          setting: at,
        });
      }
    }),
  );
}

/** One suite of the JUnit report: an image (or AMI) and its validation, or why it never got one. */
export interface ValidationSuite {
  name: string;
  /** The validation's result; undefined when the image failed before it (the build). */
  result?: ValidationResult;
  /** Why the image failed (redacted), shown as an error case when no smoke test failed. */
  failure?: string;
  timestamp?: Date;
}

/** The JUnit XML of validations, as CircleCI's `store_test_results` reads it. */
export function validationJunit(suites: readonly ValidationSuite[]): string {
  return junitXml(suites.map(junitSuite));
}

function junitSuite({ name, result, failure, timestamp }: ValidationSuite): JunitSuite {
  const classname = result ? `${result.imageId} (${result.region})` : name;
  const cases: JunitCase[] = (result?.tests ?? []).map((test) => ({
    name: test.name,
    classname,
    durationMs: test.durationMs,
    outcome: test.outcome,
    message: test.message,
    stdout: test.stdout,
    stderr: test.stderr,
  }));
  if (result) cases.push(...gateCases(result, classname));
  // A failure no case shows (the build, or a step before the tests, which leaves them skipped) gets an error case.
  const shown =
    failure === undefined
      ? cases
      : casesOfFailedRun(cases, { name: result?.failedStep ?? 'build', classname, message: failure });
  return { name, ...(timestamp ? { timestamp } : {}), cases: shown };
}

/** A case per gate that ran: the patch scan (counts, and the patches not in) and Inspector's findings. */
function gateCases(result: ValidationResult, classname: string): JunitCase[] {
  const cases: JunitCase[] = [];
  const { patches, findings } = result;
  if (patches) {
    const { counts } = patches;
    cases.push({
      name: 'patch-compliance',
      classname,
      durationMs: result.steps.find((s) => s.step === 'patch-compliance')?.durationMs ?? 0,
      outcome: patches.violations.length === 0 ? 'passed' : 'failed',
      ...(patches.violations.length === 0 ? {} : { message: patches.violations.join('; ') }),
      stdout: [
        `baseline ${patches.baselineId}${patches.scannedAt ? `, scanned ${patches.scannedAt}` : ''}`,
        `installed ${counts.installed}, pending reboot ${counts.installedPendingReboot}, missing ${counts.missing}, failed ${counts.failed}`,
        `non-compliant: critical ${counts.criticalNonCompliant}, security ${counts.securityNonCompliant}, other ${counts.otherNonCompliant}`,
        ...patches.noncompliant.map((p) => `${describePatch(p)} ${p.title}`),
        '',
      ].join('\n'),
    });
  }
  if (findings) {
    cases.push({
      name: 'inspector-findings',
      classname,
      durationMs: result.steps.find((s) => s.step === 'inspector-findings')?.durationMs ?? 0,
      outcome: findings.blocking.length === 0 ? 'passed' : 'failed',
      ...(findings.blocking.length === 0
        ? {}
        : { message: `${findings.blocking.length} findings at or above the threshold` }),
      stdout: [...findings.findings.map((f) => `${describeFinding(f)} ${f.title}`), ''].join('\n'),
    });
  }
  return cases;
}
