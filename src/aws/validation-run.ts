/**
 * The one validation path of `hephestus ami validate` and build-validate: the smoke tests read from files inside
 * the checkout, the AMI validated, every text of the result (smoke-test output, messages) redacted as soon as it
 * comes back, and the JUnit report built from the redacted results. Both callers go through here, so neither
 * can write a smoke test's raw output to a report the other redacts.
 */
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import { repoPath } from '../config/repo-paths.js';
import { InputError } from '../errors.js';
import { casesOfFailedRun, type JunitCase, type JunitSuite, junitXml } from './junit.js';
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
  // A failure no case shows (the build, or a step before the tests, which leaves them skipped) gets an error case.
  const shown =
    failure === undefined
      ? cases
      : casesOfFailedRun(cases, { name: result?.failedStep ?? 'build', classname, message: failure });
  return { name, ...(timestamp ? { timestamp } : {}), cases: shown };
}
