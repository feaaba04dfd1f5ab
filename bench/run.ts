/**
 * `npm run bench`: every figure measured side by side in one run, printed as a table of ratios against their
 * baselines and goals, and written to bench/results.json. Nothing here asserts: the goals are reported.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Figure } from './figures.js';
import { packerParseFigures } from './packer-parse.js';
import { startupFigures } from './startup.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);

const suites: Array<[string, () => Figure[] | Promise<Figure[]>]> = [
  ['startup', () => startupFigures(root)],
  ['packer-parse', () => packerParseFigures(root, Number(process.env.BENCH_PACKER_LOG_MB ?? 200))],
];

const figures: Figure[] = [];
for (const [name, run] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  figures.push(...(await run()));
}

const rows = figures.map((f) => [
  f.name,
  f.ours,
  f.baseline,
  `${f.ratio.toFixed(2)}x`,
  f.goal,
  f.met ? 'met' : 'MISSED',
]);
const header = ['figure', 'ours', 'baseline', 'ratio', 'goal', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
process.stdout.write(
  `${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`,
);

writeFileSync(
  new URL('results.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, figures }, null, 2)}\n`,
);
