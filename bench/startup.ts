/** Start-up: the bundle's `--help`, and `edit` on a small file, against `node -e 0`. */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Figure } from './figures.js';
import { hyperfine } from './measure.js';

export function startupFigures(root: string): Figure[] {
  const work = mkdtempSync(path.join(tmpdir(), 'hephestus-startup-'));
  const file = path.join(work, 'config.edn');
  copyFileSync(path.join(root, 'test/fixtures/bench/small-config.edn'), file);
  const bundle = path.join(root, 'dist/hephestus.mjs');
  // --dry-run keeps every run identical: the same file is read, edited in memory and verified, never written.
  const edit = `node ${bundle} edit ${file} --path '[:vm-manager :images "aws" "win2022"]' --value ami-0123456789abcdef0 --dry-run`;
  const [floor, help, editRun] = hyperfine(['node -e 0', `node ${bundle} --help`, edit], {
    runs: 30,
    warmup: 5,
  });
  if (!floor || !help || !editRun) throw new Error('hyperfine returned fewer results than commands');
  return [
    {
      name: 'start-up: --help',
      ours: 'hephestus --help (bundle)',
      baseline: 'node -e 0',
      ratio: help.median / floor.median,
      goal: '<= 1.5x',
      met: help.median / floor.median <= 1.5,
      details: { oursMedianMs: help.median * 1000, baselineMedianMs: floor.median * 1000 },
    },
    {
      name: 'start-up: edit small file',
      ours: 'hephestus edit config.edn --dry-run (bundle)',
      baseline: 'node -e 0',
      ratio: editRun.median / floor.median,
      goal: '<= 2x',
      met: editRun.median / floor.median <= 2,
      details: { oursMedianMs: editRun.median * 1000, baselineMedianMs: floor.median * 1000 },
    },
  ];
}
