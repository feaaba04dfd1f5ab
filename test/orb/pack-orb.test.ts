import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { includePath, packOrb, readOrbSource } from '../../scripts/lib/orb/pack-orb.js';
import { pinCli } from '../../scripts/lib/orb/pin-cli.js';
import { createConfigValidator } from '../../scripts/lib/orb/validate-circleci-config.js';
import { InputError } from '../../src/errors.js';
import { configSchemaPath, loadOrb, sharedConfigSchemaPath } from './orb-fixture.js';

const ROOT = 'version: 2.1\ndescription: A test orb.\n';

function pack(files: Record<string, string>) {
  return packOrb(readOrbSource(new Map(Object.entries(files))));
}

function packError(files: Record<string, string>): InputError {
  try {
    pack(files);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('packOrb, as circleci orb pack', () => {
  it('needs @orb.yml at the root', () => {
    const error = packError({ 'commands/greet.yml': 'steps: []\n' });
    expect(error.message).toBe('@orb.yml file not found, are you sure this is the Orb root?');
    expect(error.exitCode).toBe(2);
  });

  it('keys each component by its base name, under its folder, after the root keys', () => {
    const { orb } = pack({
      '@orb.yml': ROOT,
      'commands/greet.yml': 'description: Greets.\nsteps: []\n',
      'jobs/hello.yaml': 'description: Says hello.\nsteps: [greet]\n',
      'executors/default.yml': 'docker: [{image: cimg/base:current}]\n',
      'examples/say_hello.yml': 'description: Hello.\nusage: {version: 2.1}\n',
    });
    expect(Object.keys(orb)).toEqual(['version', 'description', 'commands', 'executors', 'jobs', 'examples']);
    expect(orb.jobs).toEqual({ hello: { description: 'Says hello.', steps: ['greet'] } });
    expect(orb.commands).toEqual({ greet: { description: 'Greets.', steps: [] } });
  });

  it('counts only the four component folders and only YAML files in them', () => {
    const { orb } = pack({
      '@orb.yml': ROOT,
      'commands/greet.yml': 'steps: []\n',
      'commands/README.md': '# not a component',
      'orbs/other.yml': 'steps: []\n',
      'scripts/greet.yml': 'not: packed\n',
      'commands/nested/deep.yml': 'steps: []\n',
    });
    expect(orb).toEqual({ version: 2.1, description: 'A test orb.', commands: { greet: { steps: [] } } });
  });

  it('inlines an include with "<<" escaped, leaving the file otherwise byte-identical', () => {
    const script = '#!/bin/bash\nread -ra list <<<"$x"\ncat <<EOF\n$y\nEOF\n';
    const { orb, text } = pack({
      '@orb.yml': ROOT,
      'commands/greet.yml':
        'steps:\n  - run:\n      name: Greet\n      command: <<include(scripts/greet.sh)>>\n',
      'scripts/greet.sh': script,
    });
    const command = (orb.commands as { greet: { steps: [{ run: { command: string } }] } }).greet.steps[0].run
      .command;
    expect(command).toBe(script.replaceAll('<<', '\\<<'));
    expect(parse(text)).toEqual(orb);
  });

  it('inlines an include that is a step environment value, as the shared SCRIPT_UTILS of aws-cli-orb', () => {
    const utils = '# shellcheck shell=bash\nis_true() { [[ "$1" == true ]]; }\nread -r x <<<"$y"\n';
    const script = '#!/bin/bash\neval "$SCRIPT_UTILS"\nis_true "$PARAM_X"\n';
    const { orb, text } = pack({
      '@orb.yml': ROOT,
      'commands/greet.yml':
        'steps:\n  - run:\n      name: Greet\n      environment:\n        PARAM_X: << parameters.x >>\n' +
        '        SCRIPT_UTILS: <<include(scripts/utils.sh)>>\n      command: <<include(scripts/greet.sh)>>\n',
      'scripts/utils.sh': utils,
      'scripts/greet.sh': script,
    });
    const run = (orb.commands as { greet: { steps: [{ run: Record<string, unknown> }] } }).greet.steps[0].run;
    expect(run).toEqual({
      name: 'Greet',
      environment: { PARAM_X: '<< parameters.x >>', SCRIPT_UTILS: utils.replaceAll('<<', '\\<<') },
      command: script,
    });
    expect(parse(text)).toEqual(orb);
  });

  it('accepts blanks inside the include brackets, as the CLI pattern does', () => {
    const { orb } = pack({
      '@orb.yml': ROOT,
      'commands/greet.yml': 'steps:\n  - run: {name: Greet, command: "<< include(scripts/greet.sh) >>"}\n',
      'scripts/greet.sh': 'echo hi\n',
    });
    expect(JSON.stringify(orb)).toContain('echo hi');
  });

  it('rejects an include that is not the whole value', () => {
    const error = packError({
      '@orb.yml': ROOT,
      'commands/greet.yml': 'steps:\n  - run: {name: Greet, command: "bash <<include(scripts/greet.sh)>>"}\n',
      'scripts/greet.sh': 'echo hi\n',
    });
    expect(error.message).toBe(
      "entire string must be include statement: 'bash <<include(scripts/greet.sh)>>'",
    );
    expect(error.location).toMatchObject({ file: 'commands/greet.yml', setting: 'steps[0].run.command' });
  });

  it('rejects two includes in one value', () => {
    const error = packError({
      '@orb.yml': ROOT,
      'commands/greet.yml': 'steps:\n  - run: {name: Greet, command: "<<include(a.sh)>><<include(b.sh)>>"}\n',
    });
    expect(error.message).toMatch(/^multiple include statements/);
  });

  it('names an include whose file is missing', () => {
    const error = packError({
      '@orb.yml': ROOT,
      'commands/greet.yml': 'steps:\n  - run: {name: Greet, command: <<include(scripts/missing.sh)>>}\n',
    });
    expect(error.message).toBe('could not open scripts/missing.sh for inclusion');
  });

  it('rejects a component defined twice', () => {
    const error = packError({ '@orb.yml': ROOT, 'jobs/a.yml': 'steps: []\n', 'jobs/a.yaml': 'steps: []\n' });
    expect(error.message).toBe('jobs "a" is defined twice, also in jobs/a.yaml');
  });

  it('reports invalid YAML with its line and column', () => {
    const error = packError({ '@orb.yml': ROOT, 'jobs/a.yml': 'steps:\n  - run: {name: x\n' });
    expect(error.location).toMatchObject({
      file: 'jobs/a.yml',
      line: expect.any(Number),
      column: expect.any(Number),
    });
  });

  it('tells an include that is the whole value from one that is not', () => {
    expect(includePath('<<include(scripts/x.sh)>>')).toBe('scripts/x.sh');
    expect(includePath('echo <<include(scripts/x.sh)>>')).toBeUndefined();
    expect(includePath(3)).toBeUndefined();
  });
});

describe('the hephestus orb', () => {
  it('packs to the stored snapshot, which parses back to the same orb', async () => {
    const { orb, text } = await loadOrb();
    expect(parse(text)).toEqual(orb);
    await expect(text).toMatchFileSnapshot('__snapshots__/orb.yml');
  });

  it('validates against the CircleCI config schema, and so does every example usage', async () => {
    const { source, orb } = await loadOrb();
    const validate = createConfigValidator(JSON.parse(await readFile(configSchemaPath, 'utf8')) as object);
    expect(validate(orb)).toEqual([]);
    const examples = source.components.filter((component) => component.folder === 'examples');
    expect(examples.map((example) => example.name).sort()).toEqual([
      'consumer_triggered_bump',
      'dynamic_setup_config',
      'manual_revoke',
      'manual_run_with_parameters',
      'scheduled_images_update',
    ]);
    for (const example of examples)
      expect({ [example.file]: validate(example.value.usage) }).toEqual({ [example.file]: [] });
  });

  it('fails the schema when a step is broken, so the validation above can fail', async () => {
    const { orb } = await loadOrb();
    const validate = createConfigValidator(JSON.parse(await readFile(configSchemaPath, 'utf8')) as object);
    const broken = structuredClone(orb) as {
      commands: { notify: { steps: { run: Record<string, unknown> }[] } };
    };
    (broken.commands.notify.steps[1] as { run: Record<string, unknown> }).run.when = 'sometimes';
    expect(validate(broken)).toContainEqual({
      pointer: '/commands/notify/steps/1/run/when',
      message: 'must be equal to one of the allowed values (always, on_success, on_fail)',
    });
  });

  it('has every include in the source resolve to a script, and every script included', async () => {
    const { source } = await loadOrb();
    const included = new Set<string>();
    const visit = (value: unknown): void => {
      const path = includePath(value);
      if (path) included.add(path);
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') Object.values(value).forEach(visit);
    };
    for (const component of source.components) visit(component.value);
    const scripts = [...source.files.keys()].filter((file) => file.startsWith('scripts/'));
    expect([...included].sort()).toEqual(scripts.sort());
  });

  it('has the executor, the commands and the jobs the issue asks for', async () => {
    const { orb } = await loadOrb();
    const flows = [
      'open_update',
      'build_validate',
      'promote',
      'bump_consumer',
      'announce',
      'monitor',
      'check_lock',
      'prune',
      'sweep',
      'revoke',
    ];
    expect(Object.keys(orb.executors as object).sort()).toEqual(['authenticated', 'default']);
    expect(Object.keys(orb.jobs as object).sort()).toEqual([...flows].sort());
    expect(Object.keys(orb.commands as object)).toEqual(
      expect.arrayContaining([
        'install',
        'packer_build',
        'validate_ami',
        'open_update_pr',
        'bump_files',
        'notify',
        'trigger_pipeline',
        'aws_oidc',
        ...flows,
      ]),
    );
  });
});

describe('vendor/circleci-config.schema.json', () => {
  // The vendored copy is the source of truth (a plain clone has nothing beside it); where the workplace's copy is
  // there, the two must not drift.
  it.runIf(existsSync(sharedConfigSchemaPath))('is an unedited copy of the shared schema', async () => {
    const vendored = await readFile(configSchemaPath);
    expect(vendored.equals(await readFile(sharedConfigSchemaPath))).toBe(true);
  });

  it("is CircleCI's config schema, draft-07, describing jobs, workflows and orbs", async () => {
    const schema = JSON.parse(await readFile(configSchemaPath, 'utf8')) as {
      $schema?: string;
      properties?: Record<string, unknown>;
    };
    expect(schema.$schema).toContain('draft-07');
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(['jobs', 'workflows', 'orbs']),
    );
  });
});

describe('pinning the CLI release into the packed orb', () => {
  const integrity = `sha512-${Buffer.alloc(64, 7).toString('base64')}`;

  it('sets the version and integrity defaults of install and of every job, leaving the source orb alone', async () => {
    const { orb } = await loadOrb();
    const pinned = pinCli(orb, { version: '1.2.3', integrity });
    const defaults = (section: string) =>
      Object.entries(
        pinned[section] as Record<string, { parameters?: Record<string, { default?: unknown }> }>,
      )
        .filter(([, component]) => component.parameters?.integrity !== undefined)
        .map(([name, component]) => [
          name,
          component.parameters?.version?.default,
          component.parameters?.integrity?.default,
        ]);
    const jobs = Object.keys(orb.jobs as object);
    expect(defaults('jobs')).toEqual(jobs.map((name) => [name, '1.2.3', integrity]));
    expect(defaults('commands')).toEqual([['install', '1.2.3', integrity]]);
    const install = (orb.commands as Record<string, { parameters: { integrity: { default: string } } }>)
      .install;
    expect(install?.parameters.integrity.default).toBe('');
  });

  it.each([
    [{ version: '^1.2.3', integrity }, 'cli-version'],
    [{ version: 'latest', integrity }, 'cli-version'],
    [{ version: '1.2.3', integrity: 'sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=' }, 'cli-integrity'],
    [{ version: '1.2.3', integrity: `${integrity}x` }, 'cli-integrity'],
  ])('refuses %j, naming %s', async (pin, setting) => {
    const { orb } = await loadOrb();
    expect(() => pinCli(orb, pin)).toThrow(expect.objectContaining({ exitCode: 2, location: { setting } }));
  });
});
