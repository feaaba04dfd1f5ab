/**
 * Orb step overhead: the orb's `install` command itself (orb/src/scripts/install.sh run by bash with the
 * PARAM_* variables the orb sets, a BASH_ENV file and the test runner's `circleci env subst` shim on PATH; it
 * checks and unpacks the packed tarball into a prefix of its own) plus the first command, against a plain
 * `npm install -g` of the same tarball plus the first command, and against running from source with
 * `npx tsx src/cli.ts --help`. Every run starts from an empty prefix and an empty npm cache.
 *
 * The tarball is this repository's `npm pack`. dist/hephestus.mjs is self-contained, so every package the tarball
 * still declares under `dependencies` is a registry download the install could do without: the details name them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeShim } from '../test/orb/orb-runner.js';
import type { Figure } from './figures.js';
import { hyperfine } from './measure.js';

/** Times the orb's install plus the first command against `npm install -g` and tsx; two figures. */
export async function orbOverheadFigures(root: string, options: { runs?: number } = {}): Promise<Figure[]> {
  const work = mkdtempSync(path.join(tmpdir(), 'hephestus-orb-bench-'));
  try {
    execFileSync('npm', ['pack', '--silent', '--pack-destination', work], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarballName = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarballName) throw new Error('npm pack made no tarball');
    const tarball = path.join(work, tarballName);
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
    ) as { version: string; dependencies?: Record<string, string> };
    const dependencies = Object.keys(manifest.dependencies ?? {});

    const prefix = path.join(work, 'prefix');
    const cache = path.join(work, 'cache');
    const shim = path.join(work, 'shim');
    mkdirSync(shim);
    await writeShim(shim);
    const bashEnv = path.join(work, 'bash-env');
    const script = path.join(root, 'orb', 'src', 'scripts', 'install.sh');
    const utils = path.join(root, 'orb', 'src', 'scripts', 'utils.sh');
    const fresh = `rm -rf '${prefix}' '${cache}'`;
    const first = `'${prefix}/bin/hephestus' --help > /dev/null`;
    // As a CircleCI step: the parameters as PARAM_* variables, the shared helpers in SCRIPT_UTILS, BASH_ENV a
    // file of its own, `circleci` on PATH.
    const stepEnv = `PATH='${shim}':"$PATH" BASH_ENV='${bashEnv}' SCRIPT_UTILS="$(cat '${utils}')" PARAM_CLI_SOURCE=tarball PARAM_VERSION='${manifest.version}' PARAM_TARBALL='${tarball}' PARAM_PREFIX='${prefix}'`;
    const orbInstall = `${fresh} && : > '${bashEnv}' && ${stepEnv} bash -eo pipefail '${script}' > /dev/null && ${first}`;
    const plainInstall = `${fresh} && npm install -g --prefix '${prefix}' --cache '${cache}' '${tarball}' > /dev/null 2>&1 && ${first}`;
    const fromSource = `npx --no-install tsx src/cli.ts --help > /dev/null`;
    const [ours, plain, source] = hyperfine([orbInstall, plainInstall, fromSource], {
      runs: options.runs ?? 4,
      warmup: 1,
      cwd: root,
    });
    if (!ours || !plain || !source) throw new Error('hyperfine returned fewer results than commands');
    const details = {
      oursMedianS: round(ours.median),
      npmInstallGMedianS: round(plain.median),
      tsxMedianS: round(source.median),
      tarballKiB: Math.round(statSync(tarball).size / 1024),
      runtimeDependencies: dependencies.length === 0 ? 'none' : dependencies.join(' '),
    };
    return [
      {
        name: 'orb install + first command vs npm install -g',
        ours: 'orb install (tarball, cold cache) + --help',
        baseline: 'npm install -g tarball + --help',
        ratio: ours.median / plain.median,
        goal: '< 1x (beats it)',
        met: ours.median < plain.median,
        details,
      },
      {
        name: 'orb install + first command vs tsx',
        ours: 'orb install (tarball, cold cache) + --help',
        baseline: 'npx tsx src/cli.ts --help',
        ratio: ours.median / source.median,
        goal: '< 1x (beats it)',
        met: ours.median < source.median,
        details,
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
