/**
 * The orb's `install` command (orb/src/scripts/install.sh) run as CircleCI would, against this repository's own
 * `npm pack` tarball and against hand-made tarballs it must refuse.
 */
import { execFile } from 'node:child_process';
import {
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cliBundle,
  exists,
  fakePackage,
  loadOrb,
  recordingHephestus,
  repoRoot,
  scratchBases,
} from './orb-fixture.js';
import { type JobResult, runSteps } from './orb-runner.js';
import { integrityOf, type RegistryStandIn, startRegistry } from './registry-stand-in.js';

const run = promisify(execFile);
const { orb } = await loadOrb();
const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const { dir: scratch, freshBase } = await scratchBases('orb-install-');
let counter = 0;

/** The default prefix of the install command under a runner base. */
const prefixOf = (base: string) => join(base, 'home', '.hephestus');

// Packing is slow (a few seconds), so the file packs once; dist/ is the build already there.
let packed: string;
beforeAll(async () => {
  expect(await exists(cliBundle)).toBe(true);
  const packDir = join(scratch, 'pack');
  await mkdir(packDir, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: repoRoot });
  packed = join(packDir, stdout.trim().split('\n').pop() as string);
}, 120_000);

async function install(base: string, tarball: string, then: string): Promise<JobResult> {
  return runSteps(
    orb,
    [{ install: { cli_source: 'tarball', tarball } }, { run: { name: 'then', command: then } }],
    { base },
  );
}

/** The output of the install step, which is the first. */
const installOutput = (result: JobResult) => result.steps[0]?.output ?? '';

describe('install from a tarball', () => {
  it('unpacks the packed tarball into an empty prefix, links its bin and puts it on PATH', async () => {
    const base = await freshBase();
    const prefix = prefixOf(base);
    const result = await install(base, packed, 'hephestus --version && command -v hephestus');
    expect(result.steps.map((step) => [step.name, step.status])).toEqual([
      ['Install the hephestus CLI', 'success'],
      ['then', 'success'],
    ]);
    expect(installOutput(result).trim().endsWith(version)).toBe(true);
    expect(result.steps[1]?.output).toBe(`${version}\n${join(prefix, 'bin', 'hephestus')}\n`);
    // A relative link, as npm makes it, survives the prefix being cached and restored elsewhere.
    expect(await readlink(join(prefix, 'bin', 'hephestus'))).toBe(
      '../lib/node_modules/hephestus/dist/hephestus.mjs',
    );
    const bundle = await lstat(join(prefix, 'lib', 'node_modules', 'hephestus', 'dist', 'hephestus.mjs'));
    expect(bundle.mode & 0o111).toBe(0o111);
    expect(await readdir(join(prefix, 'lib', 'node_modules'))).toEqual(['hephestus']);
  });

  it('runs a command that needs the chunks and seeds the tarball carries', async () => {
    const base = await freshBase();
    const result = await install(base, packed, 'hephestus --help');
    expect(result.status).toBe('success');
    expect(result.steps[1]?.output).toContain('Usage: hephestus');
  });

  it('installs again over an existing install, replacing it whole and leaving no staging, old or new, behind', async () => {
    const base = await freshBase();
    const prefix = prefixOf(base);
    const packageDir = join(prefix, 'lib', 'node_modules', 'hephestus');
    expect((await install(base, packed, 'true')).status).toBe('success');
    await writeFile(join(packageDir, 'left-from-an-older-version.js'), '');
    // What a run killed while unpacking leaves.
    await mkdir(join(prefix, 'lib', 'node_modules', '.hephestus-new-killed', 'dist'), { recursive: true });
    const again = await install(base, packed, 'hephestus --version');
    expect(again.status).toBe('success');
    expect(again.steps[1]?.output).toBe(`${version}\n`);
    expect(await exists(join(packageDir, 'left-from-an-older-version.js'))).toBe(false);
    expect(await readdir(join(prefix, 'lib', 'node_modules'))).toEqual(['hephestus']);
    expect(await readdir(join(prefix, 'bin'))).toEqual(['hephestus']);
  });

  it('accepts a relative path and a tarball name holding a colon, which tar would take for a remote host', async () => {
    const base = await freshBase();
    await mkdir(join(base, 'project'), { recursive: true });
    await copyFile(packed, join(base, 'project', 'odd:name.tgz'));
    const result = await install(base, 'odd:name.tgz', 'hephestus --version');
    expect(result.steps[1]?.output).toBe(`${version}\n`);
  });
});

