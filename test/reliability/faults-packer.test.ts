/**
 * Faults survived (issue 7), Packer: one of two builds failing, and a log cut in the middle of a line, read
 * through `hephestus packer parse` as the orb reads them. The good build's AMIs are reported, the bad one is
 * named with its error, exit 1; no half-read AMI id is ever reported.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { CANARY_ENV, checkCanary } from './canary.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/packer/${name}`, import.meta.url));

interface ParsedLog {
  builds: Array<{ name: string; artifacts: Array<{ images?: Array<{ region: string; ami: string }> }> }>;
  errors: Array<{ build: string; message: string }>;
}

function parse(log: string) {
  const run = runCli(['packer', 'parse', fixture(log), '--json'], { env: CANARY_ENV });
  return { run, parsed: JSON.parse(run.stdout) as ParsedLog };
}

const amisOf = (parsed: ParsedLog, build: string) =>
  parsed.builds
    .find((b) => b.name === build)
    ?.artifacts.flatMap((a) => a.images ?? [])
    .map((i) => `${i.region}:${i.ami}`);

describe('faults survived: Packer', () => {
  it('one of two builds fails: exit 1, the failed build named, the other build reported whole', ({
    task,
  }) => {
    task.meta.figure = 'fault';
    const { run, parsed } = parse('amazon-ebs-multi-region.log');
    expect(checkCanary(task, run.stdout, run.stderr)).toBe(0);
    expect(run.status).toBe(1);
    expect(parsed.errors).toEqual([
      {
        build: 'amazon-ebs.win2019',
        message: expect.stringMatching(/Script exited with non-zero exit status: 1/),
      },
    ]);
    expect(amisOf(parsed, 'amazon-ebs.win2019')).toEqual([]);
    expect(amisOf(parsed, 'amazon-ebs.win2022')).toEqual([
      'us-east-1:ami-0c1d2e3f4a5b6c7d8',
      'us-west-2:ami-0d2e3f4a5b6c7d8e9',
      'eu-west-1:ami-0e3f4a5b6c7d8e9f0',
    ]);
  });

  it('a log cut mid-line: exit 1, the cut line ignored and said so, no half AMI id', ({ task }) => {
    task.meta.figure = 'fault';
    const { run, parsed } = parse('amazon-ebs-truncated.log');
    expect(checkCanary(task, run.stdout, run.stderr)).toBe(0);
    expect(run.status).toBe(1);
    expect(parsed.errors.map((e) => e.build).sort()).toEqual(['amazon-ebs.win2019', 'amazon-ebs.win2022']);
    expect(parsed.errors.find((e) => e.build === 'amazon-ebs.win2022')?.message).toMatch(
      /the log ends in the middle of a line/,
    );
    expect(amisOf(parsed, 'amazon-ebs.win2022')).toEqual([]);
  });
});
