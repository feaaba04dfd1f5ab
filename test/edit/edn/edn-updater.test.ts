import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ednUpdater } from '../../../src/edit/formats/edn.js';
import { editWith } from '../updater-harness.js';

const edit = editWith(ednUpdater);

const fixture = readFileSync(new URL('../../fixtures/edn/vm-manager-config.edn', import.meta.url), 'utf8');
const crlf = fixture.replaceAll('\n', '\r\n');

/** Asserts that `after` is `before` with exactly `old` (at its only occurrence) replaced by `replacement`. */
function expectOnlyReplaced(before: string, after: string, old: string, replacement: string): void {
  const at = before.indexOf(old);
  expect(at).toBeGreaterThanOrEqual(0);
  expect(before.indexOf(old, at + 1)).toBe(-1);
  expect(after).toBe(before.slice(0, at) + replacement + before.slice(at + old.length));
}

describe('ednUpdater on an aero config.edn', () => {
  it('replaces an image under a string key holding a colon, keeping the trailing comment', async () => {
    const path = '[:vm-manager :images "gce" "windows-server-2019:e2e-test"]';
    const after = edit(fixture, path, 'windows-server-2019-dc-v20240611');
    expectOnlyReplaced(
      fixture,
      after,
      '"windows-server-2019-dc-v20240109"',
      '"windows-server-2019-dc-v20240611"',
    );
    await expect(after).toMatchFileSnapshot('__snapshots__/gce-2019.edn');
  });

  it('escapes backslashes, quotes and newlines in the new value', () => {
    const after = edit(fixture, '[:vm-manager :base-path]', 'C:\\images\\win "2022"\nnext');
    expectOnlyReplaced(fixture, after, '"C:\\\\images\\\\base"', '"C:\\\\images\\\\win \\"2022\\"\\nnext"');
    expect(ednUpdater.readString(after, '[:vm-manager :base-path]')).toBe('C:\\images\\win "2022"\nnext');
  });

  it('goes through #profile into the profile map', async () => {
    const after = edit(fixture, '[:vm-manager :pools 1 :size :prod]', '16');
    expectOnlyReplaced(fixture, after, ':prod 12}', ':prod "16"}');
    await expect(after).toMatchFileSnapshot('__snapshots__/pool-size-prod.edn');
  });

  it('goes through a tag whose value is a map of maps (#profile on :db)', () => {
    const after = edit(fixture, '[:db :test :jdbc-url]', 'jdbc:postgresql://db:5432/vm;ssl=true');
    expectOnlyReplaced(
      fixture,
      after,
      '"jdbc:postgresql://localhost:5432/vm_manager_test"',
      '"jdbc:postgresql://db:5432/vm;ssl=true"',
    );
  });

  it('replaces a keyword value with a string and indexes a vector inside #ref', () => {
    expectOnlyReplaced(
      fixture,
      edit(fixture, '[:service :log :level :dev]', 'trace'),
      ':dev     :debug',
      ':dev     "trace"',
    );
    expectOnlyReplaced(
      fixture,
      edit(fixture, '[:vm-manager :ssh-user 1]', 'user'),
      '#ref [:service :name]',
      '#ref [:service "user"]',
    );
  });

  it('keeps a value whose neighbours are separated by commas', () => {
    const after = edit(fixture, '[:vm-manager :images "ec2" "windows-server-2019:e2e-test"]', 'ami-1');
    expectOnlyReplaced(fixture, after, '"ami-0b7c1e9e4a3f2d1c0",', '"ami-1",');
  });

  it('edits the CRLF variant byte for byte like the LF one', () => {
    const path = '[:vm-manager :images "gce" "windows-server-2022:e2e-test"]';
    const after = edit(crlf, path, 'windows-server-2022-dc-v20240611');
    expect(after).toBe(edit(fixture, path, 'windows-server-2022-dc-v20240611').replaceAll('\n', '\r\n'));
    expect(after.match(/\r\n/g)?.length).toBe(crlf.match(/\r\n/g)?.length);
  });

  it('tolerates a byte-order mark the caller did not strip', () => {
    const withBom = `\uFEFF${fixture}`;
    const after = edit(withBom, '[:service :name]', 'vm-manager-2');
    expect(after.startsWith('\uFEFF;; vm-manager')).toBe(true);
    expectOnlyReplaced(withBom, after, '"vm-manager"', '"vm-manager-2"');
  });

  it('keeps a file without a trailing newline that way', () => {
    const trimmed = fixture.trimEnd();
    const after = edit(trimmed, '[:vm-manager :images :default-family]', 'windows-server-2025');
    expect(after.endsWith('}}}')).toBe(true);
  });

  it('reads strings, decoding escapes, and refuses non-strings', () => {
    expect(ednUpdater.readString(fixture, '[:service :log :pattern]')).toBe('%d{ISO8601}; %-5p %c - %m%n');
    expect(ednUpdater.readString(fixture, '[:vm-manager :base-path]')).toBe('C:\\images\\base');
    expect(() => ednUpdater.readString(fixture, '[:vm-manager :pools 0 :size]')).toThrow(
      expect.objectContaining({ kind: 'not-a-string', location: expect.objectContaining({ line: 21 }) }),
    );
  });
});

