import { describe, expect, it } from 'vitest';
import { buildNames, requiredPluginsAt, selectsBuild } from '../../src/packer/template-facts.js';

const PLUGINS = `variable "region" {
  type = string
}

packer {
  required_version = ">= 1.10.0"
  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}
`;

const BUILDS = `source "amazon-ebs" "win2022" {
  region = "us-east-1"
}
source "amazon-ebs" "win2019" {
  region = "us-east-1"
}
build {
  sources = ["source.amazon-ebs.win2022", "source.amazon-ebs.win2019"]
}
build {
  name = "hardened"
  source "source.amazon-ebs.win2022" {
    name = "win2022-cis"
  }
}
`;

describe('requiredPluginsAt', () => {
  it('finds the required_plugins block inside packer {}, with its line and column', () => {
    expect(requiredPluginsAt([{ file: 'packer/windows.pkr.hcl', text: PLUGINS }])).toEqual({
      file: 'packer/windows.pkr.hcl',
      line: 7,
      column: 3,
    });
  });

  it('is undefined for a template without one (and for JSON templates)', () => {
    expect(requiredPluginsAt([{ file: 'a.pkr.hcl', text: BUILDS }])).toBeUndefined();
    expect(requiredPluginsAt([{ file: 'a.json', text: '{"builders":[]}' }])).toBeUndefined();
    // `required_version` alone needs no init.
    expect(
      requiredPluginsAt([{ file: 'a.pkr.hcl', text: 'packer {\n  required_version = ">= 1.6"\n}\n' }]),
    ).toBeUndefined();
  });

  it('looks through every file of a template directory', () => {
    const files = [
      { file: 'packer/builds.pkr.hcl', text: BUILDS },
      { file: 'packer/plugins.pkr.hcl', text: PLUGINS },
    ];
    expect(requiredPluginsAt(files)?.file).toBe('packer/plugins.pkr.hcl');
  });
});

describe('buildNames', () => {
  it('names each build source as -only matches it, with the build name and renames', () => {
    expect(buildNames([{ file: 'w.pkr.hcl', text: BUILDS }])).toEqual([
      'amazon-ebs.win2022',
      'amazon-ebs.win2019',
      'hardened.amazon-ebs.win2022-cis',
    ]);
  });

  it('names JSON builders by name, else by type', () => {
    const json = JSON.stringify({ builders: [{ type: 'amazon-ebs', name: 'win2022' }, { type: 'docker' }] });
    expect(buildNames([{ file: 'servercore.json', text: json }])).toEqual(['win2022', 'docker']);
  });
});

describe('selectsBuild', () => {
  const names = ['amazon-ebs.win2022', 'amazon-ebs.win2019'];
  it('matches a name exactly, or a glob as -only does', () => {
    expect(selectsBuild('amazon-ebs.win2022', names)).toBe(true);
    expect(selectsBuild('amazon-ebs.win2O22', names)).toBe(false);
    expect(selectsBuild('*.win2019', names)).toBe(true);
    expect(selectsBuild('*.win2016', names)).toBe(false);
  });
});
