/**
 * Orb step overhead: what the orb's `install` command does (orb/src/scripts/install.sh: `npm install --global` of
 * the packed tarball into a prefix of its own, with a cold npm cache) plus the first command, against a plain
 * `npm install -g` of the same tarball plus the first command, and against running from source with
 * `npx tsx src/cli.ts --help`. Every run starts from an empty prefix and an empty cache.
 *
 * The tarball is this repository's `npm pack`. dist/hephestus.mjs is self-contained, so every package the tarball
 * still declares under `dependencies` is a registry download the install could do without: the details name them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Figure } from './figures.js';
import { hyperfine } from './measure.js';

export function orbOverheadFigures(root: string, options: { runs?: number } = {}): Figure[] {
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
    ) as { dependencies?: Record<string, string> };
    const dependencies = Object.keys(manifest.dependencies ?? {});

    const prefix = path.join(work, 'prefix');
    const cache = path.join(work, 'cache');
    const fresh = `rm -rf '${prefix}' '${cache}'`;
    const first = `'${prefix}/bin/hephestus' --help > /dev/null`;
    const orbInstall = `${fresh} && npm install --global --prefix '${prefix}' --cache '${cache}' --no-audit --no-fund --ignore-scripts '${tarball}' > /dev/null 2>&1 && ${first}`;
    const plainInstall = `${fresh} && npm install -g --prefix '${prefix}' --cache '${cache}' '${tarball}' > /dev/null 2>&1 && ${first}`;
    const fromSource = `npx --no-install tsx src/cli.ts --help > /dev/null`;
    const [ours, plain, source] = hyperfine([orbInstall, plainInstall, fromSource], {
      runs: options.runs ?? 5,
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
