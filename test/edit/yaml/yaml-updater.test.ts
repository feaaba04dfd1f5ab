import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { yamlUpdater } from '../../../src/edit/formats/yaml.js';
import { editError, editWith } from '../updater-harness.js';
import { changedOnlyWithin, changedRegion } from './changed-region.js';

const edit = editWith(yamlUpdater);

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/yaml/${name}`, import.meta.url), 'utf8');
const packerVariables = fixture('packer-variables.yml');
const configMap = fixture('helm-configmap.yaml');
const compose = fixture('docker-compose.yml');
const deployment = fixture('deployment.yaml');

describe('yamlUpdater on a Packer variables file', () => {
  it('bumps a plain scalar in place, keeping the comment after it', async () => {
    const after = edit(packerVariables, '/source_ami', 'ami-0fedcba9876543210');
    expect(changedOnlyWithin(packerVariables, after, 'ami-0a1b2c3d4e5f67890')).toBe(true);
    expect(after).toContain('source_ami: ami-0fedcba9876543210   # Windows_Server-2022');
    await expect(after).toMatchFileSnapshot('__snapshots__/packer-variables.source-ami.yml');
  });

  it.each([
    ['true', '"true"'],
    ['123', '"123"'],
    ['null', '"null"'],
    ['', '""'],
    [': x', '": x"'],
    ['#', '"#"'],
    ['a: b', '"a: b"'],
    ['- item', '"- item"'],
    ['ami-1 # note', '"ami-1 # note"'],
    [' padded ', '" padded "'],
    ['two\nlines', '"two\\nlines"'],
  ])('writes %j in double quotes where a plain scalar would read differently', (value, written) => {
    const after = edit(packerVariables, '/source_ami', value);
    expect(after).toContain(`source_ami: ${written}   # Windows_Server-2022`);
    expect(parse(after).source_ami).toBe(value);
  });

  it('keeps plain style for values that stay strings: versions, paths, colons without a space', () => {
    for (const value of [
      '1.2.3',
      'C:\\images\\win',
      'ami-0:x',
      'a#b',
      'Windows Server 2022 (x64)',
      'ünïcödé 日本',
    ]) {
      expect(edit(packerVariables, '/source_ami', value)).toContain(`source_ami: ${value}   #`);
    }
  });

  it('keeps single quotes, doubling a quote inside', () => {
    const after = edit(packerVariables, '/instance_type', "m5.xlarge's");
    expect(after).toContain("instance_type: 'm5.xlarge''s'\n");
    expect(changedOnlyWithin(packerVariables, after, "'m5.large'")).toBe(true);
  });

  it('keeps double quotes, escaping backslashes, quotes and control characters', () => {
    const after = edit(packerVariables, '/ami_name_prefix', 'C:\\images\\win "2022"\t\u0007');
    expect(after).toContain('ami_name_prefix: "C:\\\\images\\\\win \\"2022\\"\\t\\a"\n');
  });

  it('edits sequence items by index, keeping each item style and comment', () => {
    const second = edit(packerVariables, '/ami_regions/1', 'eu-central-1');
    expect(second).toContain('  - eu-central-1     # Dublin\n');
    const third = edit(packerVariables, '/ami_regions/2', 'ap-northeast-1');
    expect(third).toContain("  - 'ap-northeast-1'\n");
  });

  it('quotes a value with flow indicators inside a flow mapping only', () => {
    const after = edit(packerVariables, '/tags/Team', 'platform, images');
    expect(after).toContain('tags: {Team: "platform, images", CostCenter: "1234"}');
    expect(edit(packerVariables, '/tags/CostCenter', '42')).toContain('CostCenter: "42"}');
  });

  it('rewrites a folded block scalar as a folded block at the same indentation', async () => {
    const value = 'Windows Server 2022, hardened.\nSecond paragraph with a long line.\n';
    const after = edit(packerVariables, '/description', value);
    expect(parse(after).description).toBe(value);
    await expect(after).toMatchFileSnapshot('__snapshots__/packer-variables.description.yml');
  });

  it('adds a missing key after its last sibling, indented and quoted like the siblings, only with create', async () => {
    const nested = edit(packerVariables, '/winrm/password', 'p@ss: word', true);
    expect(nested).toContain('  use_ssl: true\n  password: "p@ss: word"\n\nuser_data_file:');
    expect(changedRegion(packerVariables, nested).end).toBe(changedRegion(packerVariables, nested).start);
    await expect(nested).toMatchFileSnapshot('__snapshots__/packer-variables.create-winrm-password.yml');

    expect(edit(packerVariables, '/tags/Owner', 'images', true)).toContain(
      'tags: {Team: platform, CostCenter: "1234", Owner: "images"}\n',
    );
    expect(edit(packerVariables, '/ssh~1key', 'none', true)).toMatch(
      /CostCenter: "1234"\}\nssh\/key: none\n$/,
    );

    const error = editError(() => yamlUpdater.updateContent(packerVariables, '/winrm/password', 'x'));
    expect(error.kind).toBe('path-not-found');
    expect(error.message).toContain('"password"');
    expect(error.location).toEqual({ line: 16, column: 3 });
  });
});

