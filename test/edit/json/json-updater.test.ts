import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonUpdater } from '../../../src/edit/formats/json.js';
import { editError, editWith } from '../updater-harness.js';
import { changedOnlyWithin, changedRegion } from '../yaml/changed-region.js';

const edit = editWith(jsonUpdater);

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/json/${name}`, import.meta.url), 'utf8');
const template = fixture('windows-2022.json');
const crlfTemplate = fixture('windows-2019-crlf.json');
const tabbed = fixture('tabs-no-final-newline.json');

describe('jsonUpdater on a Packer template', () => {
  it('replaces only the old string literal', async () => {
    const after = edit(template, '/variables/source_ami', 'ami-0fedcba9876543210');
    expect(changedOnlyWithin(template, after, '"ami-0a1b2c3d4e5f67890"')).toBe(true);
    await expect(after).toMatchFileSnapshot('__snapshots__/windows-2022.source-ami.json');
  });

  it('indexes arrays, here a region inside the first builder', () => {
    const after = edit(template, '/builders/0/ami_regions/1', 'eu-central-1');
    expect(after).toContain('"ami_regions": ["us-west-2", "eu-central-1", "ap-southeast-2"],');
    expect(changedOnlyWithin(template, after, '"eu-west-1"')).toBe(true);
  });

  it('escapes the value as a JSON string', () => {
    const after = edit(template, '/builders/0/user_data_file', 'C:\\images\\win "2022"\n\u0001');
    expect(after).toContain('"user_data_file": "C:\\\\images\\\\win \\"2022\\"\\n\\u0001",');
  });

  it('writes a string in place of a number, boolean or null', () => {
    const after = edit(template, '/builders/0/launch_block_device_mappings/0/volume_size', '120');
    expect(after).toContain('"volume_size": "120",');
  });

  it('follows RFC 6901 escapes in keys', () => {
    expect(edit('{"a/b": {"~c": "1"}}', '/a~1b/~0c', '2')).toBe('{"a/b": {"~c": "2"}}');
  });

  it('adds a missing key after the last sibling, formatted like the file, only with create', async () => {
    const after = edit(template, '/variables/iam_instance_profile', 'packer-builder', true);
    expect(changedRegion(template, after).inserted).toBe(',\n    "iam_instance_profile": "packer-builder"');
    await expect(after).toMatchFileSnapshot('__snapshots__/windows-2022.create-variable.json');
    const error = editError(() =>
      jsonUpdater.updateContent(template, '/variables/iam_instance_profile', 'x'),
    );
    expect([error.kind, error.message, error.location]).toEqual([
      'path-not-found',
      'no key "iam_instance_profile" in the object at /variables',
      { line: 2, column: 16 },
    ]);
  });

  it('adds to a one-line object inline, as the neighbours are written', () => {
    expect(
      edit(template, '/builders/0/launch_block_device_mappings/0/kms_key_id', 'alias/ebs', true),
    ).toContain('"delete_on_termination": true,\n          "kms_key_id": "alias/ebs"\n        }');
    expect(edit('{"tags": {"a": "1", "b": "2"}}', '/tags/c', '3', true)).toBe(
      '{"tags": {"a": "1", "b": "2", "c": "3"}}',
    );
    expect(edit('{"tags":{"a":"1"}}', '/tags/c', '3', true)).toBe('{"tags":{"a":"1", "c":"3"}}');
    expect(edit('{"tags": {}}', '/tags/c', '3', true)).toBe('{"tags": {"c": "3"}}');
  });
});

describe('jsonUpdater keeps the file as it is around the edit', () => {
  it('keeps a byte order mark, CRLF and four-space indentation', () => {
    const after = edit(crlfTemplate, '/variables/source_ami', 'ami-0aaaaaaaaaaaaaaaa');
    expect(after).toBe(crlfTemplate.replace('ami-0123456789abcdef0', 'ami-0aaaaaaaaaaaaaaaa'));
    const created = edit(crlfTemplate, '/variables/vpc_id', 'vpc-1', true);
    expect(created.startsWith('\uFEFF{\r\n')).toBe(true);
    expect(changedRegion(crlfTemplate, created).inserted).toBe(',\r\n        "vpc_id": "vpc-1"');
    expect(edit(crlfTemplate, '/builders/0/tags/Owner', 'images', true)).toContain(
      '"tags": {"Name": "windows-2019", "Team": "platform", "Owner": "images"}\r\n',
    );
  });

  it('keeps tabs and the missing final newline', () => {
    const created = edit(tabbed, '/variables/winrm_password', 'secret', true);
    expect(changedRegion(tabbed, created).inserted).toBe(',\n\t\t"winrm_password": "secret"');
    expect(created.endsWith('"sensitive-variables": []\n}')).toBe(true);
    expect(jsonUpdater.readString(tabbed, '/variables/source_ami')).toBe('ami-0fedcba9876543210');
  });
});

describe('jsonUpdater rejects bad input', () => {
  it.each([
    ['{\n  "a": "1",\n}\n', 3, 1, 'property name expected'],
    ['{\n  // why\n  "a": "1"\n}\n', 2, 3, 'invalid comment token'],
    ['{\n  "a": "1"\n  "b": "2"\n}\n', 3, 3, 'comma expected'],
    ['{"a": [1, 2,]}', 1, 13, 'value expected'],
    ['', 1, 1, 'value expected'],
    ['{"a": "1"} {}', 1, 12, 'end of file expected'],
    ['{\n  "a": "1",\n  "b": {"c": 1, "c": 2}\n}', 3, 17, 'duplicate key "c"'],
  ])('reports %j as a syntax error with line and column', (text, line, column, message) => {
    for (const action of [
      () => jsonUpdater.updateContent(text, '/a', 'v'),
      () => jsonUpdater.readString(text, '/a'),
      () => jsonUpdater.verifyEdit(text, text, '/a', 'v'),
    ]) {
      const error = editError(action);
      expect([error.kind, error.location]).toEqual(['syntax', { line, column }]);
      expect(error.message).toContain(message);
    }
  });

  it('reports paths through values, missing items and containers as targets', () => {
    const through = editError(() => jsonUpdater.updateContent(template, '/variables/aws_region/0', 'v'));
    expect([through.kind, through.location]).toEqual(['not-a-container', { line: 3, column: 19 }]);
    const index = editError(() => jsonUpdater.updateContent(template, '/builders/1/name', 'v'));
    expect([index.kind, index.message]).toEqual([
      'path-not-found',
      '/builders is an array and there is no item 1 (it has 1)',
    ]);
    expect(editError(() => jsonUpdater.updateContent(template, '/builders/-', 'v')).kind).toBe(
      'path-not-found',
    );
    expect(editError(() => jsonUpdater.updateContent(template, '/builders/01', 'v')).kind).toBe(
      'path-not-found',
    );
    expect(editError(() => jsonUpdater.updateContent(template, '/variables', 'v')).kind).toBe('not-a-string');
    expect(editError(() => jsonUpdater.updateContent(template, '/nope/x', 'v', { create: true })).kind).toBe(
      'path-not-found',
    );
    expect(editError(() => jsonUpdater.readString(template, '/builders/0/winrm_use_ssl')).kind).toBe(
      'not-a-string',
    );
    expect(editError(() => jsonUpdater.updateContent(template, 'variables', 'v')).kind).toBe('invalid-path');
  });
});

describe('jsonUpdater.verifyEdit', () => {
  const before = '{"a": "1", "b": [1, 2], "c": {"d": null}}';

  it('accepts the edit with any change of layout', () => {
    expect(() =>
      jsonUpdater.verifyEdit(before, '{\n  "a": "2",\n  "b": [1, 2],\n  "c": {"d": null}\n}', '/a', '2'),
    ).not.toThrow();
  });

  it.each([
    ['another value changed', '{"a": "2", "b": [1, 3], "c": {"d": null}}'],
    ['the value is not the new one', '{"a": 2, "b": [1, 2], "c": {"d": null}}'],
    ['keys moved', '{"b": [1, 2], "a": "2", "c": {"d": null}}'],
    ['a key was added', '{"a": "2", "b": [1, 2], "c": {"d": null, "e": 1}}'],
    ['the result has a duplicate key', '{"a": "2", "b": [1, 2], "c": {"d": null}, "a": "2"}'],
    ['the result does not parse', '{"a": "2", "b": [1, 2], "c": {"d": null}'],
  ])('fails when %s', (_, after) => {
    expect(editError(() => jsonUpdater.verifyEdit(before, after, '/a', '2')).kind).toBe('verification');
  });
});
