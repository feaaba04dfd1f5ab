/**
 * Generates a large, realistic `packer build -machine-readable` log of Windows AMI builds: mostly provisioner
 * output, a few plugin lines without a timestamp, provisioner text that looks like an artifact line, and at the
 * end multi-region artifacts interleaved between builds. Used by the benchmark that compares
 * `hephestus packer parse` with `grep 'artifact,0,id' | cut`.
 *
 * Run: `tsx bench/generate-packer-log.ts OUT.log [SIZE_MB]` (default 200).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { makeArtifact, type PackerResult } from '../src/packer/artifacts.js';
import { escapeField } from '../src/packer/machine-readable.js';

export interface GenerateOptions {
  /** Approximate size of the log in bytes. */
  bytes: number;
  /** Seed of the pseudo-random choices; the same seed gives the same log. */
  seed?: number;
  /** Build names; default four Windows builds. */
  builds?: string[];
  /** Regions each AMI is copied to. */
  regions?: string[];
  /** Start time in Unix seconds. */
  startTime?: number;
}

const SAY = [
  'Prevalidating any provided VPC information',
  'Prevalidating AMI Name: windows-base-{ts}',
  'Creating temporary keypair: packer_{hex}',
  'Creating temporary security group for this instance: packer_{hex}',
  'Launching a source AWS instance...',
  'Waiting for instance ({inst}) to become ready...',
  'Waiting for auto-generated password for instance...',
  'Waiting for WinRM to become available...',
  'Connected to WinRM!',
  'Provisioning with Powershell...',
  'Provisioning with powershell script: /tmp/powershell-provisioner{hex}',
  'Restarting Machine',
  'Waiting for machine to restart...',
];

const MESSAGE = [
  'Installing update KB50{num} ({num} of 42): 2024-{num} Cumulative Update for Microsoft server operating system',
  'Downloading {num} MB of {num} MB (progress {num}%)',
  'Windows Update: search returned {num} updates, filtering by category Security Updates, Critical Updates',
  '    Directory: C:\\Windows\\Temp\\packer-{hex}',
  'Mode                 LastWriteTime         Length Name',
  '-a----        1/{num}/2024   3:{num} AM        {num} setup-{hex}.ps1',
  'Chocolatey installed {num}/{num} packages. See the log for details (C:\\ProgramData\\chocolatey\\logs\\chocolatey.log).',
  'EC2Launch: sysprep scheduled, instance will shut down after the next boot, state {hex}',
  'artifact,0,id,us-east-1:ami-0{hex}',
  'WARNING: The names of some imported commands from the module include unapproved verbs',
  '',
];

const PLUGIN = [
  '2024/01/{num} 03:{num}:{num} packer-builder-amazon-ebs plugin: [INFO] (aws): Waiting for state to become: available',
  '2024/01/{num} 03:{num}:{num} ui: artifact,0,id,eu-west-1:ami-0{hex}',
  '2024/01/{num} 03:{num}:{num} [INFO] (telemetry) ending powershell',
];

/** A small deterministic generator, so that a seed gives the same log on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes the log through `write` in chunks of about 64 KiB and returns what a correct parser must find:
 * every build's multi-region AMI artifact, and one failed build (`amazon-ebs.win2016`).
 */
