import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EditError } from '../../../src/edit/format.js';
import { arrayIndex, formatJsonPointer, parseJsonPointer } from '../../../src/edit/formats/json-pointer.js';

describe('parseJsonPointer', () => {
  it.each([
    ['', []],
    ['/', ['']],
    ['/variables/source_ami', ['variables', 'source_ami']],
    ['/builders/0/ami_regions/1', ['builders', '0', 'ami_regions', '1']],
    ['/a~1b/m~0n', ['a/b', 'm~n']],
    ['/~01', ['~1']],
    ['/ /c%d/e^f', [' ', 'c%d', 'e^f']],
  ])('reads %j as RFC 6901 does', (pointer, tokens) => {
    expect(parseJsonPointer(pointer)).toEqual(tokens);
  });

  it.each(['variables', '/a~2', '/a~', '#/a'])('rejects %j as an invalid path', (pointer) => {
    expect(() => parseJsonPointer(pointer)).toThrow(EditError);
    try {
      parseJsonPointer(pointer);
    } catch (error) {
      expect((error as EditError).kind).toBe('invalid-path');
    }
  });

  it('reads back what formatJsonPointer writes', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom(...'a~/01 ') })), (tokens) => {
        expect(parseJsonPointer(formatJsonPointer(tokens))).toEqual(tokens);
      }),
    );
  });
});

describe('arrayIndex', () => {
  it('takes decimal indexes without leading zeros only', () => {
    expect(['0', '7', '42', '01', '-', '-1', '1e2', ' 1', ''].map(arrayIndex)).toEqual([
      0,
      7,
      42,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
