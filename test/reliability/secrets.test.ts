/**
 * Secrets (issue 7): commands whose input carries a canary token, raw, URL-encoded or base64, in places the
 * CLI echoes back (a Packer error, an edit path, a configuration key, a dry-run diff). None may print it; each
 * must print `[REDACTED]` where it was, which proves the output passed where the token was.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/log/redact.js';
import { runCli } from '../cli/run-cli.js';
import { CANARY_ENV, checkCanary } from './canary.js';

const scratch = await mkdtemp(path.join(tmpdir(), 'hephestus-canary-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const token = (name: string) => CANARY_ENV[name] as string;
const base64 = (text: string) => Buffer.from(text).toString('base64');
const SEED = new URL('../../src/sandbox/seeds/', import.meta.url);

interface EchoCase {
  name: string;
  files: Record<string, string>;
  args: string[];
  exitCode: number;
}

const cases: EchoCase[] = [
  {
    name: 'packer parse: a token in a build error and in a say line',
    files: {
      'build.log': [
        `1736150641,,ui,say,==> amazon-ebs.win2022: using token ${token('GITHUB_TOKEN')}`,
        `1736150642,amazon-ebs.win2022,error,Error: push to https://x-access-token:${token('PASSWORD')}@github.com failed`,
        '',
      ].join('\n'),
    },
    args: ['packer', 'parse', 'build.log', '--json'],
    exitCode: 1,
  },
  {
    name: 'packer parse: URL-encoded and base64 (basic auth) forms',
    files: {
      'build.log': [
        `1736150642,amazon-ebs.win2022,error,GET /api?token=${encodeURIComponent(token('CIRCLE_TOKEN'))} returned 401`,
        `1736150643,,ui,error,Authorization: Basic ${base64(`x-access-token:${token('CCI_PASSWORD')}`)}`,
        '',
      ].join('\n'),
    },
    args: ['packer', 'parse', 'build.log'],
    exitCode: 1,
  },
  {
    name: 'edit: a path holding a token is echoed in the error',
    files: { 'config.edn': '{:slack {:token "x"}}\n' },
    args: ['edit', 'config.edn', '--path', `[:slack "${token('SLACK_ACCESS_TOKEN')}"]`, '--value', 'y'],
    exitCode: 2,
  },
  {
    name: 'edit --dry-run: a token as the new value appears in the diff',
    files: { 'config.edn': '{:aws {:secret "old"}}\n' },
    args: [
      'edit',
      'config.edn',
      '--path',
      '[:aws :secret]',
      '--value',
      token('AWS_SECRET_ACCESS_KEY'),
      '--dry-run',
    ],
    exitCode: 0,
  },
  {
    name: 'config check --verbose: a token as an unknown key',
    files: { 'hephestus.yml': `version: 1\n${token('AWS_SESSION_TOKEN')}: true\n` },
    args: ['config', 'check', 'hephestus.yml', '--verbose', '--json'],
    exitCode: 2,
  },
];

describe('secrets: the canary never reaches the output', () => {
  for (const testCase of cases) {
    it(testCase.name, async ({ task }) => {
      const dir = await mkdtemp(path.join(scratch, 'case-'));
      for (const [name, content] of Object.entries(testCase.files))
        await writeFile(path.join(dir, name), content);

      const run = runCli(testCase.args, { cwd: dir, env: CANARY_ENV });

      expect(checkCanary(task, run.stdout, run.stderr)).toBe(0);
      expect(`${run.stdout}${run.stderr}`).toContain(REDACTED);
      expect(run.status).toBe(testCase.exitCode);
    });
  }

  it('the seeds the suite edits hold no canary (the check can only find what the run adds)', async ({
    task,
  }) => {
    const seeds = await Promise.all(
      ['images-repo/hephestus.yml', 'service-repo/resources/config.edn'].map((file) =>
        readFile(new URL(file, SEED), 'utf8'),
      ),
    );
    expect(checkCanary(task, ...seeds)).toBe(0);
    // And the detector does find each canary form when present, so zero hits means no leak, not a blind check.
    const probe = { meta: {} as { canaryChecked?: number; canaryHits?: number } };
    const reversed = (text: string) => [...text].reverse().join('');
    const forms = Object.values(CANARY_ENV).flatMap((value) => [
      `token=${value}`,
      encodeURIComponent(`a b ${value}`),
      base64(`x-access-token:${value}`),
      // What branch code could print to slip past an exact-match redactor.
      `rev=${reversed(value)}`,
      `upper=${value.toUpperCase()}`,
      `dash=${value.replaceAll('_', '-')}`,
      reversed(value.toUpperCase().replaceAll('_', '-')),
    ]);
    expect(checkCanary(probe, ...forms)).toBe(forms.length);
  });
});