describe('install refuses a tarball that is not a hephestus package', () => {
  /** Packs a small hephestus-like package, with `extra` renamed to `member` or linked, as the case needs. */
  async function craft(
    name: string,
    options: { member?: string; link?: string; packageName?: string; drop?: string } = {},
  ): Promise<string> {
    const dir = join(scratch, `craft-${++counter}`);
    const tarball = await fakePackage(dir, '/bin/true', options.packageName);
    if (options.member === undefined && options.link === undefined && options.drop === undefined)
      return tarball;
    const args = ['-czf', join(dir, name), '-C', dir];
    if (options.member !== undefined) {
      await writeFile(join(dir, 'package', 'extra'), 'escaped\n');
      // --transform names the member as given; -P keeps a leading slash.
      args.push('-P', `--transform=s,^package/extra$,${options.member},`);
    }
    if (options.link !== undefined) await symlink(options.link, join(dir, 'package', 'dist', 'link'));
    if (options.drop !== undefined) await rm(join(dir, options.drop));
    await run('tar', [...args, 'package']);
    return join(dir, name);
  }

  const cases: Array<[string, () => Promise<string>, string]> = [
    [
      'a member climbing out with ../',
      () => craft('up.tgz', { member: 'package/../../escape' }),
      "climbs out with '..'",
    ],
    ['a member with an absolute path', () => craft('abs.tgz', { member: '/tmp/escape' }), 'absolute path'],
    ['a member outside package/', () => craft('out.tgz', { member: 'other/file' }), 'outside package/'],
    ['a symbolic link', () => craft('link.tgz', { link: '/etc' }), 'not a plain file or directory'],
    ['another package', () => craft('left-pad.tgz', { packageName: 'left-pad' }), 'the package "left-pad"'],
    [
      'no bundle',
      () => craft('empty.tgz', { drop: 'package/dist/hephestus.mjs' }),
      'no package/dist/hephestus.mjs',
    ],
    [
      'not a gzip tar',
      async () => {
        const file = join(scratch, `plain-${++counter}.tgz`);
        await writeFile(file, '{"name":"hephestus"}\n');
        return file;
      },
      'is not a gzip tar archive',
    ],
    ['a missing file', async () => join(scratch, 'nowhere.tgz'), 'no tarball at'],
  ];

  it.each(cases)('%s: exit 2 and nothing installed', async (_, make, message) => {
    const base = await freshBase();
    const result = await install(base, await make(), 'true');
    expect(result.steps.map((step) => step.status)).toEqual(['failed', 'skipped']);
    expect(result.steps[0]?.exitCode).toBe(2);
    expect(installOutput(result)).toContain(message);
    expect(await exists(prefixOf(base))).toBe(false);
    expect(await readdir(base)).not.toContain('escape');
  });

  it('leaves the live install working when a new tarball is refused', async () => {
    const base = await freshBase();
    expect((await install(base, packed, 'true')).status).toBe('success');
    const refused = await install(base, await craft('other.tgz', { packageName: 'other' }), 'true');
    expect(refused.steps[0]?.exitCode).toBe(2);
    const live = await runSteps(
      orb,
      [{ run: { name: 'v', command: `'${prefixOf(base)}/bin/hephestus' --version` } }],
      {
        base,
      },
    );
    expect(live.steps[0]?.output).toBe(`${version}\n`);
  });

  it('refuses every member path with a .. segment, wherever it sits', async () => {
    const segment = fc.stringMatching(/^[a-z0-9_-][a-z0-9._-]{0,7}$/).filter((s) => s !== '.' && s !== '..');
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { maxLength: 3 }),
        fc.array(segment, { maxLength: 3 }),
        async (before, after) => {
          const member = ['package', ...before, '..', ...after].join('/');
          const base = await freshBase();
          const result = await install(base, await craft('prop.tgz', { member }), 'true');
          expect(result.steps[0]?.exitCode).toBe(2);
          expect(await exists(prefixOf(base))).toBe(false);
        },
      ),
      { numRuns: 12 },
    );
  }, 60_000);
});

