/**
 * What the bundle loads at start-up: `--help` and a small `edit` are timed against `node -e 0` (bench/startup.ts),
 * and most of their cost is code loaded, not work done. A probe logs every bundle file the run loads (a module
 * hook) and every Node builtin (process.moduleLoadList at exit); each test also shows the probe seeing the thing
 * once a run needs it, so no check here passes only because the probe is blind.
 */
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from './run-cli-async.js';

const fixtures = resolve(import.meta.dirname, '../fixtures');

/** Strings that survive minification, one per format's parser (library or our own updater). */
const MARKERS = {
  edn: '#inst value must be a string', // edn-data
  yaml: 'yaml.alias', // yaml
  json: 'invalid JSON: the file is empty', // src/edit/formats/json.ts
  hcl: 'expected a heredoc marker after <<', // src/edit/formats/hcl-tokenizer.ts
};

interface Loaded {
  status: number | null;
  stdout: string;
  /** The bundle's files the run loaded, as file URLs. */
  files: string[];
  /** Their texts, joined. */
  code: string;
  /** The Node builtins the run loaded (`process.moduleLoadList`, e.g. `NativeModule crypto`). */
  builtins: string[];
}

let probeDir: string;
let register: string;

beforeAll(async () => {
  probeDir = await mkdtemp(join(tmpdir(), 'hephestus-startup-'));
  const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.PROBE_FILES, url + '\\n');
  return next(url, context);
}`;
  register = join(probeDir, 'register.mjs');
  await writeFile(
    register,
    `import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});
process.on('exit', () => writeFileSync(process.env.PROBE_BUILTINS, process.moduleLoadList.join('\\n')));
`,
  );
});

/** Runs the bundle under the probe. */
async function loaded(name: string, args: string[]): Promise<Loaded> {
  const filesLog = join(probeDir, `${name}.files.txt`);
  const builtinsLog = join(probeDir, `${name}.builtins.txt`);
  await writeFile(filesLog, '');
  const run = await runCliAsync(args, {
    cwd: probeDir,
    nodeArgs: ['--import', register],
    env: { PROBE_FILES: filesLog, PROBE_BUILTINS: builtinsLog },
  });
  const files = (await readFile(filesLog, 'utf8')).split('\n').filter((url) => url.includes('/dist/'));
  const texts = await Promise.all(files.map((url) => readFile(new URL(url), 'utf8')));
  const builtins = (await readFile(builtinsLog, 'utf8')).split('\n');
  return { status: run.status, stdout: run.stdout, files, code: texts.join('\n'), builtins };
}

async function copyFixture(relative: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hephestus-startup-edit-'));
  const target = join(dir, relative.split('/').at(-1) ?? relative);
  await copyFile(join(fixtures, relative), target);
  return target;
}

const EDN_EDIT = ['--path', '[:vm-manager :images "aws" "win2022"]', '--value', 'ami-0123456789abcdef0'];

describe('hephestus --help', () => {
  it('loads commander and the command table only: no format parser, no logger, no child_process', async () => {
    const help = await loaded('help', ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    for (const marker of Object.values(MARKERS)) expect(help.code).not.toContain(marker);
    // The redacting logger (and with it node:util) comes with a command, not with the help text.
    expect(help.code).not.toContain('[REDACTED]');
    expect(help.builtins).not.toContain('NativeModule child_process');
    expect(help.builtins).not.toContain('NativeModule crypto');

    const config = await loaded('config-check', ['config', 'check', join(probeDir, 'missing.yml')]);
    expect(config.status).toBe(2);
    expect(config.code).toContain('[REDACTED]');
  });

  it('loads no more bundle files than the entry and its few shared chunks', async () => {
    const help = await loaded('help-files', ['--help']);
    expect(help.files[0]).toMatch(/\/dist\/hephestus\.mjs$/);
    expect(help.files.length).toBeLessThanOrEqual(4);
  });
});

describe('hephestus edit', () => {
  it("loads only EDN's parser for an EDN file, and no node:crypto on --dry-run", async () => {
    const file = await copyFixture('bench/small-config.edn');
    const dryRun = await loaded('edit-edn', ['edit', file, ...EDN_EDIT, '--dry-run']);
    expect(dryRun.status).toBe(0);
    expect(dryRun.stdout).toContain('(dry run, not written)');
    expect(dryRun.code).toContain(MARKERS.edn);
    for (const marker of [MARKERS.yaml, MARKERS.json, MARKERS.hcl]) expect(dryRun.code).not.toContain(marker);
    expect(dryRun.builtins).not.toContain('NativeModule crypto');

    // A real write does need it: the temporary file's random name.
    const write = await loaded('edit-edn-write', ['edit', file, ...EDN_EDIT]);
    expect(write.status).toBe(0);
    expect(await readFile(file, 'utf8')).toContain('"win2022" "ami-0123456789abcdef0"');
    expect(write.builtins).toContain('NativeModule crypto');
  });

  it('loads both formats for a document embedded in another, and only those', async () => {
    const file = await copyFixture('yaml/helm-configmap.yaml');
    const run = await loaded('edit-embedded', [
      'edit',
      file,
      '--path',
      '/data/config.edn',
      '--embedded',
      'edn',
      '--inner-path',
      '[:vm-manager :images "aws" "windows-server-2022"]',
      '--value',
      'ami-0bbbbbbbbbbbbbbbb',
      '--dry-run',
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('"ami-0a1b2c3d4e5f67890" -> "ami-0bbbbbbbbbbbbbbbb"');
    expect(run.code).toContain(MARKERS.yaml);
    expect(run.code).toContain(MARKERS.edn);
    for (const marker of [MARKERS.json, MARKERS.hcl]) expect(run.code).not.toContain(marker);
  });

  it.each([
    ['hcl', 'hcl/windows.auto.pkrvars.hcl', 'source_ami'],
    ['json', 'json/windows-2022.json', '/variables/source_ami'],
  ] as const)('loads the %s parser for a .%s file', async (format, fixture, path) => {
    const file = await copyFixture(fixture);
    const run = await loaded(`edit-${format}`, [
      'edit',
      file,
      '--path',
      path,
      '--value',
      'ami-0123456789abcdef0',
      '--dry-run',
    ]);
    expect(run.status).toBe(0);
    expect(run.code).toContain(MARKERS[format]);
    for (const [other, marker] of Object.entries(MARKERS)) {
      if (other !== format) expect(run.code).not.toContain(marker);
    }
  });
});
