/**
 * Prints the suite's figures at the end of the run (faults survived, hostile inputs, canary hits) and writes
 * them to `reliability-figures.json` in the OS temporary directory. Every figure is counted from the tests'
 * results and metadata: a failed case lowers its figure, a canary found anywhere raises the hits.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import './canary.js';

export interface Figures {
  faults: { survived: number; total: number };
  hostileInputs: { handled: number; total: number };
  canary: { hits: number; outputsChecked: number };
}

export const FIGURES_FILE = path.join(tmpdir(), 'reliability-figures.json');

/** Sums the figures over every test of the run. */
export function countFigures(modules: ReadonlyArray<TestModule>): Figures {
  const figures: Figures = {
    faults: { survived: 0, total: 0 },
    hostileInputs: { handled: 0, total: 0 },
    canary: { hits: 0, outputsChecked: 0 },
  };
  for (const module of modules) {
    for (const test of module.children.allTests()) {
      const meta = test.meta();
      const passed = test.result().state === 'passed';
      if (meta.figure === 'fault') {
        figures.faults.total++;
        if (passed) figures.faults.survived++;
      } else if (meta.figure === 'hostile') {
        figures.hostileInputs.total++;
        if (passed) figures.hostileInputs.handled++;
      }
      figures.canary.hits += meta.canaryHits ?? 0;
      figures.canary.outputsChecked += meta.canaryChecked ?? 0;
    }
  }
  return figures;
}

/** The three lines the README quotes. */
export function formatFigures(figures: Figures): string {
  return [
    `faults survived ${figures.faults.survived}/${figures.faults.total}`,
    `hostile inputs ${figures.hostileInputs.handled}/${figures.hostileInputs.total}`,
    `canary hits ${figures.canary.hits} (in ${figures.canary.outputsChecked} outputs checked)`,
  ].join('\n');
}

export default class FiguresReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const figures = countFigures(modules);
    writeFileSync(FIGURES_FILE, `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(`\nReliability figures (${FIGURES_FILE}):\n${formatFigures(figures)}\n`);
  }
}