describe('install from the registry', () => {
  let registry: RegistryStandIn;
  let pinned: string;
  beforeAll(async () => {
    registry = await startRegistry('hephestus', { [version]: packed });
    pinned = integrityOf(await readFile(packed));
  });
  afterAll(() => registry.close());

  const fromRegistry = (extra: Record<string, unknown> = {}) => [
    { install: { version, integrity: pinned, registry: registry.url, ...extra } },
    { run: { name: 'then', command: 'hephestus --version' } },
  ];

  it('fetches the pinned version with npm, checks its integrity, and on the next job checks the cached tarball instead of fetching', async () => {
    const cacheDir = join(scratch, 'registry-cache');
    const first = await runSteps(orb, fromRegistry(), { base: await freshBase(), cacheDir });
    expect(first.steps.map((step) => [step.name, step.status])).toEqual([
      ['Restore the hephestus CLI tarball from the cache', 'success'],
      ['Install the hephestus CLI', 'success'],
      ['Save the hephestus CLI tarball to the cache', 'success'],
      ['then', 'success'],
    ]);
    expect(first.steps[3]?.output).toBe(`${version}\n`);
    expect(registry.requests.filter((path) => path.endsWith('.tgz'))).toHaveLength(1);
    const second = await runSteps(orb, fromRegistry(), { base: await freshBase(), cacheDir });
    expect(second.steps[1]?.output).toContain(
      `hephestus ${version} restored from the cache, integrity verified`,
    );
    expect(second.steps[3]?.output).toBe(`${version}\n`);
    expect(registry.requests.filter((path) => path.endsWith('.tgz'))).toHaveLength(1);
  });

  it('refuses a tarball whose bytes are not the pinned ones, with exit 1 and nothing installed', async () => {
    const base = await freshBase();
    const other = integrityOf(Buffer.from('another tarball'));
    const result = await runSteps(orb, fromRegistry({ integrity: other, cache: false }), { base });
    expect(result.steps[0]?.exitCode).toBe(1);
    expect(installOutput(result)).toContain(`not the pinned ${other}; nothing installed`);
    expect(await exists(prefixOf(base))).toBe(false);
  });

  it.each([
    ['no integrity', { integrity: '' }, 'integrity must be the sha512'],
    ['a sha1 integrity', { integrity: 'sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=' }, 'integrity must be the sha512'],
    ['a range', { version: '^0.1.0' }, 'version must be'],
    ['a dist-tag', { version: 'latest' }, 'must be an exact version'],
    ['a registry that is not a URL', { registry: 'file:/etc' }, 'registry must be an http(s) URL'],
    ['a registry from the environment', { registry: '$EVIL_REGISTRY' }, 'registry takes no environment'],
    ['a tarball without cli_source tarball', { tarball: '/tmp/x.tgz' }, 'set cli_source: tarball'],
  ])('refuses %s with exit 2 before fetching anything', async (_, extra, message) => {
    const base = await freshBase();
    const before = registry.requests.length;
    const result = await runSteps(orb, fromRegistry({ ...extra, cache: false }), { base });
    expect(result.steps[0]?.exitCode).toBe(2);
    expect(installOutput(result)).toContain(message);
    expect(registry.requests.length).toBe(before);
    expect(await exists(prefixOf(base))).toBe(false);
  });

  it('fails with npm when the registry does not have the version, installing nothing', async () => {
    const base = await freshBase();
    const result = await runSteps(orb, fromRegistry({ version: '9.9.9', cache: false }), { base });
    expect(result.steps[0]?.exitCode).toBe(1);
    expect(await exists(prefixOf(base))).toBe(false);
  });
});

describe('install with cli_source installed', () => {
  it('uses the hephestus on PATH and installs nothing', async () => {
    const base = await freshBase();
    const bin = await recordingHephestus(join(base, 'fake'), join(base, 'calls.jsonl'));
    const result = await runSteps(
      orb,
      [{ install: { cli_source: 'installed' } }, { run: { name: 'then', command: 'command -v hephestus' } }],
      { base, path: [bin] },
    );
    expect(result.status).toBe('success');
    expect(installOutput(result)).toContain(
      `Using the hephestus on PATH: ${join(bin, 'hephestus')}, version 0.1.0`,
    );
    expect(result.steps.map((step) => step.name)).toEqual(['Install the hephestus CLI', 'then']);
    expect(result.steps[1]?.output).toBe(`${join(bin, 'hephestus')}\n`);
    expect(await exists(prefixOf(base))).toBe(false);
  });

  it('fails with exit 2 when there is none', async () => {
    const base = await freshBase();
    const result = await runSteps(orb, [{ install: { cli_source: 'installed' } }], { base });
    expect(result.steps[0]?.exitCode).toBe(2);
    expect(installOutput(result)).toContain('no hephestus is on PATH');
  });
});
