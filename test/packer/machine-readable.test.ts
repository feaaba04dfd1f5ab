import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  escapeField,
  formatMachineReadableLine,
  parseMachineReadableLine,
  unescapeField,
} from '../../src/packer/machine-readable.js';

describe('parseMachineReadableLine', () => {
  it('splits timestamp, target, type and unescaped data', () => {
    const line = parseMachineReadableLine(
      '1736153193,amazon-ebs.win2022,artifact,0,id,us-east-1:ami-1%!(PACKER_COMMA)us-west-2:ami-2',
    );
    expect(line).toEqual({
      timestamp: 1736153193,
      target: 'amazon-ebs.win2022',
      type: 'artifact',
      data: ['0', 'id', 'us-east-1:ami-1,us-west-2:ami-2'],
    });
  });

  it('turns the two-character sequences \\n and \\r into line breaks', () => {
    const line = parseMachineReadableLine('1,,ui,say,\\n==> Builds finished.\\r\\n');
    expect(line?.data).toEqual(['say', '\n==> Builds finished.\r\n']);
  });

  it('ignores the carriage return of a CRLF line', () => {
    expect(parseMachineReadableLine('1,b,error,boom\r')?.data).toEqual(['boom']);
  });

  it('keeps an empty target and a line without data', () => {
    expect(parseMachineReadableLine('1795306286,,error-count,1')).toMatchObject({
      target: '',
      type: 'error-count',
      data: ['1'],
    });
    expect(parseMachineReadableLine('1795306286,x,version')).toMatchObject({
      target: 'x',
      type: 'version',
      data: [],
    });
  });

  it.each([
    ['a plugin log line', '2025/01/06 08:04:01 packer-plugin-amazon plugin: artifact,0,id,us-east-1:ami-1'],
    ['a line without a comma after the timestamp', '1736153193 amazon-ebs,artifact,0,id,x'],
    ['a timestamp that is not numeric', '17361531a3,b,artifact,0,id,x'],
    ['an empty line', ''],
    ['a line with no type', '1736153193,b'],
    ['a line with an empty type', '1736153193,b,,x'],
  ])('rejects %s', (_name, text) => {
    expect(parseMachineReadableLine(text)).toBeUndefined();
  });
});

describe('escapeField / unescapeField', () => {
  it('round-trips any text without a backslash', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\\')),
        (text) => {
          expect(unescapeField(escapeField(text))).toBe(text);
        },
      ),
    );
  });

  it('formats a line that parses back to itself', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.stringMatching(/^[a-z0-9.-]*$/),
        fc.stringMatching(/^[a-z-]+$/),
        fc.array(
          fc.string().filter((s) => !s.includes('\\')),
          { minLength: 1 },
        ),
        (timestamp, target, type, data) => {
          const line = { timestamp, target, type, data };
          expect(parseMachineReadableLine(formatMachineReadableLine(line))).toEqual(line);
        },
      ),
    );
  });
});
