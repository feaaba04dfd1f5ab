import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { includePath, type OrbComponent } from '../../scripts/lib/orb/pack-orb.js';
import { loadOrb, orbSourceDir, recordedCalls, recordingHephestus, repoRoot } from './orb-fixture.js';

const run = promisify(execFile);
const { source } = await loadOrb();
const scratch = await mkdtemp(join(tmpdir(), 'orb-scripts-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const scripts = [...source.files.keys()].filter(
  (file) => file.startsWith('scripts/') && file.endsWith('.sh'),
);
const withParameters = source.components.filter((component) => component.folder !== 'examples');

/** Every `run` step of a component with its environment and, when included, the script's text. */
function runSteps(
  component: OrbComponent,
): { environment: Record<string, unknown>; script?: string; command: string }[] {
  const found: { environment: Record<string, unknown>; script?: string; command: string }[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if (key === 'run' && item && typeof item === 'object') {
        const step = item as { environment?: Record<string, unknown>; command: string };
        const path = includePath(step.command);
        found.push({
          environment: step.environment ?? {},
          command: step.command,
          script: path && source.files.get(path),
        });
      } else visit(item);
    }
  };
  visit(component.value.steps);
  return found;
}

function referencedParameters(value: unknown): Set<string> {
  return new Set(
    [...JSON.stringify(value).matchAll(/<<[#^/]?\s*parameters\.([\w-]+)\s*>>/g)].map(
      (match) => match[1] as string,
    ),
  );
}

describe('the orb scripts', () => {
  it.each(scripts)('%s is shellcheck-clean', async (script) => {
    const result = await run('shellcheck', [
      '--severity=style',
      '--shell=bash',
      join(orbSourceDir, script),
    ]).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(result).toBe('');
  });

  it.each(scripts)('%s starts with a bash shebang and strict mode', (script) => {
    expect(source.files.get(script)).toMatch(/^#!\/bin\/bash\n(#.*\n)*set -euo pipefail\n/);
  });

  it('shellcheck finds an unquoted parameter, so the check above can fail', async () => {
    const bad = join(scratch, 'bad.sh');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(bad, '#!/bin/bash\nhephestus edit $PARAM_FILE\n'),
    );
    await expect(run('shellcheck', [bad])).rejects.toMatchObject({
      stdout: expect.stringContaining('SC2086'),
    });
  });
});

describe('parameters of the commands, jobs and executors', () => {
  it.each(withParameters.map((component) => [component.file, component] as const))(
    '%s declares every parameter it uses and uses every parameter it declares',
    (_file, component) => {
      const declared = Object.keys((component.value.parameters as object | undefined) ?? {}).sort();
      const { parameters: _declarations, description: _description, ...body } = component.value;
      expect([...referencedParameters(body)].sort()).toEqual(declared);
    },
  );

  it.each(withParameters.map((component) => [component.file, component] as const))(
    '%s passes each PARAM_ variable its scripts read, and reads each one it passes',
    (_file, component) => {
      for (const step of runSteps(component)) {
        const passed = Object.keys(step.environment)
          .filter((name) => name.startsWith('PARAM_'))
          .sort();
        const read = [
          ...new Set([...(step.script ?? step.command).matchAll(/\bPARAM_[A-Z0-9_]+/g)].map((m) => m[0])),
        ].sort();
        expect(read).toEqual(passed);
        for (const name of passed)
          expect(step.environment[name]).toBe(
            `<< parameters.${name.slice('PARAM_'.length).toLowerCase()} >>`,
          );
      }
    },
  );

  it('passes parameters to scripts only through the environment', () => {
    for (const component of withParameters) {
      for (const step of runSteps(component))
        expect({ [component.file]: referencedParameters(step.command).size }).toEqual({
          [component.file]: 0,
        });
    }
  });

  it('keeps secrets in env_var_name parameters', () => {
    for (const component of withParameters) {
      const parameters = (component.value.parameters ?? {}) as Record<string, { type: string }>;
      for (const [name, declaration] of Object.entries(parameters)) {
        if (/token|secret|password/.test(name))
          expect({ [`${component.file} ${name}`]: declaration.type }).toEqual({
            [`${component.file} ${name}`]: 'env_var_name',
          });
      }
    }
  });

  it('pins the install version of the CLI, in the command and in every job, to the package version', async () => {
    const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const component of source.components.filter(
      (c) => c.file === 'commands/install.yml' || c.folder === 'jobs',
    )) {
      expect((component.value.parameters as { version: { default: string } }).version.default).toBe(version);
    }
  });
});

describe('secret and boolean handling inside the scripts', () => {
  const script = source.files.get('scripts/open_update_pr.sh') as string;
  const shim = join(scratch, 'bin');

  async function runScript(env: Record<string, string>): Promise<{ code: number; output: string }> {
    const log = join(scratch, `calls-${Math.random().toString(36).slice(2)}.jsonl`);
    await recordingHephestus(shim, log);
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(join(shim, 'circleci'), '#!/bin/bash\nprintf %s "$3"\n', { mode: 0o755 }),
    );
    const result = await run('bash', ['-c', script], {
      cwd: scratch,
      env: {
        PATH: `${shim}:${process.env.PATH}`,
        HOME: scratch,
        PARAM_CONFIG: 'hephestus.yml',
        PARAM_BRANCH: '',
        PARAM_DRY_RUN: 'false',
        ...env,
      },
    }).then(
      (ok) => ({ code: 0, output: ok.stdout + ok.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        output: error.stdout + error.stderr,
      }),
    );
    return { ...result, output: result.output + JSON.stringify(await recordedCalls(log)) };
  }

  it('reads the secret through the named variable and hands it to hephestus under its own name', async () => {
    const result = await runScript({ PARAM_GITHUB_TOKEN: 'MY_GH', MY_GH: 'ghp_canary' });
    expect(result.code).toBe(0);
    expect(result.output).toContain('"GITHUB_TOKEN":"ghp_canary"');
    expect(result.output.replaceAll('"GITHUB_TOKEN":"ghp_canary"', '')).not.toContain('ghp_canary');
  });

  it('refuses a variable name that would evaluate code in the indirect expansion', async () => {
    const marker = join(scratch, `pwned-${Math.random().toString(36).slice(2)}`);
    const result = await runScript({ PARAM_GITHUB_TOKEN: `a[$(touch ${marker})]` });
    expect(result.code).toBe(2);
    expect(result.output).toContain('not an environment variable name');
    await expect(readFile(marker)).rejects.toThrow();
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads the boolean %s as %s', async (value, expected) => {
    const result = await runScript({ PARAM_GITHUB_TOKEN: 'GITHUB_TOKEN', PARAM_DRY_RUN: value });
    expect(result.output.includes('"--dry-run"')).toBe(expected);
  });

  it('rejects a boolean that is neither', async () => {
    const result = await runScript({ PARAM_GITHUB_TOKEN: 'GITHUB_TOKEN', PARAM_DRY_RUN: 'yes' });
    expect(result.code).toBe(2);
    expect(result.output).toContain('expected true or false, got: yes');
  });
});
