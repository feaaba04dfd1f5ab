/**
 * Issue 12, findings 4 and 8, end to end through the orb's real scripts (test/orb/orb-runner.ts):
 * - 4: the install step must not let the checkout choose where the CLI comes from (a `.npmrc` naming another
 *   registry and proxy), nor accept a restored cache on `--version` alone (a branch job can save a cache first).
 * - 8: parameters that are not paths must not go through `circleci env subst`, which would turn a branch
 *   parameter `x$GITHUB_TOKEN` into the token on hephestus's argv.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cliBundle,
  exists,
  fakePackage,
  loadOrb,
  recordedCalls,
  recordingHephestus,
  repoRoot,
  scratchBases,
} from '../orb/orb-fixture.js';
import { runCommand, runSteps } from '../orb/orb-runner.js';
import { integrityOf, type RegistryStandIn, startRegistry } from '../orb/registry-stand-in.js';
import { CANARY_ENV } from './canary.js';

const { orb } = await loadOrb();
const { dir: scratch, freshBase } = await scratchBases('orb-trust-');
const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

let genuine: RegistryStandIn;
let evil: RegistryStandIn;
let pinned: string;
/** What the impostor package writes when it runs: proof that it ran. */
const ranMarker = join(scratch, 'impostor-ran');

beforeAll(async () => {
  expect(await exists(cliBundle)).toBe(true);
  const packDir = join(scratch, 'pack');
  await mkdir(packDir, { recursive: true });
  const { stdout } = await promisify(execFile)('npm', ['pack', '--silent', '--pack-destination', packDir], {
    cwd: repoRoot,
  });
  const packed = join(packDir, stdout.trim().split('\n').pop() as string);
  pinned = integrityOf(await readFile(packed));
  genuine = await startRegistry('hephestus', { [version]: packed });
  // A hephestus package of the same name and version whose bin reports the version and records that it ran.
  const impostorBin = join(scratch, 'impostor.sh');
  await writeFile(impostorBin, `#!/bin/sh\necho "$GITHUB_TOKEN" >> '${ranMarker}'\necho ${version}\n`, {
    mode: 0o755,
  });
  evil = await startRegistry('hephestus', {
    [version]: await fakePackage(join(scratch, 'impostor'), impostorBin),
  });
}, 120_000);
afterAll(async () => {
  await genuine?.close();
  await evil?.close();
});

/**
 * The install command's arguments, kept to the parameters it declares: the same test then runs against an orb
 * without `integrity` and `registry` (main's before this fix) and fails there for the attack, not for an unknown
 * parameter.
 */
const installWith = (given: Record<string, unknown>) => {
  const declared = (orb.commands as Record<string, { parameters: object }>).install?.parameters ?? {};
  return { install: Object.fromEntries(Object.entries(given).filter(([name]) => name in declared)) };
};

const installed = (base: string) =>
  join(base, 'home', '.hephestus', 'lib', 'node_modules', 'hephestus', 'dist', 'hephestus.mjs');