describe('ednUpdater with create', () => {
  it('adds a key after the last entry (before discarded forms), aligned with the keys', async () => {
    const path = '[:vm-manager :images "gce" "windows-server-2025:e2e-test"]';
    const after = edit(fixture, path, 'windows-server-2025-dc-v20240611', true);
    const last = '"windows-server-2022:e2e-test" "windows-server-2022-dc-v20240109"';
    expectOnlyReplaced(
      fixture,
      after,
      last,
      `${last}\n                   "windows-server-2025:e2e-test" "windows-server-2025-dc-v20240611"`,
    );
    await expect(after).toMatchFileSnapshot('__snapshots__/create-gce-2025.edn');
  });

  it('adds a key inline to a single-line map, reusing its comma separator', () => {
    const after = edit(fixture, '[:vm-manager :timeouts :upload]', '900', true);
    expectOnlyReplaced(fixture, after, ':snapshot 1800}', ':snapshot 1800, :upload "900"}');
  });

  it('adds after a trailing comment when the closing brace is on a later line', () => {
    const before = '{:images\n {:a "1" ; first\n  :b "2" ; second\n }}\n';
    expect(edit(before, '[:images :c]', '3', true)).toBe(
      '{:images\n {:a "1" ; first\n  :b "2" ; second\n  :c "3"\n }}\n',
    );
  });

  it('adds with CRLF line breaks in a CRLF file', () => {
    const before = '{:a "1"\r\n :b "2"}\r\n';
    expect(edit(before, '[:c]', '3', true)).toBe('{:a "1"\r\n :b "2"\r\n :c "3"}\r\n');
  });

  it('adds to an empty map and writes string keys quoted', () => {
    expect(edit('{:images {}}', '[:images "gce:2019"]', 'x', true)).toBe('{:images {"gce:2019" "x"}}');
  });

  it('replaces rather than adds when the key exists', () => {
    expect(edit('{:a "1"}', '[:a]', '2', true)).toBe('{:a "2"}');
  });
});

describe('ednUpdater on forms the grammar or edn-data find awkward', () => {
  it('reads a string that ends in an escaped backslash as one string', () => {
    const before = '{:share "C:\\\\images\\\\" :image "old" :drive "\\\\\\\\"}';
    expect(ednUpdater.readString(before, '[:share]')).toBe('C:\\images\\');
    expect(edit(before, '[:image]', 'new')).toBe(
      '{:share "C:\\\\images\\\\" :image "new" :drive "\\\\\\\\"}',
    );
  });

  it('sees through metadata and keeps character literals and comments glued to tokens', () => {
    const before = '{:a ^:private {:b "x"} :c [\\" \\( \\space];note\n :d :kw;note\n}';
    const after = edit(before, '[:a :b]', 'y');
    expect(after).toBe('{:a ^:private {:b "y"} :c [\\" \\( \\space];note\n :d :kw;note\n}');
    expect(edit(before, '[:c 1]', ')')).toBe(
      '{:a ^:private {:b "x"} :c [\\" ")" \\space];note\n :d :kw;note\n}',
    );
  });
});