export function generatePackerLog(options: GenerateOptions, write: (chunk: string) => void): PackerResult {
  const rand = random(options.seed ?? 1);
  const builds = options.builds ?? [
    'amazon-ebs.win2016',
    'amazon-ebs.win2019',
    'amazon-ebs.win2022',
    'amazon-ebs.win2025',
  ];
  const regions = options.regions ?? ['us-east-1', 'us-west-2', 'eu-west-1'];
  let ts = options.startTime ?? 1704067200;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const hex = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
    return s;
  };
  const fill = (template: string) =>
    template
      .replaceAll('{hex}', () => hex(16))
      .replaceAll('{num}', () => String(Math.floor(rand() * 60) + 1))
      .replaceAll('{inst}', () => `i-0${hex(16)}`)
      .replaceAll('{ts}', String(ts));

  let buffer = '';
  let written = 0;
  const emit = (line: string) => {
    buffer += `${line}\n`;
    if (buffer.length >= 65536) {
      write(buffer);
      written += buffer.length;
      buffer = '';
    }
  };
  const ui = (kind: 'say' | 'message' | 'error', text: string) =>
    emit(`${ts},,ui,${kind},${escapeField(text)}`);

  const failing = builds[0] as string;
  const bodyBytes = Math.max(0, options.bytes - 4096);
  while (written + buffer.length < bodyBytes) {
    if (rand() < 0.01) ts++;
    const build = pick(builds);
    const roll = rand();
    if (roll < 0.1) ui('say', `==> ${build}: ${fill(pick(SAY))}`);
    else if (roll < 0.995) ui('message', `    ${build}: ${fill(pick(MESSAGE))}`);
    else emit(fill(pick(PLUGIN)));
  }

  const expected: PackerResult = { builds: [], errors: [] };
  const message = 'Script exited with non-zero exit status: 3.Allowed exit codes are: [0]';
  ui('error', `Build '${failing}' errored after 41 minutes 3 seconds: ${message}`);
  for (const build of builds.slice(1)) ui('say', `Build '${build}' finished after 52 minutes 12 seconds.`);
  ui('say', '\n==> Wait completed after 52 minutes 12 seconds');
  emit(`${ts},,error-count,1`);
  ui('error', "\n==> Some builds didn't complete successfully and had errors:");
  emit(`${ts},${failing},error,${escapeField(message)}`);
  ui('error', `--> ${failing}: ${message}`);
  ui('say', '\n==> Builds finished. The artifacts of successful builds are:');
  expected.errors.push({ build: failing, message });
  expected.builds.push({ name: failing, artifacts: [] });

  // Packer prints each build's artifact lines together, but builds finish in any order.
  const lines: string[][] = [];
  for (const build of builds.slice(1)) {
    const amis = regions.map((region) => ({ region, ami: `ami-0${hex(16)}` }));
    const id = amis.map(({ region, ami }) => `${region}:${ami}`).join(',');
    const text = `AMIs were created:\n${amis.map(({ region, ami }) => `${region}: ${ami}`).join('\n')}\n`;
    lines.push([
      `${ts},${build},artifact-count,1`,
      `${ts},${build},artifact,0,builder-id,mitchellh.amazonebs`,
      `${ts},${build},artifact,0,id,${escapeField(id)}`,
      `${ts},${build},artifact,0,string,${escapeField(text)}`,
      `${ts},${build},artifact,0,files-count,0`,
      `${ts},${build},artifact,0,end`,
      `${ts},,ui,say,${escapeField(`--> ${build}: ${text}`)}`,
    ]);
    expected.builds.push({ name: build, artifacts: [makeArtifact('mitchellh.amazonebs', id)] });
  }
  while (lines.length > 0) {
    const group = lines.splice(Math.floor(rand() * lines.length), 1)[0] as string[];
    for (const line of group) emit(line);
  }
  write(buffer);
  expected.builds.sort((a, b) => (a.name < b.name ? -1 : 1));
  return expected;
}

/** Writes a generated log to `path`; returns what a parser must find. */
export function writePackerLog(path: string, options: GenerateOptions): PackerResult {
  const fd = openSync(path, 'w');
  try {
    return generatePackerLog(options, (chunk) => {
      writeSync(fd, chunk);
    });
  } finally {
    closeSync(fd);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [out, sizeMb = '200'] = process.argv.slice(2);
  if (!out) {
    process.stderr.write('usage: tsx bench/generate-packer-log.ts OUT.log [SIZE_MB]\n');
    process.exit(2);
  }
  const expected = writePackerLog(out, { bytes: Number(sizeMb) * 1024 * 1024 });
  process.stdout.write(`${JSON.stringify(expected)}\n`);
}
