/**
 * docs/examples/windows-images: the production template parses with the project's HCL reader (and HashiCorp's
 * own parser), declares what the guide says it does, and its hephestus.yml passes `config check` against it.
 * The sandbox seed stays a template Packer 1.6.6 (the Debian package here) accepts.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { checkRepository } from '../../src/config/check-repository.js';
import { loadConfig } from '../../src/config/load-config.js';
import { hclUpdater } from '../../src/edit/formats/hcl.js';
import { parseHclDocument } from '../../src/edit/formats/hcl-document.js';
import { buildNames, requiredPluginsAt } from '../../src/packer/template-facts.js';
import { readTemplateFiles } from '../../src/packer/template-files.js';

const run = promisify(execFile);
const example = fileURLToPath(new URL('../../docs/examples/windows-images/', import.meta.url));
const seed = fileURLToPath(new URL('../../src/sandbox/seeds/images-repo/', import.meta.url));
const template = join(example, 'packer', 'windows.pkr.hcl');

/** How hcl2json writes a bare reference to a variable. */
const variable = (name: string) => `\${var.${name}}`;

interface TemplateJson {
  packer: Array<{ required_plugins: Array<{ amazon: { source: string; version: string } }> }>;
  variable: Record<string, unknown>;
  source: { 'amazon-ebs': { win2022: Array<Record<string, unknown>> } };
  build: Array<{ provisioner: Array<Record<string, Array<Record<string, unknown>>>> }>;
}

describe('the production example template', () => {
  it('parses with the project HCL reader, every file of it', async () => {
    for (const file of ['packer/windows.pkr.hcl', 'packer/windows.auto.pkrvars.hcl']) {
      const body = parseHclDocument(await readFile(join(example, file), 'utf8'));
      expect(body.items.length).toBeGreaterThan(0);
    }
  });

  it('declares required_plugins (so Hephestus runs packer init) and the build hephestus.yml names', async () => {
    const files = await readTemplateFiles(template, example);
    expect(requiredPluginsAt(files)).toMatchObject({ file: 'packer/windows.pkr.hcl' });
    expect(buildNames(files)).toEqual(['amazon-ebs.win2022']);
  });

  it('connects over WinRM on HTTPS, builds multi-region, can encrypt, and generalizes with EC2Launch v2', async () => {
    const json = (await parse('windows.pkr.hcl', await readFile(template, 'utf8'))) as TemplateJson;
    expect(json.packer[0]?.required_plugins[0]?.amazon.source).toBe('github.com/hashicorp/amazon');
    const source = json.source['amazon-ebs'].win2022[0] as Record<string, unknown>;
    expect(source).toMatchObject({
      communicator: 'winrm',
      winrm_use_ssl: true,
      winrm_port: 5986,
      ami_regions: variable('ami_regions'),
      encrypt_boot: variable('encrypt_boot'),
      kms_key_id: variable('kms_key_id'),
      region_kms_key_ids: variable('region_kms_key_ids'),
    });
    // Hephestus's waits apply only when the template sets none of its own.
    expect(source).not.toHaveProperty('aws_polling');
    expect(Object.keys(json.variable)).toEqual(
      expect.arrayContaining(['aws_region', 'ami_regions', 'git_sha', 'encrypt_boot', 'win2022_source_ami']),
    );
    const inline = JSON.stringify(json.build[0]?.provisioner);
    expect(inline).toContain("ec2launch.exe' reset --block");
    expect(inline).toContain("ec2launch.exe' sysprep --shutdown --block");
    expect(inline.indexOf('reset --block')).toBeLessThan(inline.indexOf('sysprep --shutdown'));
  });

  it('writes no hephestus:* tag, which only Hephestus may set and the Packer role may not write', async () => {
    const json = (await parse('windows.pkr.hcl', await readFile(template, 'utf8'))) as {
      locals: Array<Record<string, unknown>>;
      source: TemplateJson['source'];
    };
    const tagMaps = JSON.stringify([json.locals, json.source['amazon-ebs'].win2022]);
    expect(tagMaps).toContain('"Name"');
    expect(tagMaps).not.toMatch(/"hephestus:/);
  });

  it('its hephestus.yml passes config check against it, pin included', async () => {
    const config = await loadConfig(join(example, 'hephestus.yml'));
    expect(await checkRepository(config, example)).toEqual([]);
    const pins = await readFile(join(example, 'packer', 'windows.auto.pkrvars.hcl'), 'utf8');
    expect(hclUpdater.readString(pins, 'win2022_source_ami')).toMatch(/^ami-[0-9a-f]{17}$/);
  });
});

describe('the sandbox seed template', () => {
  it('declares no required_plugins, which Packer 1.6.6 cannot read', async () => {
    const files = await readTemplateFiles(join(seed, 'packer'), seed);
    expect(requiredPluginsAt(files)).toBeUndefined();
  });

  it('passes packer validate -syntax-only with the Packer installed here (1.6.6)', async () => {
    const { stdout } = await run('packer', ['version'], { env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    expect(stdout).toMatch(/^Packer v\d+\.\d+\.\d+/);
    await expect(
      run('packer', ['validate', '-syntax-only', 'packer/'], {
        cwd: seed,
        env: { ...process.env, CHECKPOINT_DISABLE: '1' },
      }),
    ).resolves.toBeDefined();
  });
});
