import { describe, expect, it } from 'vitest';
import { parseMachineReadableLine } from '../../src/packer/machine-readable.js';
import { formatElapsed, progressEventOf, renderProgress } from '../../src/packer/progress-view.js';

const event = (raw: string, elapsedMs = 0) => {
  const line = parseMachineReadableLine(raw);
  if (!line) throw new Error(`not a packer line: ${raw}`);
  return progressEventOf(line, elapsedMs);
};

describe('progressEventOf', () => {
  it('reads the build and step of a say line', () => {
    expect(event('1,,ui,say,==> amazon-ebs.win2022: Waiting for AMI to become ready...', 61_000)).toEqual({
      build: 'amazon-ebs.win2022',
      level: 'step',
      text: 'Waiting for AMI to become ready...',
      elapsedMs: 61_000,
    });
  });

  it('reads provisioner output, post-processors, errors and run-wide lines', () => {
    expect(event('1,,ui,message,    null.bad: a%!(PACKER_COMMA)b')).toMatchObject({
      build: 'null.bad',
      level: 'output',
      text: 'a,b',
    });
    expect(event('1,,ui,say,==> null.x (shell-local): Running local shell script: /tmp/x')).toMatchObject({
      build: 'null.x',
      postProcessor: 'shell-local',
      level: 'step',
    });
    expect(event('1,,ui,error,==> null: to-stderr')).toMatchObject({
      build: 'null',
      level: 'error',
      text: 'to-stderr',
    });
    expect(event("1,,ui,say,Build 'file.good' finished after 14 milliseconds.")).toEqual({
      level: 'step',
      text: "Build 'file.good' finished after 14 milliseconds.",
      elapsedMs: 0,
    });
  });

  it('has no event for other lines or empty text', () => {
    expect(event('1,b,artifact,0,id,x')).toBeUndefined();
    expect(event('1,,ui,message,\\n')).toBeUndefined();
  });
});

describe('renderProgress', () => {
  it('prints elapsed time, build and step, one terminal line per text line', () => {
    const e = event('1,,ui,say,--> amazon-ebs.w: AMIs were created:\\nus-east-1: ami-1\\n', 3_723_000);
    expect(e && renderProgress(e)).toEqual([
      '[1:02:03] > amazon-ebs.w: AMIs were created:',
      '                          us-east-1: ami-1',
    ]);
  });

  it('shows provisioner output only when verbose', () => {
    const e = event('1,,ui,message,    null.x: v=1', 5_000);
    expect(e && renderProgress(e)).toEqual([]);
    expect(e && renderProgress(e, { verbose: true })).toEqual(['[00:05]   null.x: v=1']);
  });

  it('formats elapsed time', () => {
    expect([0, 59_999, 60_000, 3_599_000, 3_600_000].map(formatElapsed)).toEqual([
      '00:00',
      '00:59',
      '01:00',
      '59:59',
      '1:00:00',
    ]);
  });
});
