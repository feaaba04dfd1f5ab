/** Start-up: the bundle's `--help`, and `edit` on a small file, against `node -e 0`. */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Figure } from './figures.js';
import { hyperfine, median } from './measure.js';

const ROUNDS = 5;

export function startupFigures(root: string): Figure[] {
  const work = mkdtempSync(path.join(tmpdir(), 'hephestus-startup-'));
  const file = path.join(work, 'config.edn');
  copyFileSync(path.join(root, 'test/fixtures/bench/small-config.edn'), file);
  const bundle = path.join(root, 'dist/hephestus.mjs');
  // --dry-run keeps every run identical: the same file is read, edited in memory and verified, never written.
  const edit = `node ${bundle} edit ${file} --path '[:vm-manager :images "aws" "win2022"]' --value ami-0123456789abcdef0 --dry-run`;
  // Several short rounds, each timing the three commands back to back, and the median of each round's ratio:
  // hyperfine times one command's runs in a block, so a neighbour's burst of work on a shared machine would
  // otherwise fall on one command only (measured: a single block moved these ratios by a third).
  const rounds = Array.from({ length: ROUNDS }, () => {
    const [floor, help, editRun] = hyperfine(['node -e 0', `node ${bundle} --help`, edit], {
      runs: 10,
      warmup: 3,
    });
    if (!floor || !help || !editRun) throw new Error('hyperfine returned fewer results than commands');
    return { floor: floor.median, help: help.median, edit: editRun.median };
  });
  const helpRatio = median(rounds.map((r) => r.help / r.floor));
  const editRatio = median(rounds.map((r) => r.edit / r.floor));
  const ms = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick)) * 1000;
  return [
    {
      name: 'start-up: --help',
      ours: 'hephestus --help (bundle)',
      baseline: 'node -e 0',
      ratio: helpRatio,
      goal: '<= 1.5x',
      met: helpRatio <= 1.5,
      details: { oursMedianMs: ms((r) => r.help), baselineMedianMs: ms((r) => r.floor), rounds: ROUNDS },
    },
    {
      name: 'start-up: edit small file',
      ours: 'hephestus edit config.edn --dry-run (bundle)',
      baseline: 'node -e 0',
      ratio: editRatio,
      goal: '<= 2x',
      met: editRatio <= 2,
      details: { oursMedianMs: ms((r) => r.edit), baselineMedianMs: ms((r) => r.floor), rounds: ROUNDS },
    },
  ];
}
