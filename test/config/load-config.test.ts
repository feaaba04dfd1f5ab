import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/config-json-schema.js';
import { parseConfig } from '../../src/config/load-config.js';
import { InputError } from '../../src/errors.js';

const fixture = new URL('../fixtures/config/images-repo.hephestus.yml', import.meta.url);

function errorOf(text: string): InputError {
  try {
    parseConfig(text, 'hephestus.yml');
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parseConfig', () => {
  it('reads a realistic images-repository configuration and fills defaults', async () => {
    const config = parseConfig(await readFile(fixture, 'utf8'), 'hephestus.yml');
    expect(config.images[0]?.regions).toEqual(['us-east-1', 'us-west-2', 'eu-west-1']);
    expect(config.images[0]?.base_ami?.pin).toEqual({
      file: 'packer/windows.auto.pkrvars.hcl',
      path: 'win2022_source_ami',
    });
    expect(config.git.default_branch).toBe('main');
    expect(config.github.merge_method).toBe('merge');
    expect(config.slack?.strict).toBe(false);
    expect(config.consumers[0]?.branch).toBe('main');
  });

  it('names the line, column and setting of a wrong type', () => {
    const error = errorOf(
      'version: 1\nimages:\n  - name: win2022\n    template: t.pkr.hcl\n    regions: us-east-1\n',
    );
    expect(error.exitCode).toBe(2);
    expect(error.location).toMatchObject({
      file: 'hephestus.yml',
      line: 5,
      column: 14,
      setting: 'images[0].regions',
    });
    expect(error.describe()).toMatch(/^hephestus\.yml:5:14: images\[0\]\.regions: /);
  });

  it('takes base_ami.ssm_parameter, or owners and filters, but exactly one of the two', () => {
    const image = (base: string) =>
      `version: 1\nimages:\n  - name: win2022\n    template: t\n    regions: [us-east-1]\n    base_ami:\n${base}      pin: { file: vars.hcl, path: source_ami }\n`;
    const parameter = '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base';
    const bySsm = parseConfig(image(`      ssm_parameter: ${parameter}\n`), 'hephestus.yml');
    expect(bySsm.images[0]?.base_ami?.ssm_parameter).toBe(parameter);
    expect(bySsm.deprecation_grace_days).toBe(7);
    expect(bySsm.ssm_parameters).toEqual({ publish: false, prefix: '/hephestus' });

    const both = errorOf(
      image(`      ssm_parameter: ${parameter}\n      owners: [amazon]\n      filters: { name: x }\n`),
    );
    expect(both.describe()).toBe(
      'hephestus.yml:7:22: images[0].base_ami.ssm_parameter: give either ssm_parameter or owners and filters, not both',
    );
    const neither = errorOf(image(''));
    expect(neither.message).toMatch(
      /^give ssm_parameter \(e\.g\. \/aws\/service\/ami-windows-latest\/.*\), or owners and filters$/,
    );
    expect(neither.location).toMatchObject({ file: 'hephestus.yml', setting: 'images[0].base_ami' });
    expect(errorOf(image('      filters: { name: x }\n')).location.setting).toBe('images[0].base_ami.owners');
    expect(errorOf(image('      ssm_parameter: aws/service/x\n')).message).toMatch(
      /is not an SSM parameter path/,
    );
  });

  it('refuses an SSM prefix SSM would refuse', () => {
    expect(errorOf('version: 1\nssm_parameters:\n  publish: true\n  prefix: /aws/mine\n').message).toMatch(
      /cannot begin with \/aws or \/ssm/,
    );
    expect(errorOf('version: 1\nssm_parameters:\n  prefix: /hephestus/\n').location.setting).toBe(
      'ssm_parameters.prefix',
    );
  });

  it('suggests the known key for a misspelt one', () => {
    const error = errorOf('version: 1\ngit:\n  brnach_prefix: update/\n');
    expect(error.message).toBe('unknown setting "brnach_prefix"; did you mean "branch_prefix"?');
    expect(error.location).toMatchObject({ line: 3, column: 3, setting: 'git.brnach_prefix' });
  });

  it('suggests keys inside list items', () => {
    const error = errorOf(
      'version: 1\nimages:\n  - name: a\n    template: t\n    regions: [us-east-1]\n    smoke_test: []\n',
    );
    expect(error.message).toContain('did you mean "smoke_tests"?');
    expect(error.location.setting).toBe('images[0].smoke_test');
  });

  it('rejects a region that is not one and an AMI-like value that is not a region', () => {
    const error = errorOf(
      'version: 1\nimages:\n  - name: a\n    template: t\n    regions: [us-east-1, useast1]\n',
    );
    expect(error.message).toBe('"useast1" is not an AWS region; did you mean us-east-1?');
    expect(error.location).toMatchObject({ line: 5, setting: 'images[0].regions[1]' });
  });

  it('reports duplicate keys as YAML errors with their position', () => {
    const error = errorOf('version: 1\nkeep: 2\nkeep: 3\n');
    expect(error.message).toMatch(/^YAML syntax: Map keys must be unique/);
    expect(error.location).toMatchObject({ line: 3, column: 1 });
  });

  it('reports a syntax error with line and column', () => {
    const error = errorOf('version: 1\nimages: [\n');
    expect(error.location.line).toBeGreaterThanOrEqual(2);
    expect(error.message).toMatch(/^YAML syntax: /);
  });

  it('requires the version', () => {
    const error = errorOf('keep: 3\n');
    expect(error.location.setting).toBe('version');
  });

  it('accepts a BOM and CRLF line endings', async () => {
    const text = `\uFEFF${(await readFile(fixture, 'utf8')).replace(/\n/g, '\r\n')}`;
    expect(parseConfig(text, 'hephestus.yml').images).toHaveLength(1);
  });
});

describe('docs/hephestus.schema.json', () => {
  it('is generated from the zod schema (run `npm run schema` when this fails)', async () => {
    const published = JSON.parse(
      await readFile(new URL('../../docs/hephestus.schema.json', import.meta.url), 'utf8'),
    );
    expect(published).toEqual(configJsonSchema());
  });
});
