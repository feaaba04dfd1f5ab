/**
 * JUnit XML for smoke-test results, the format CircleCI's `store_test_results` reads into the Tests tab.
 * Pure: the caller redacts output and writes the file.
 *
 * Written by hand because the format is a dozen elements and every XML library in reach is a parser;
 * what matters is escaping, done here for text and attributes alike.
 */

export interface JunitCase {
  name: string;
  /** Shown by CircleCI as the test's file/class; the AMI and region here. */
  classname: string;
  durationMs: number;
  outcome: 'passed' | 'failed' | 'error' | 'skipped';
  /** One-line reason for failed, error and skipped cases. */
  message?: string;
  stdout?: string;
  stderr?: string;
}

export interface JunitSuite {
  name: string;
  timestamp?: Date;
  cases: JunitCase[];
}

/**
 * The cases of a run that failed, with the failure itself added as an error case when none of them failed: a
 * validation that stopped before its tests (Windows never ready, the SSM agent never online) leaves only skipped
 * tests, which CircleCI's Tests tab would show as green.
 */
export function casesOfFailedRun(
  cases: readonly JunitCase[],
  failure: { name: string; classname: string; message?: string },
): JunitCase[] {
  if (cases.some((c) => c.outcome === 'failed' || c.outcome === 'error')) return [...cases];
  return [
    ...cases,
    {
      name: failure.name,
      classname: failure.classname,
      durationMs: 0,
      outcome: 'error',
      ...(failure.message === undefined ? {} : { message: failure.message }),
    },
  ];
}

/** The whole document: one `<testsuites>` with a `<testsuite>` per suite. */
export function junitXml(suites: JunitSuite[]): string {
  const all = suites.flatMap((suite) => suite.cases);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="hephestus" ${counts(all)}>`];
  for (const suite of suites) {
    const stamp = suite.timestamp ? ` timestamp="${suite.timestamp.toISOString().slice(0, 19)}"` : '';
    lines.push(`  <testsuite name="${attr(suite.name)}" ${counts(suite.cases)}${stamp}>`);
    for (const testCase of suite.cases) lines.push(...caseXml(testCase));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

function counts(cases: JunitCase[]): string {
  const count = (outcome: JunitCase['outcome']) => cases.filter((c) => c.outcome === outcome).length;
  const seconds = cases.reduce((sum, c) => sum + c.durationMs, 0) / 1000;
  return `tests="${cases.length}" failures="${count('failed')}" errors="${count('error')}" skipped="${count('skipped')}" time="${seconds.toFixed(3)}"`;
}

function caseXml(testCase: JunitCase): string[] {
  const open = `    <testcase name="${attr(testCase.name)}" classname="${attr(testCase.classname)}" time="${(testCase.durationMs / 1000).toFixed(3)}"`;
  const body: string[] = [];
  const message = testCase.message === undefined ? '' : ` message="${attr(testCase.message)}"`;
  if (testCase.outcome === 'failed')
    body.push(`      <failure${message} type="failure">${text(testCase.stderr ?? '')}</failure>`);
  if (testCase.outcome === 'error')
    body.push(`      <error${message} type="error">${text(testCase.stderr ?? '')}</error>`);
  if (testCase.outcome === 'skipped') body.push(`      <skipped${message}/>`);
  if (testCase.stdout) body.push(`      <system-out>${text(testCase.stdout)}</system-out>`);
  if (testCase.stderr && testCase.outcome === 'passed')
    body.push(`      <system-err>${text(testCase.stderr)}</system-err>`);
  return body.length === 0 ? [`${open}/>`] : [`${open}>`, ...body, '    </testcase>'];
}

// XML 1.0 forbids most control characters even as references; they are replaced so a stray byte in a
// script's output cannot make the whole report unreadable.
const invalidXmlChars =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML cannot hold.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes element text. */
function text(value: string): string {
  return value
    .replace(invalidXmlChars, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;');
}

/** Escapes an attribute value; newlines and tabs as references so parsers do not normalise them to spaces. */
function attr(value: string): string {
  return text(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\t/g, '&#9;');
}
