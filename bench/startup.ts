/** Start-up: the bundle's `--help`, and `edit` on a small file, against `node -e 0`. */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Figure } from './figures.js';
import { interleaved, median } from './measure.js';

const RUNS = 25;

export function startupFigures(root: string): Figure[] {
  const work = mkdtempSync(path.join(tmpdir(), 'hephestus-startup-'));
  const file = path.join(work, 'config.edn');
  copyFileSync(path.join(root, 'test/fixtures/bench/small-config.edn'), file);
  const bundle = path.join(root, 'dist/hephestus.mjs');
  // --dry-run keeps every run identical: the same file is read, edited in memory and verified, never written.
  const edit = [
    'node',
    bundle,
    'edit',
    file,
    '--path',
    '[:vm-manager :images "aws" "win2022"]',
    '--value',
    'ami-0123456789abcdef0',
    '--dry-run',
  ];
  const [floor = [], help = [], editRun = []] = interleaved(
    [['node', '-e', '0'], ['node', bundle, '--help'], edit],
    { runs: RUNS, warmup: 5 },
  );
  // The median of each iteration's ratio: the three ran back to back, under the same load.
  const ratio = (ours: number[]) => median(ours.map((t, i) => t / (floor[i] as number)));
  const helpRatio = ratio(help);
  const editRatio = ratio(editRun);
  const ms = (times: number[]) => median(times) * 1000;
  return [
    {
      name: 'start-up: --help',
      ours: 'hephestus --help (bundle)',
      baseline: 'node -e 0',
      ratio: helpRatio,
      goal: '<= 1.5x',
      met: helpRatio <= 1.5,
      details: { oursMedianMs: ms(help), baselineMedianMs: ms(floor), runs: RUNS },
    },
    {
      name: 'start-up: edit small file',
      ours: 'hephestus edit config.edn --dry-run (bundle)',
      baseline: 'node -e 0',
      ratio: editRatio,
      goal: '<= 2x',
      met: editRatio <= 2,
      details: { oursMedianMs: ms(editRun), baselineMedianMs: ms(floor), runs: RUNS },
    },
  ];
}
