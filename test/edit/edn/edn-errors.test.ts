import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EditError } from '../../../src/edit/format.js';
import { ednUpdater } from '../../../src/edit/formats/edn.js';
import { editError } from '../updater-harness.js';

const fixture = readFileSync(new URL('../../fixtures/edn/vm-manager-config.edn', import.meta.url), 'utf8');

function updateError(text: string, path: string, create = false): EditError {
  return editError(() => ednUpdater.updateContent(text, path, 'new', { create }));
}

describe('ednUpdater syntax errors', () => {
  const cases: Array<[name: string, text: string, line: number, column: number, message: RegExp]> = [
    ['an unterminated string', '{:a "x"\n :b "unterminated\n :c 1}', 2, 5, /string is not terminated/],
    [
      'a vector closed by a brace',
      '{:a [1 2\n     3}',
      2,
      7,
      /`\[` opened at line 1, column 5 must be closed with `\]`/,
    ],
    ['an extra closing brace', '{:a 1}\n}', 2, 1, /unexpected `}` without an opener/],
    [
      'a map never closed',
      ';; config\n{:a {:b 1}\n',
      2,
      1,
      /`\{` opened at line 2, column 1 is never closed/,
    ],
    ['a map with an odd number of forms', '{:a 1\n :b}', 2, 2, /odd number of forms: `:b` has no value/],
    [
      'a duplicate key',
      '{:a 1\n :b {:c 1, :c 2}}',
      2,
      12,
      /duplicate map key :c \(first at line 2, column 6\)/,
    ],
    [
      'a duplicate set member',
      '{:regions #{"us-east-1" "us-east-1"}}',
      1,
      25,
      /duplicate set member "us-east-1"/,
    ],
    ['an unknown string escape', '{:path "C:\\images"}', 1, 11, /unsupported escape `\\i`/],
    ['a tag with no form after it', '{:port #env}', 1, 12, /unexpected `}`/],
  ];

  it.each(cases)('reports %s at its line and column', (_name, text, line, column, message) => {
    const error = updateError(text, '[:a]');
    expect(error.kind).toBe('syntax');
    expect(error.location).toMatchObject({ line, column });
    expect(error.message).toMatch(message);
  });

  it('counts CRLF line breaks once when placing the error', () => {
    const error = updateError('{:a "x"\r\n :b "y"\r\n :a "z"}\r\n', '[:b]');
    expect(error).toMatchObject({ kind: 'syntax', location: { line: 3, column: 2 } });
  });

  it('treats `;` inside a string as text and a key under #_ #_ as absent', () => {
    const text = '{:a "x ; y" #_ #_ :b "old"\n :c "z"}';
    expect(ednUpdater.updateContent(text, '[:a]', 'w')).toBe('{:a "w" #_ #_ :b "old"\n :c "z"}');
    expect(updateError(text, '[:b]')).toMatchObject({
      kind: 'path-not-found',
      location: { line: 1, column: 1 },
    });
  });
});

describe('ednUpdater path errors', () => {
  it('names the first missing key and where its map starts', () => {
    const error = updateError(fixture, '[:vm-manager :images "azure" "windows-server-2019:e2e-test"]');
    expect(error.kind).toBe('path-not-found');
    expect(error.message).toBe('key "azure" is not in this map');
    expect(error.location).toEqual({ line: 14, column: 11, setting: expect.stringContaining('"azure"') });
  });

  it('does not create a key when its parent map is missing too', () => {
    const error = updateError(fixture, '[:vm-manager :images "azure" "windows-server-2019:e2e-test"]', true);
    expect(error).toMatchObject({ kind: 'path-not-found', message: 'key "azure" is not in this map' });
  });

  it('tells keywords and strings apart', () => {
    expect(updateError(fixture, '[:vm-manager :images :gce]').kind).toBe('path-not-found');
    expect(updateError(fixture, '["service" :name]').kind).toBe('path-not-found');
  });

  it('refuses to go into a set', () => {
    const error = updateError(fixture, '[:vm-manager :regions 0]');
    expect(error).toMatchObject({ kind: 'not-a-container', location: { line: 20, column: 16 } });
  });

  it('refuses to go into a string or number', () => {
    expect(updateError(fixture, '[:service :name :first]')).toMatchObject({
      kind: 'not-a-container',
      location: { line: 3, column: 21 },
    });
    expect(updateError(fixture, '[:vm-manager :pools 0 :size 0]').kind).toBe('not-a-container');
  });

  it('reports an index past the end of a vector or a keyword used on a vector', () => {
    expect(updateError(fixture, '[:vm-manager :pools 2 :size]')).toMatchObject({
      kind: 'path-not-found',
      message: '2 is not in this vector: it has 2 elements',
    });
    expect(updateError(fixture, '[:vm-manager :pools :small]').message).toMatch(/only integers index it/);
  });

  it('refuses to replace a map with a string', () => {
    expect(updateError(fixture, '[:vm-manager :images]')).toMatchObject({
      kind: 'not-a-string',
      location: { line: 14, column: 11 },
    });
  });

  it.each([
    ['not EDN', '[:a "b]'],
    ['not a vector', ':a'],
    ['two forms', '[:a] [:b]'],
    ['empty', '[]'],
    ['a map', '{:a :b}'],
  ])('rejects a path that is %s', (_name, path) => {
    expect(updateError(fixture, path).kind).toBe('invalid-path');
  });
});

describe('ednUpdater.verifyEdit', () => {
  const before = '{:images {"gce" "old" :other "same"} :n 1}';

  it('accepts the edit updateContent made, and a created key', () => {
    expect(() =>
      ednUpdater.verifyEdit(before, '{:images {"gce" "new" :other "same"} :n 1}', '[:images "gce"]', 'new'),
    ).not.toThrow();
    expect(() =>
      ednUpdater.verifyEdit(before, '{:images {"gce" "old" :other "same" :x "y"} :n 1}', '[:images :x]', 'y'),
    ).not.toThrow();
  });

  it.each([
    ['the value was not set', '{:images {"gce" "old" :other "same"} :n 1}', /at \[:images "gce"\]/],
    ['another value changed', '{:images {"gce" "new" :other "changed"} :n 1}', /at \[:images :other\]/],
    [
      'a keyword was written instead of a string',
      '{:images {"gce" :new :other "same"} :n 1}',
      /at \[:images "gce"\]/,
    ],
    ['a key was dropped', '{:images {"gce" "new" :other "same"}}', /differs/],
    ['the result does not parse', '{:images {"gce" "new" :other "same"} :n 1', /does not read back/],
  ])('rejects an edit where %s', (_name, after, message) => {
    const error = editError(() => ednUpdater.verifyEdit(before, after, '[:images "gce"]', 'new'));
    expect(error.kind).toBe('verification');
    expect(error.message).toMatch(message);
  });

  it('sees through #profile, comments and discards on both sides', () => {
    const text = '{:img #profile {:default "a" ; note\n :prod "b"} #_ :gone}';
    const after = ednUpdater.updateContent(text, '[:img :prod]', 'c');
    expect(after).toBe('{:img #profile {:default "a" ; note\n :prod "c"} #_ :gone}');
    expect(() => ednUpdater.verifyEdit(text, after, '[:img :prod]', 'c')).not.toThrow();
    expect(() => ednUpdater.verifyEdit(text, text.replace('"a"', '"x"'), '[:img :prod]', 'b')).toThrow(
      /at \[:img :default\]/,
    );
  });
});
