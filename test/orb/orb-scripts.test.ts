import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { includePath, type OrbComponent } from '../../scripts/lib/orb/pack-orb.js';
import { runCli } from '../cli/run-cli.js';
import { loadOrb, orbSourceDir, recordedCalls, recordingHephestus, repoRoot } from './orb-fixture.js';

const run = promisify(execFile);
const { source } = await loadOrb();
const scratch = await mkdtemp(join(tmpdir(), 'orb-scripts-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const scripts = [...source.files.keys()].filter(
  (file) => file.startsWith('scripts/') && file.endsWith('.sh'),
);
/** The helpers every script shares, eval'd from the step's SCRIPT_UTILS; it is never run on its own. */
const UTILS = 'scripts/utils.sh';
const utils = source.files.get(UTILS) as string;
const runnable = scripts.filter((file) => file !== UTILS);
const EVAL_UTILS = 'eval "$SCRIPT_UTILS"';
/** The names of the shell functions `text` defines. */
const definedFunctions = (text: string): string[] =>
  [...text.matchAll(/^\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)\s*\{/gm)].map((m) => m[1] as string);
/** The variable each env_var_name token parameter is handed to hephestus as (src/config/secrets.ts reads it). */
const TOKEN_SETTINGS: Record<string, string> = {
  github_token: 'HEPHESTUS_GITHUB_TOKEN_VAR',
  slack_token: 'HEPHESTUS_SLACK_TOKEN_VAR',
  circle_token: 'HEPHESTUS_CIRCLE_TOKEN_VAR',
};
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

  it.each(runnable)('%s starts with a bash shebang and strict mode', (script) => {
    expect(source.files.get(script)).toMatch(/^#!\/bin\/bash\n(#.*\n)*set -euo pipefail\n/);
  });

  it('utils.sh is a library for bash: no shebang, no strict mode of its own, only functions', () => {
    expect(utils).toMatch(/^# shellcheck shell=bash\n/);
    expect(utils).not.toContain('set -');
    expect(definedFunctions(utils).sort()).toEqual(['expand', 'fail', 'is_true', 'literal', 'refuse']);
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

describe('the helpers the scripts share', () => {
  const helpers = definedFunctions(utils);
  /** The helpers `text` calls, comment lines aside. */
  const calls = (text: string): string[] => {
    const code = text.replace(/^\s*#.*$/gm, '');
    return helpers.filter((name) => new RegExp(`(^|[\\s;|&(!])${name}\\b(?!\\(\\))`, 'm').test(code));
  };

  it.each(runnable)(
    '%s defines none of them itself, and takes them from utils.sh when it calls one',
    (file) => {
      const text = source.files.get(file) as string;
      expect(definedFunctions(text).filter((name) => helpers.includes(name))).toEqual([]);
      // The copies the issue found (export_secret in 11 scripts) must not come back under another name either.
      expect(text).not.toMatch(/export_secret|\$\{!/);
      const evaluated = text.includes(EVAL_UTILS);
      expect({ [file]: evaluated }).toEqual({ [file]: calls(text).length > 0 });
      if (evaluated) expect(text).toMatch(/\nset -euo pipefail\neval "\$SCRIPT_UTILS"\n/);
    },
  );

  it('finds a call to a helper, so the check above can fail', () => {
    expect(calls('if is_true "$PARAM_DRY_RUN"; then x; fi')).toEqual(['is_true']);
    expect(calls('x="$(literal branch "$b")"')).toEqual(['literal']);
    expect(calls('# literal text, not a call\nis_truey')).toEqual([]);
    expect(definedFunctions('is_true() {\n  :\n}\n')).toEqual(['is_true']);
  });

  it.each(withParameters.map((component) => [component.file, component] as const))(
    '%s puts utils.sh into SCRIPT_UTILS exactly for the scripts that eval it',
    (_file, component) => {
      for (const step of runSteps(component)) {
        const evaluates = (step.script ?? step.command).includes(EVAL_UTILS);
        expect(step.environment.SCRIPT_UTILS).toBe(evaluates ? `<<include(${UTILS})>>` : undefined);
      }
    },
  );
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

  it.each(withParameters.map((component) => [component.file, component] as const))(
    '%s hands each token parameter to hephestus as the name of its variable, and nothing else beside PARAM_',
    (_file, component) => {
      for (const step of runSteps(component)) {
        const others = Object.entries(step.environment).filter(
          ([name]) => !name.startsWith('PARAM_') && name !== 'SCRIPT_UTILS',
        );
        const tokens = Object.entries(TOKEN_SETTINGS).filter(([parameter]) =>
          JSON.stringify(step).includes(`<< parameters.${parameter} >>`),
        );
        expect(Object.fromEntries(others)).toEqual(
          Object.fromEntries(tokens.map(([parameter, name]) => [name, `<< parameters.${parameter} >>`])),
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

  async function runScript(
    env: Record<string, string>,
  ): Promise<{ code: number; output: string; calls: Awaited<ReturnType<typeof recordedCalls>> }> {
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
        SCRIPT_UTILS: utils,
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
    return { ...result, calls: await recordedCalls(log) };
  }

  it('hands hephestus the name of the token variable and never copies the token', async () => {
    const result = await runScript({ HEPHESTUS_GITHUB_TOKEN_VAR: 'MY_GH', MY_GH: 'ghp_canary' });
    expect(result.code).toBe(0);
    expect(result.calls.map((call) => call.secrets)).toEqual([{ HEPHESTUS_GITHUB_TOKEN_VAR: 'MY_GH' }]);
    expect(result.output).not.toContain('ghp_canary');
  });

  it('fails loudly, running nothing, when the step does not carry utils.sh', async () => {
    const result = await runScript({ SCRIPT_UTILS: '' });
    expect(result.code).not.toBe(0);
    expect(result.calls).toEqual([]);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads the boolean %s as %s', async (value, expected) => {
    const result = await runScript({ PARAM_DRY_RUN: value });
    expect(result.calls[0]?.argv.includes('--dry-run')).toBe(expected);
  });

  it('rejects a boolean that is neither', async () => {
    const result = await runScript({ PARAM_DRY_RUN: 'yes' });
    expect(result.code).toBe(2);
    expect(result.output).toContain('expected true or false, got: yes');
    expect(result.calls).toEqual([]);
  });
});

describe('the token variable names the orb hands to the built CLI', () => {
  // CircleCI checks env_var_name parameters before a job starts; hephestus checks again, as the scripts did.
  it('refuses a name that would run code in a shell, naming the setting and running nothing', async () => {
    const marker = join(scratch, `pwned-${Math.random().toString(36).slice(2)}`);
    const result = runCli(['trigger', '--project-slug=gh/acme/vm-manager', '--parameters={}'], {
      env: { HEPHESTUS_CIRCLE_TOKEN_VAR: `a[$(touch ${marker})]`, CIRCLECI_HOST: 'http://127.0.0.1:9' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('HEPHESTUS_CIRCLE_TOKEN_VAR: must name an environment variable');
    expect(result.stderr).not.toContain(marker);
    await expect(readFile(marker)).rejects.toThrow();
  });

  it('warns by name when the named variable is empty, as the scripts did', () => {
    const result = runCli(['trigger', '--project-slug=gh/acme/vm-manager', '--parameters={}'], {
      env: { HEPHESTUS_CIRCLE_TOKEN_VAR: 'CONSUMER_CIRCLE_TOKEN', CIRCLECI_HOST: 'http://127.0.0.1:9' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('warning: CONSUMER_CIRCLE_TOKEN is empty or not set');
    expect(result.stderr).toContain('no CircleCI token');
  });
});
