/**
 * `npm run bench`: every figure measured side by side in one run, printed as a table of ratios against their
 * baselines and goals, and (a complete run only) written to bench/results.json. Nothing here asserts: the goals
 * are reported.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { apiCallFigures } from './api-calls.js';
import { bigRepoFigures } from './big-repo.js';
import { consumerStartFigures } from './consumer-starts.js';
import { fanOutFigures, latencyFanOutFigures } from './fan-out.js';
import type { Figure } from './figures.js';
import { latencyFigures } from './latency.js';
import { openUpdateScaleFigures } from './open-update-scale.js';
import { orbOverheadFigures } from './orb-overhead.js';
import { packerParseFigures } from './packer-parse.js';
import { startupFigures } from './startup.js';
import { waitFigures } from './waits.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);

/** The inputs' sizes, which the environment may scale down on a slow machine (the output says so). */
const inputs = {
  packerLogMb: Number(process.env.BENCH_PACKER_LOG_MB ?? 200),
  bigRepoMb: Number(process.env.BENCH_BIG_REPO_MB ?? 300),
  fleet: Number(process.env.BENCH_FLEET ?? 100),
};
const scaled = [
  inputs.packerLogMb < 200 && `packer log ${inputs.packerLogMb} MB of 200`,
  inputs.bigRepoMb < 300 && `big repository ${inputs.bigRepoMb} MiB of history of 300`,
  inputs.fleet < 100 && `latency fan-out ${inputs.fleet} consumers of 100`,
].filter((note): note is string => typeof note === 'string');

const suites: Array<[string, () => Figure[] | Promise<Figure[]>]> = [
  ['startup', () => startupFigures(root)],
  ['packer-parse', () => packerParseFigures(root, inputs.packerLogMb)],
  ['orb-overhead', () => orbOverheadFigures(root)],
  ['big-repo', () => bigRepoFigures({ historyMb: inputs.bigRepoMb })],
  ['api-calls', () => apiCallFigures()],
  ['fan-out', () => fanOutFigures()],
  ['waits', () => waitFigures()],
  ['latency', () => latencyFigures()],
  ['open-update-scale', () => openUpdateScaleFigures()],
  ['consumer-starts', () => consumerStartFigures()],
  [
    'fan-out-latency',
    () =>
      latencyFanOutFigures({
        consumers: inputs.fleet,
        unruledFloor: process.env.BENCH_UNRULED_FLOOR === '1',
      }),
  ],
];

const started = performance.now();
const seconds: Record<string, number> = {};

const figures: Figure[] = [];
for (const [name, run] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  const suiteStart = performance.now();
  figures.push(...(await run()));
  seconds[name] = Math.round((performance.now() - suiteStart) / 100) / 10;
}
const totalSeconds = Math.round((performance.now() - started) / 100) / 10;

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
process.stdout.write(
  `\nmeasured in ${totalSeconds} s (${Object.entries(seconds)
    .map(([name, s]) => `${name} ${s} s`)
    .join(', ')}), not counting the build\n`,
);
process.stdout.write(
  scaled.length > 0
    ? `inputs scaled down: ${scaled.join('; ')}\n`
    : 'inputs at full size (200 MB packer log, 300 MiB of history, 100 consumers); the shaped suites run 2 or 3 rounds after a warm-up, the 100-consumer fan-out one round\n',
);

// results.json is the record the docs cite, so only a complete run writes it: a run of some suites would leave
// the others' figures from another run (or none) beside its own.
if (only.length > 0) {
  process.stderr.write('bench: some suites only, so bench/results.json is left as it was\n');
} else {
  writeFileSync(
    new URL('results.json', import.meta.url),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, totalSeconds, seconds, inputs, figures }, null, 2)}\n`,
  );
}