describe('finding 4: the orb install trusts neither the checkout nor the cache', () => {
  it('ignores a checkout .npmrc that names another registry and proxy: nothing is asked of them', async () => {
    const base = await freshBase();
    await mkdir(join(base, 'project'), { recursive: true });
    await writeFile(
      join(base, 'project', '.npmrc'),
      `registry=${evil.url}\nproxy=${evil.url}\nhttps-proxy=${evil.url}\nignore-scripts=false\n`,
    );
    const result = await runSteps(
      orb,
      [
        installWith({ version, integrity: pinned, registry: genuine.url, cache: false }),
        { run: { name: 'use', command: 'hephestus --version' } },
      ],
      { base, env: { GITHUB_TOKEN: CANARY_ENV.GITHUB_TOKEN as string } },
    );
    expect(evil.requests).toEqual([]);
    expect(await exists(ranMarker)).toBe(false);
    expect(result.status).toBe('success');
    expect(await readFile(installed(base))).toEqual(await readFile(cliBundle));
  });

  it('refetches from the registry when a restored cache holds another tarball that claims the same version', async () => {
    const cacheDir = join(scratch, 'poisoned-cache');
    // A branch job got there first and saved the impostor under the keys the install step restores.
    const poisoner = await freshBase();
    const impostorTarball = join(scratch, 'impostor', `hephestus-0.1.0.tgz`);
    const poison = await runSteps(
      orb,
      [
        {
          run: {
            name: 'plant',
            command: [
              `mkdir -p ~/.cache/hephestus-cli ~/.hephestus/lib/node_modules/hephestus/dist ~/.hephestus/bin`,
              `cp '${impostorTarball}' ~/.cache/hephestus-cli/hephestus-${version}.tgz`,
              `tar -xzf '${impostorTarball}' -C ~/.hephestus/lib/node_modules/hephestus --strip-components=1`,
              'chmod +x ~/.hephestus/lib/node_modules/hephestus/dist/hephestus.mjs',
              'ln -s ../lib/node_modules/hephestus/dist/hephestus.mjs ~/.hephestus/bin/hephestus',
            ].join('\n'),
          },
        },
        { save_cache: { key: `hephestus-cli-v2-${version}`, paths: ['~/.cache/hephestus-cli'] } },
        { save_cache: { key: `hephestus-cli-v1-{{ arch }}-${version}`, paths: ['~/.hephestus'] } },
      ],
      { base: poisoner, cacheDir },
    );
    expect(poison.status).toBe('success');

    const base = await freshBase();
    const result = await runSteps(
      orb,
      [
        installWith({ version, integrity: pinned, registry: genuine.url }),
        { run: { name: 'use', command: 'hephestus --version' } },
      ],
      { base, cacheDir, env: { GITHUB_TOKEN: CANARY_ENV.GITHUB_TOKEN as string } },
    );
    // The impostor never ran, and what is installed is the genuine bundle.
    expect(await exists(ranMarker)).toBe(false);
    expect(result.status).toBe('success');
    expect(await readFile(installed(base))).toEqual(await readFile(cliBundle));
    expect(result.steps.map((step) => step.output).join('')).toContain(
      'does not match the pinned integrity; fetching it again',
    );
  });
});

describe('finding 8: env subst only on path parameters', () => {
  it.each([
    ['open_update_pr', { branch: 'x$GITHUB_TOKEN' }],
    ['trigger_pipeline', { project_slug: 'gh/acme/vm-manager', parameters: '{}', branch: 'x$GITHUB_TOKEN' }],
    ['notify', { event: 'failed', when: 'always', channels: '#images,$GITHUB_TOKEN' }],
    ['packer_build', { only: 'amazon-ebs.$GITHUB_TOKEN' }],
  ])(
    '%s refuses a $ in a value that is not a path (exit 2); the token never reaches argv',
    async (command, given) => {
      const base = await freshBase();
      const log = join(base, 'calls.jsonl');
      const bin = await recordingHephestus(join(base, 'fake'), log);
      const result = await runCommand(orb, command, given, {
        base,
        path: [bin],
        env: { GITHUB_TOKEN: CANARY_ENV.GITHUB_TOKEN as string },
      });
      const failed = result.steps.find((step) => step.status === 'failed');
      expect(failed?.exitCode).toBe(2);
      expect(failed?.output).toContain('takes no environment variables');
      const argv = (await recordedCalls(log)).flatMap((call) => call.argv).join(' ');
      expect(argv).not.toContain(CANARY_ENV.GITHUB_TOKEN);
      expect(argv).toBe('');
    },
  );

  it('still expands a path parameter, as documented', async () => {
    const base = await freshBase();
    const log = join(base, 'calls.jsonl');
    const bin = await recordingHephestus(join(base, 'fake'), log);
    const result = await runCommand(
      orb,
      'check_lock',
      { config: '$CIRCLE_WORKING_DIRECTORY/ci/hephestus.yml' },
      {
        base,
        path: [bin],
      },
    );
    expect(result.status).toBe('success');
    expect((await recordedCalls(log)).map((call) => call.argv)).toContainEqual([
      'run',
      'check-lock',
      `--config=${join(base, 'project')}/ci/hephestus.yml`,
    ]);
  });
});