describe('yamlUpdater on a Helm ConfigMap holding EDN', () => {
  const innerPath = '/data/config.edn';

  it('reads the embedded document and writes it back as the same literal block', async () => {
    const inner = yamlUpdater.readString(configMap, innerPath);
    expect(inner.startsWith('{:http {:port #long #or [#env PORT 3000]}\n ;; Images')).toBe(true);
    expect(inner.endsWith(':pool-size #profile {:default 2 :prod 10}}}\n')).toBe(true);

    const edited = inner.replace('"ami-0a1b2c3d4e5f67890"', '"ami-0aaaaaaaaaaaaaaaa"');
    const after = edit(configMap, innerPath, edited);
    expect(yamlUpdater.readString(after, innerPath)).toBe(edited);
    expect(after.split('\n').filter((line, i) => line !== configMap.split('\n')[i])).toEqual([
      '     {:images {"aws" {"windows-server-2022" "ami-0aaaaaaaaaaaaaaaa"',
    ]);
    await expect(after).toMatchFileSnapshot('__snapshots__/helm-configmap.config-edn.yaml');
  });

  it('keeps CRLF line endings, inside the rewritten block too', () => {
    const crlf = configMap.replaceAll('\n', '\r\n');
    const inner = yamlUpdater.readString(crlf, innerPath);
    expect(inner).toBe(yamlUpdater.readString(configMap, innerPath));
    const edited = `${inner.trimEnd()}\n;; bumped by the image pipeline\n`;
    expect(edit(crlf, innerPath, edited)).toBe(edit(configMap, innerPath, edited).replaceAll('\n', '\r\n'));
  });

  it('picks the chomping indicator that keeps the trailing newlines', () => {
    const stripped = edit(configMap, innerPath, '{:a 1}');
    expect(stripped).toContain('  config.edn: |-\n    {:a 1}\n  log-level: info\n');
    const kept = edit(configMap, innerPath, '{:a 1}\n\n');
    expect(kept).toContain('  config.edn: |+\n    {:a 1}\n\n  log-level: info\n');
    expect(parse(kept).data['config.edn']).toBe('{:a 1}\n\n');
    const logback = edit(configMap, '/data/logback.xml', '<configuration/>\n');
    expect(logback).toContain('  logback.xml: |\n    <configuration/>\n');
  });

  it('adds an indentation indicator when the first line starts with a space', () => {
    const after = edit(configMap, innerPath, '  {:a 1}\n{:b 2}\n');
    expect(after).toContain('  config.edn: |2\n      {:a 1}\n    {:b 2}\n  log-level');
  });

  it('falls back to double quotes for characters a block scalar cannot hold', () => {
    const after = edit(configMap, innerPath, '{:a "\u0001"}\r\n');
    expect(after).toContain('  config.edn: "{:a \\"\\x01\\"}\\r\\n"\n  log-level: info\n');
  });
});

