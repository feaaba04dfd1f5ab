import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { casesOfFailedRun, type JunitCase, junitXml } from '../../src/aws/junit.js';
import { findAll, parseXmlStrict } from './xml-parse.js';

const cases: JunitCase[] = [
  {
    name: 'iis',
    classname: 'ami-0123456789abcdef0 (us-east-1)',
    durationMs: 1234,
    outcome: 'passed',
    stdout: 'IIS 10.0\r\n',
  },
  {
    name: 'dotnet <4.8> & "co"',
    classname: 'ami-0123456789abcdef0 (us-east-1)',
    durationMs: 20,
    outcome: 'failed',
    message: 'Failed, exit code 1',
    stdout: 'a]]>b',
    stderr: 'boom',
  },
  {
    name: 'later',
    classname: 'ami-0123456789abcdef0 (us-east-1)',
    durationMs: 0,
    outcome: 'skipped',
    message: 'not run: the validation failed at smoke-tests',
  },
];

describe('junitXml', () => {
  it('renders suites, counts and outcomes', async () => {
    const xml = junitXml([
      { name: 'win2022 validation', timestamp: new Date('2026-10-20T10:00:00Z'), cases },
    ]);
    await expect(xml).toMatchFileSnapshot('__snapshots__/junit.xml');
    const root = parseXmlStrict(xml);
    expect(root.attrs).toMatchObject({ tests: '3', failures: '1', skipped: '1', errors: '0', time: '1.254' });
    const parsed = findAll(root, 'testcase');
    expect(parsed.map((c) => c.attrs.name)).toEqual(['iis', 'dotnet <4.8> & "co"', 'later']);
    expect(findAll(parsed[0] as never, 'system-out')[0]?.text).toBe('IIS 10.0\r\n');
    expect(findAll(parsed[1] as never, 'system-out')[0]?.text).toBe('a]]>b');
  });

  it('stays well-formed and keeps the text for any names and output', () => {
    // Each run parses one document of many cases: the strict parser is a process, too slow to start per case.
    const caseArb = fc.record({ name: fc.string({ unit: 'binary' }), stdout: fc.string({ unit: 'binary' }) });
    fc.assert(
      fc.property(fc.array(caseArb, { minLength: 1, maxLength: 20 }), (generated) => {
        const xml = junitXml([
          {
            name: 's',
            cases: generated.map((c) => ({
              ...c,
              classname: 'c',
              durationMs: 1,
              outcome: 'passed' as const,
            })),
          },
        ]);
        const parsed = findAll(parseXmlStrict(xml), 'testcase');
        const printable = (text: string) =>
          // biome-ignore lint/suspicious/noControlCharactersInRegex: what XML cannot hold is compared without.
          text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFD-\uFFFF]|[\uD800-\uDFFF]/g, '');
        expect(parsed.map((c) => printable(c.attrs.name ?? ''))).toEqual(
          generated.map((c) => printable(c.name)),
        );
        expect(parsed.map((c) => printable(findAll(c, 'system-out')[0]?.text ?? ''))).toEqual(
          generated.map((c) => printable(c.stdout)),
        );
      }),
      { numRuns: 8 },
    );
  });
});

describe('casesOfFailedRun', () => {
  const skippedTest = (name: string): JunitCase => ({
    name,
    classname: 'ami-0123456789abcdef0 (us-east-1)',
    durationMs: 0,
    outcome: 'skipped',
    message: 'not run: the validation failed at windows-ready',
  });
  const failure = {
    name: 'windows-ready',
    classname: 'ami-0123456789abcdef0 (us-east-1)',
    message: 'Windows never said it was ready',
  };

  it('adds the failure as an error when a validation stopped before its tests (only skipped cases)', () => {
    const cases = casesOfFailedRun([skippedTest('smoke.ps1'), skippedTest('iis.ps1')], failure);
    const xml = junitXml([{ name: 'win2022', cases }]);
    expect(xml).toContain('<testsuite name="win2022" tests="3" failures="0" errors="1" skipped="2"');
    expect(xml).toContain('<error message="Windows never said it was ready" type="error">');
  });

  it('adds the failure when there were no cases at all, and leaves cases that failed alone', () => {
    expect(casesOfFailedRun([], failure).map((c) => [c.name, c.outcome])).toEqual([
      ['windows-ready', 'error'],
    ]);
    const failed: JunitCase = { ...skippedTest('smoke.ps1'), outcome: 'failed' };
    expect(casesOfFailedRun([failed, skippedTest('iis.ps1')], failure)).toEqual([
      failed,
      skippedTest('iis.ps1'),
    ]);
  });
});
