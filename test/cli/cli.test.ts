import { copyFileSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures');

function copyFixture(relative: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'hephestus-cli-'));
  const target = path.join(dir, path.basename(relative));
  copyFileSync(path.join(fixtures, relative), target);
  return target;
}

describe('hephestus --help', () => {
  it('lists the commands and the exit codes, and exits 0', () => {
    const run = runCli(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('edit');
    expect(run.stdout).toContain('packer');
    expect(run.stdout).toContain('Exit codes: 0 success, 1 a real failure');
  });

  it("teaches each format's path syntax in `edit --help`", () => {
    const run = runCli(['edit', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('JSON Pointer (RFC 6901)');
    expect(run.stdout).toContain('variable.source_ami.default');
  });

  it('exits 2 on an unknown option or command', () => {
    expect(runCli(['--bogus']).status).toBe(2);
    expect(runCli(['frobnicate']).status).toBe(2);
    expect(runCli(['edit', 'x.edn']).status).toBe(2);
  });
});

describe('hephestus edit', () => {
  const ednPath = '[:vm-manager :images "aws" "win2022"]';

  it('edits an EDN file in place and reports JSON', () => {
    const file = copyFixture('bench/small-config.edn');
    const before = readFileSync(file, 'utf8');
    const run = runCli(['edit', file, '--path', ednPath, '--value', 'ami-0123456789abcdef0', '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      ok: true,
      format: 'edn',
      before: 'ami-0a1b2c3d4e5f60718',
      after: 'ami-0123456789abcdef0',
      changed: true,
      written: true,
    });
    expect(readFileSync(file, 'utf8')).toBe(
      before.replace('"ami-0a1b2c3d4e5f60718"', '"ami-0123456789abcdef0"'),
    );
  });

  it('writes nothing on --dry-run and shows the diff', () => {
    const file = copyFixture('bench/small-config.edn');
    const before = readFileSync(file, 'utf8');
    const run = runCli(['edit', file, '--path', ednPath, '--value', 'ami-0123456789abcdef0', '--dry-run']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^\+.*"ami-0123456789abcdef0"/m);
    expect(run.stdout).toMatch(/^-.*"ami-0a1b2c3d4e5f60718"/m);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('exits 2 naming the file and the missing key, and leaves the file byte-identical', () => {
    const file = copyFixture('bench/small-config.edn');
    const before = readFileSync(file);
    const run = runCli([
      'edit',
      file,
      '--path',
      '[:vm-manager :images "aws" "win2025"]',
      '--value',
      'ami-0123456789abcdef0',
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(file);
    expect(run.stderr).toContain('win2025');
    expect(readFileSync(file)).toEqual(before);
  });

  it('exits 2 with line and column for a syntax error', () => {
    const file = copyFixture('bench/small-config.edn');
    const run = runCli(['edit', file, '--path', '/a', '--value', 'x', '--format', 'json', '--json']);
    expect(run.status).toBe(2);
    const report = JSON.parse(run.stdout);
    expect(report.ok).toBe(false);
    expect(report.error).toMatchObject({
      file,
      line: expect.any(Number),
      column: expect.any(Number),
      exitCode: 2,
    });
  });

  it('places an error inside an embedded document under the outer path, not at the outer line', () => {
    const file = copyFixture('yaml/helm-configmap.yaml');
    const before = readFileSync(file);
    const run = runCli([
      'edit',
      file,
      '--path',
      '/data/config.edn',
      '--embedded',
      'edn',
      '--inner-path',
      '[:nope :x]',
      '--value',
      'v',
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      `${file}: --path /data/config.edn: in the embedded edn document line 1, column 1:`,
    );
    expect(run.stderr).toContain(':nope');
    expect(readFileSync(file)).toEqual(before);
  });

  it('refuses, with --root, a link that points out of the repository', () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'hephestus-root-'));
    const outside = copyFixture('bench/small-config.edn');
    const link = path.join(repo, 'config.edn');
    symlinkSync(outside, link);
    const before = readFileSync(outside);
    const run = runCli(['edit', link, '--path', '[:log-level]', '--value', 'debug', '--root', repo]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('resolves outside the repository');
    expect(readFileSync(outside)).toEqual(before);
  });

  it('refuses an unknown extension without --format', () => {
    const run = runCli(['edit', '/etc/hostname', '--path', '/a', '--value', 'x']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--format');
  });
});

describe('hephestus packer parse', () => {
  it('prints the builds as JSON and exits 1 when a build errored', () => {
    const run = runCli([
      'packer',
      'parse',
      path.join(fixtures, 'packer/amazon-ebs-multi-region.log'),
      '--json',
    ]);
    expect(run.status).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.builds.map((b: { name: string }) => b.name)).toEqual([
      'amazon-ebs.win2019',
      'amazon-ebs.win2022',
    ]);
    expect(result.errors).toHaveLength(1);
  });

  it('reads standard input', () => {
    const log = readFileSync(path.join(fixtures, 'packer/amazon-ebs-multi-region.log'), 'utf8');
    const run = runCli(['packer', 'parse', '-', '--json'], { input: log });
    expect(JSON.parse(run.stdout).builds).toHaveLength(2);
  });

  it('exits 2 for a missing log', () => {
    const run = runCli(['packer', 'parse', '/nonexistent/build.log']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('/nonexistent/build.log: log file not found');
  });
});

describe('hephestus config check', () => {
  it('accepts the sandbox seed configuration with its repository', () => {
    const seed = path.join(fixtures, '../../src/sandbox/seeds/images-repo');
    const run = runCli(['config', 'check', path.join(seed, 'hephestus.yml'), '--root', seed]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('secrets', () => {
  it('never prints a secret that reaches an error message', () => {
    const canary = 'ghp_canary_0123456789_abcdefghij';
    const run = runCli(['packer', 'parse', `/nonexistent/${canary}.log`, '--json'], {
      env: { GITHUB_TOKEN: canary },
    });
    expect(run.status).toBe(2);
    expect(run.stdout + run.stderr).not.toContain(canary);
    expect(run.stderr).toContain('[REDACTED]');
  });
});
