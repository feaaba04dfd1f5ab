/**
 * The orb under test, read and packed from orb/src, and the `hephestus` programs the runner puts on PATH: the
 * real bundled CLI, or a recorder that writes each call's argv and secrets as a JSON line.
 */
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';
import { type OrbSource, packOrb, readOrbSource } from '../../scripts/lib/orb/pack-orb.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const orbSourceDir = join(repoRoot, 'orb', 'src');
export const cliBundle = join(repoRoot, 'dist', 'hephestus.mjs');
/** CircleCI's config schema as the project vendors it: the source every test validates against. */
export const configSchemaPath = join(repoRoot, 'vendor', 'circleci-config.schema.json');
/** The workplace's copy beside the checkout; a plain clone has none, and only the vendoring check reads it. */
export const sharedConfigSchemaPath = join(
  repoRoot,
  '..',
  'shared',
  'schemas',
  'circleci-config.schema.json',
);

/** Every file under `dir` by `/`-separated relative path. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path).split(sep).join('/'), await readFile(path, 'utf8'));
  }
  return files;
}

/** The orb's source and its packed form. */
export async function loadOrb(): Promise<{ source: OrbSource; orb: Record<string, unknown>; text: string }> {
  const source = readOrbSource(await readTree(orbSourceDir));
  return { source, ...packOrb(source) };
}

/** A directory holding `hephestus`, running the bundled CLI. */
export async function realHephestus(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'hephestus'), `#!/bin/sh\nexec node '${cliBundle}' "$@"\n`, { mode: 0o755 });
  return dir;
}

export interface RecordedCall {
  argv: string[];
  cwd: string;
  /** The standard token variables and the HEPHESTUS_*_TOKEN_VAR settings naming where the tokens are. */
  secrets: Record<string, string | undefined>;
}

/** What the recorder notes of its environment: where hephestus would read each token from. */
export const RECORDED_SECRET_VARIABLES = [
  'GITHUB_TOKEN',
  'SLACK_ACCESS_TOKEN',
  'CIRCLE_TOKEN',
  'HEPHESTUS_GITHUB_TOKEN_VAR',
  'HEPHESTUS_SLACK_TOKEN_VAR',
  'HEPHESTUS_CIRCLE_TOKEN_VAR',
];

/** A directory holding a `hephestus` that records its calls to `log` and succeeds. */
export async function recordingHephestus(dir: string, log: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), '{"type":"commonjs"}\n');
  await writeFile(
    join(dir, 'hephestus'),
    `#!/usr/bin/env node
const secrets = {};
for (const name of ${JSON.stringify(RECORDED_SECRET_VARIABLES)}) secrets[name] = process.env[name];
require('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), secrets }) + '\\n');
if (process.argv[2] === '--version') process.stdout.write('0.1.0\\n');
if (process.argv[2] === 'event') process.stdout.write('{"kind":"scheduled"}\\n');
`,
    { mode: 0o755 },
  );
  return dir;
}

/** The calls a recorder has seen. */
export async function recordedCalls(log: string): Promise<RecordedCall[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RecordedCall);
}

/**
 * A directory holding an `npm` whose `npm pack hephestus@<version> --pack-destination <dir>` puts a hephestus
 * package tarball in `<dir>`, its bin running the `hephestus` of `hephestusDir`, and records its own calls in
 * `log`: the install command runs without the registry.
 */
export async function fakeNpm(dir: string, hephestusDir: string, log: string): Promise<string> {
  return packingNpm(
    dir,
    await fakePackage(join(dir, 'package-source'), join(hephestusDir, 'hephestus')),
    log,
  );
}

/** A directory holding an `npm` whose `npm pack <spec> --pack-destination <dir>` copies `tarball` there. */
export async function packingNpm(dir: string, tarball: string, log: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'npm'),
    `#!/bin/bash
set -euo pipefail
printf '%s\\n' "$*" >>'${log}'
[[ "$1" == pack ]] || { echo "npm (test fake): only pack is available here" >&2; exit 1; }
destination="."
while [[ $# -gt 0 ]]; do
  if [[ "$1" == "--pack-destination" ]]; then destination="$2"; shift; fi
  shift
done
cp '${tarball}' "$destination/"
basename '${tarball}'
`,
    { mode: 0o755 },
  );
  return dir;
}

/** Packs, as `npm pack` lays it out, a package named `name` whose bin execs `program`; returns the tarball. */
export async function fakePackage(dir: string, program: string, name = 'hephestus'): Promise<string> {
  await mkdir(join(dir, 'package', 'dist'), { recursive: true });
  await writeFile(join(dir, 'package', 'package.json'), `${JSON.stringify({ name, version: '0.1.0' })}\n`);
  await writeFile(join(dir, 'package', 'dist', 'hephestus.mjs'), `#!/bin/sh\nexec '${program}' "$@"\n`);
  const tarball = join(dir, `${name}-0.1.0.tgz`);
  await promisify(execFile)('tar', ['-czf', tarball, '-C', dir, 'package']);
  return tarball;
}

/**
 * A scratch folder for one test file, removed after it, and fresh run bases inside it (`run-1`, `run-2`, ...):
 * each test runs the orb's steps under a base of its own.
 */
export async function scratchBases(prefix: string): Promise<{ dir: string; freshBase(): Promise<string> }> {
  const scratch = await mkdtemp(join(tmpdir(), prefix));
  afterAll(() => rm(scratch, { recursive: true, force: true }));
  let counter = 0;
  return {
    dir: scratch,
    async freshBase() {
      const base = join(scratch, `run-${++counter}`);
      await mkdir(base, { recursive: true });
      return base;
    },
  };
}

/** True when something (a file, a folder or a link, even a dangling one) is at `path`. */
export const exists = (path: string): Promise<boolean> =>
  lstat(path).then(
    () => true,
    () => false,
  );