describe('yamlUpdater with anchors and aliases (docker compose)', () => {
  it('keeps the anchor of an edited scalar, and the aliases keep pointing at it', () => {
    const after = edit(compose, '/x-windows-image', 'ami-0fedcba9876543210');
    expect(after).toContain('x-windows-image: &windows-image "ami-0fedcba9876543210"\n');
    expect(parse(after, { merge: true }).services['vm-manager'].environment.WINDOWS_AMI).toBe(
      'ami-0fedcba9876543210',
    );
  });

  it('replaces an alias at the end of the path with the string, leaving the anchored value alone', () => {
    const after = edit(compose, '/services/vm-manager/environment/WINDOWS_AMI', 'ami-1');
    expect(after).toContain('      WINDOWS_AMI: ami-1\n');
    expect(after).toContain('x-windows-image: &windows-image "ami-0a1b2c3d4e5f67890"\n');
  });

  it('edits inside a flow mapping nested under an anchor', () => {
    const after = edit(compose, '/x-defaults/logging/options/max-size', '20m');
    expect(after).toContain('options: { max-size: "20m", max-file: "3" }');
  });

  it('refuses a path through an alias', () => {
    const error = editError(() =>
      yamlUpdater.updateContent(compose, '/services/registry/logging/driver', 'local'),
    );
    expect(error.kind).toBe('not-a-container');
    expect(error.message).toContain('*logging');
    expect(error.location).toEqual({ line: 22, column: 14 });
  });
});

describe('yamlUpdater on a multi-document file', () => {
  it('addresses the first document and leaves the others alone', async () => {
    const after = edit(
      deployment,
      '/spec/template/spec/containers/0/image',
      'ghcr.io/example/image-builder:2.1.0',
    );
    expect(after).toContain('          image: "ghcr.io/example/image-builder:2.1.0"\n');
    const args = edit(deployment, '/spec/template/spec/containers/0/args/1', 'eu-west-1');
    expect(args).toContain('args: ["--region", eu-west-1]');
    await expect(after).toMatchFileSnapshot('__snapshots__/deployment.image.yaml');
    expect(editError(() => yamlUpdater.updateContent(deployment, '/spec/ports/0/port', '8080')).kind).toBe(
      'path-not-found',
    );
  });
});

describe('yamlUpdater keeps the bytes around the file', () => {
  it('keeps a byte order mark and a missing final newline', () => {
    expect(edit('\uFEFFa: 1\nb: x', '/b', 'y')).toBe('\uFEFFa: 1\nb: y');
    expect(edit('a: |-\n  old', '/a', 'new\nlines')).toBe('a: |-\n  new\n  lines');
    expect(edit('a: 1', '/b', 'v', true)).toBe('a: 1\nb: v');
  });

  it('keeps a block header comment and indentation indicator', () => {
    expect(edit('a: |2- # keep me\n    x\nb: 1\n', '/a', ' y\nz')).toBe(
      'a: |2- # keep me\n   y\n  z\nb: 1\n',
    );
    expect(edit('a: >  # folded\n  x\n', '/a', 'u\nv\n')).toBe('a: >  # folded\n  u\n\n  v\n');
  });

  it('reads YAML 1.1 words as the document says', () => {
    expect(edit('%YAML 1.1\n---\nenabled: plain\n', '/enabled', 'yes')).toBe(
      '%YAML 1.1\n---\nenabled: "yes"\n',
    );
    expect(edit('enabled: plain\n', '/enabled', 'yes')).toBe('enabled: yes\n');
  });

  it('reads a string through an alias at the end of the path', () => {
    expect(yamlUpdater.readString(compose, '/services/vm-manager/environment/WINDOWS_AMI')).toBe(
      'ami-0a1b2c3d4e5f67890',
    );
  });

  it('fills an empty value after its key', () => {
    expect(edit('a:\nb: 1\n', '/a', 'v')).toBe('a: v\nb: 1\n');
  });
});

