/**
 * open-update at scale under latency: the real flow (src/flows/open-update.ts) against the whole sandbox (GitHub,
 * EC2, Slack, each behind the same shaped link, src/sandbox/shaping.ts) on an images repository of 20 images
 * built in 4 regions each, against the same flow on one image in one region. Every image's pin is a base AMI
 * older than the newest, so every run finds 20 (or 1) newer base AMIs, edits as many pins and opens its pull
 * request with a Slack notice; each run has a repository of its own, so each creates its pull request.
 *
 * What a platform team with many images asks: does checking and bumping 20 images cost 20 times one? With the
 * reads overlapped it should cost little more than one, since the round trips, not the work, decide the time.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FlowContext } from '../src/flows/flow-context.js';
import { openUpdate } from '../src/flows/open-update.js';
import { Logger } from '../src/log/logger.js';
import { criticalPath } from '../src/sandbox/critical-path.js';
import { seedDirs } from '../src/sandbox/seed-repos.js';
import type { Shaping } from '../src/sandbox/shaping.js';
import { startSandbox } from '../src/sandbox/start-sandbox.js';
import type { Figure } from './figures.js';
import { LATENCY } from './latency.js';
import { median } from './measure.js';

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1'];
/** Pins older than the sandbox's newest base AMIs (the seed's own pins), one per Windows version. */
const OLD_PINS = { 2022: 'ami-08944a3ea2df6a9f9', 2019: 'ami-055ad27ab5d1141d8' };

export interface Scale {
  images: number;
  regions: number;
}

/** An images repository (the seed's, with its configuration and pins rewritten) of `scale`; its directory. */
export async function imagesRepoFixture(scale: Scale, into: string): Promise<string> {
  await cp(seedDirs.imagesRepo, into, { recursive: true });
  const names = Array.from({ length: scale.images }, (_, i) => `img${String(i + 1).padStart(2, '0')}`);
  const version = (i: number) => (i % 2 === 0 ? 2022 : 2019);
  const images = names.map((name, i) =>
    [
      `  - name: ${name}`,
      '    template: packer/windows.pkr.hcl',
      `    build: amazon-ebs.win${version(i)}`,
      '    var_files: [packer/windows.auto.pkrvars.hcl]',
      `    inputs: [packer/windows.pkr.hcl, scripts/*.ps1, scripts/win${version(i)}/**, tests/smoke.ps1]`,
      `    regions: [${REGIONS.slice(0, scale.regions).join(', ')}]`,
      '    base_ami:',
      '      owners: ["801119661308"]',
      '      filters:',
      `        name: Windows_Server-${version(i)}-English-Full-Base-*`,
      '        architecture: x86_64',
      '      pin:',
      '        file: packer/windows.auto.pkrvars.hcl',
      `        path: ${name}_source_ami`,
      '    smoke_tests: [tests/smoke.ps1]',
    ].join('\n'),
  );
  const config = path.join(into, 'hephestus.yml');
  const seed = await readFile(config, 'utf8');
  const start = seed.indexOf('images:\n');
  const end = seed.indexOf('\nchannels:');
  await writeFile(config, `${seed.slice(0, start)}images:\n${images.join('\n')}\n${seed.slice(end)}`);
  const pins = names.map((name, i) => `${name}_source_ami = "${OLD_PINS[version(i)]}"`);
  await writeFile(path.join(into, 'packer/windows.auto.pkrvars.hcl'), `${pins.join('\n')}\n`);
  return into;
}

export async function openUpdateScaleFigures(
  options: { runs?: number; shaping?: Shaping; big?: Scale } = {},
): Promise<Figure[]> {
  const runs = options.runs ?? 2;
  const shaping = options.shaping ?? LATENCY;
  const big = options.big ?? { images: 20, regions: 4 };
  const small = { images: 1, regions: 1 };
  const sandbox = await startSandbox({ shaping, slackChannels: ['#execution-teams'] });
  const fixtures = await mkdtemp(path.join(tmpdir(), 'hephestus-bench-images-'));
  try {
    const sides = [
      { scale: big, seconds: [] as number[], roundTrips: [] as number[], requests: [] as number[] },
      { scale: small, seconds: [] as number[], roundTrips: [] as number[], requests: [] as number[] },
    ];
    for (const side of sides) {
      const dir = path.join(fixtures, `${side.scale.images}x${side.scale.regions}`);
      await imagesRepoFixture(side.scale, dir);
      for (let run = 0; run <= runs; run++) await sandbox.github.seedRepo(repoName(side.scale, run), dir);
    }
    // Interleaved, so that the machine's noise falls on both alike; the first round warms up and is not counted.
    for (let run = 0; run <= runs; run++) {
      for (const side of sides) {
        const fullName = repoName(side.scale, run);
        const context = new FlowContext({
          options: { repo: fullName },
          env: {
            ...sandbox.env,
            HEPHESTUS_WORK_DIR: fixtures,
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
          },
          logger: new Logger({ level: 'error' }),
        });
        const from = callCounts(sandbox);
        const start = performance.now();
        const report = await openUpdate(context);
        const seconds = (performance.now() - start) / 1000;
        await context.dispose();
        if (report.outcome !== 'created')
          throw new Error(`open-update on ${fullName}: unexpected outcome ${report.outcome}`);
        if (run === 0) continue;
        const calls = callsSince(sandbox, from);
        side.seconds.push(seconds);
        side.roundTrips.push(criticalPath(calls).roundTrips);
        side.requests.push(calls.length);
      }
    }
    const [many, one] = sides as [(typeof sides)[0], (typeof sides)[0]];
    const ratio = median(many.seconds) / median(one.seconds);
    return [
      {
        name: `latency ${shaping.latencyMs} ms RTT: open-update, ${big.images} images x ${big.regions} regions vs 1 x 1`,
        ours: `open-update, ${big.images} images x ${big.regions} regions`,
        baseline: 'the same flow, 1 image x 1 region',
        ratio,
        goal: '<= 1.5x',
        met: ratio <= 1.5,
        details: {
          rttMs: shaping.latencyMs,
          manyMedianS: round(median(many.seconds)),
          oneMedianS: round(median(one.seconds)),
          manyRoundTrips: median(many.roundTrips),
          oneRoundTrips: median(one.roundTrips),
          manyRequests: median(many.requests),
          oneRequests: median(one.requests),
          runs,
        },
      },
    ];
  } finally {
    await sandbox.stop();
    await rm(fixtures, { recursive: true, force: true });
  }
}

type Services = Pick<Awaited<ReturnType<typeof startSandbox>>, 'github' | 'ec2' | 'ssm' | 'slack'>;

function callCounts(sandbox: Services): number[] {
  return [sandbox.github, sandbox.ec2, sandbox.ssm, sandbox.slack].map(
    (service) => service.router.calls.length,
  );
}

function callsSince(sandbox: Services, from: number[]) {
  return [sandbox.github, sandbox.ec2, sandbox.ssm, sandbox.slack].flatMap((service, i) =>
    service.router.calls.slice(from[i]),
  );
}

function repoName(scale: Scale, run: number): string {
  return `acme/images-${scale.images}x${scale.regions}-${run}`;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