describe('yamlUpdater rejects bad input', () => {
  it.each([
    ['a: 1\n  b: 2\n', 1, 4],
    ['a: [1, 2\nb: 3\n', 2, 1],
    ['a: 1\nb:\n  c: 2\na: 3\n', 4, 1],
    ['a:\n\t- tab\n', 2, 1],
    ['a: "unterminated\n', 2, 1],
  ])('reports a syntax error in %j with its line and column', (text, line, column) => {
    for (const action of [
      () => yamlUpdater.updateContent(text, '/a', 'v'),
      () => yamlUpdater.readString(text, '/a'),
      () => yamlUpdater.verifyEdit(text, text, '/a', 'v'),
    ]) {
      const error = editError(action);
      expect(error.kind).toBe('syntax');
      expect(error.location).toEqual({ line, column });
    }
  });

  it('names duplicate keys', () => {
    expect(editError(() => yamlUpdater.updateContent('a: 1\na: 2\n', '/a', 'v')).message).toMatch(/unique/);
  });

  it('reports a path through a scalar, an index out of range and a container target', () => {
    const through = editError(() => yamlUpdater.updateContent(packerVariables, '/aws_region/name', 'v'));
    expect([through.kind, through.location]).toEqual(['not-a-container', { line: 4, column: 13 }]);
    const index = editError(() => yamlUpdater.updateContent(packerVariables, '/ami_regions/3', 'v'));
    expect([index.kind, index.message]).toEqual([
      'path-not-found',
      '/ami_regions is a sequence and there is no item 3 (it has 3)',
    ]);
    expect(editError(() => yamlUpdater.updateContent(packerVariables, '/ami_regions/first', 'v')).kind).toBe(
      'path-not-found',
    );
    expect(editError(() => yamlUpdater.updateContent(packerVariables, '/winrm', 'v')).kind).toBe(
      'not-a-string',
    );
    expect(
      editError(() => yamlUpdater.updateContent(packerVariables, '/a/b', 'v', { create: true })).kind,
    ).toBe('path-not-found');
    expect(editError(() => yamlUpdater.readString(packerVariables, '/winrm/use_ssl')).kind).toBe(
      'not-a-string',
    );
  });

  it('rejects paths that are not JSON Pointers', () => {
    expect(editError(() => yamlUpdater.updateContent(packerVariables, 'source_ami', 'v')).kind).toBe(
      'invalid-path',
    );
  });
});

describe('yamlUpdater.verifyEdit', () => {
  const before = 'a: 1 # one\nb: [x, y]\nc: &c z\nd: *c\n';

  it('accepts the edit and changes to comments or layout only', () => {
    expect(() =>
      yamlUpdater.verifyEdit(before, 'a: "2"\nb:\n  - x\n  - y\nc: &c z\nd: *c\n', '/a', '2'),
    ).not.toThrow();
  });

  it.each([
    ['another value changed', 'a: "2"\nb: [x, Y]\nc: &c z\nd: *c\n'],
    ['the value is not the new one', 'a: 2\nb: [x, y]\nc: &c z\nd: *c\n'],
    ['keys moved', 'b: [x, y]\na: "2"\nc: &c z\nd: *c\n'],
    ['a key was added', 'a: "2"\nb: [x, y]\nc: &c z\nd: *c\ne: 1\n'],
    ['an alias became a copy', 'a: "2"\nb: [x, y]\nc: &c z\nd: z\n'],
    ['the result does not parse', 'a: "2\n'],
  ])('fails when %s', (_, after) => {
    expect(editError(() => yamlUpdater.verifyEdit(before, after, '/a', '2')).kind).toBe('verification');
  });
});
