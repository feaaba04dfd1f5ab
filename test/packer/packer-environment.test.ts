import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { InputError } from '../../src/errors.js';
import { packerEnvironment, passThroughRefusal } from '../../src/packer/packer-environment.js';

const JOB = {
  PATH: '/usr/local/bin:/usr/bin',
  HOME: '/home/circleci',
  TMPDIR: '/tmp/job',
  HTTPS_PROXY: 'http://proxy:3128',
  no_proxy: '169.254.169.254',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-example',
  AWS_REGION: 'us-east-1',
  PACKER_LOG: '1',
  GITHUB_TOKEN: 'ghs_tokenExample0123456789',
  PASSWORD: 'personal-token-example',
  CIRCLE_TOKEN: 'CCIPAT_example0123456789',
  SLACK_ACCESS_TOKEN: 'xoxb-example-0123456789',
  CIRCLE_OIDC_TOKEN_V2: 'eyJoidc.example.token',
  CIRCLE_BRANCH: 'windows-update/win2022',
  VSPHERE_SERVER: 'vcenter.example.com',
  EDITOR: 'vim',
};

describe('packerEnvironment', () => {
  it('keeps AWS, Packer, paths and proxies, and no token of GitHub, Slack or CircleCI', () => {
    expect(packerEnvironment(JOB)).toEqual({
      PATH: '/usr/local/bin:/usr/bin',
      HOME: '/home/circleci',
      TMPDIR: '/tmp/job',
      HTTPS_PROXY: 'http://proxy:3128',
      no_proxy: '169.254.169.254',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-example',
      AWS_REGION: 'us-east-1',
      PACKER_LOG: '1',
      CHECKPOINT_DISABLE: '1',
    });
  });

  it('passes through the configured names, never a token', () => {
    const env = packerEnvironment(JOB, ['VSPHERE_SERVER', 'GITHUB_TOKEN', 'CIRCLE_TOKEN', 'CIRCLE_BRANCH']);
    expect(env.VSPHERE_SERVER).toBe('vcenter.example.com');
    expect(env).not.toHaveProperty('GITHUB_TOKEN');
    expect(env).not.toHaveProperty('CIRCLE_TOKEN');
    expect(env).not.toHaveProperty('CIRCLE_BRANCH');
  });

  it('drops an allowed variable whose value holds a token, in any form the redactor knows', () => {
    const env = packerEnvironment(
      {
        ...JOB,
        AWS_SESSION_TOKEN: JOB.GITHUB_TOKEN,
        PACKER_VAR: `x-${encodeURIComponent(JOB.SLACK_ACCESS_TOKEN)}`,
        VSPHERE_USER: Buffer.from(JOB.CIRCLE_TOKEN).toString('base64'),
      },
      ['VSPHERE_USER'],
    );
    expect(env).not.toHaveProperty('AWS_SESSION_TOKEN');
    expect(env).not.toHaveProperty('PACKER_VAR');
    expect(env).not.toHaveProperty('VSPHERE_USER');
  });
});

describe('passThroughRefusal', () => {
  it('refuses names that may hold a token, and names that are not variable names', () => {
    for (const name of [
      'GITHUB_TOKEN',
      'GH_TOKEN',
      'SLACK_BOT_TOKEN',
      'CIRCLE_OIDC_TOKEN_V2',
      'CIRCLE_BRANCH',
      'NPM_AUTH',
      'MY_API_KEY',
      'VAULT_SECRET',
      'PASSWORD',
      'HEPHESTUS_WORK_DIR',
    ])
      expect(passThroughRefusal(name), name).toBeDefined();
    expect(passThroughRefusal('A=B')).toMatch(/not an environment variable name/);
    for (const name of ['VSPHERE_SERVER', 'AZURE_LOCATION', 'AWS_PROFILE'])
      expect(passThroughRefusal(name), name).toBeUndefined();
  });
});

describe('packer.pass_env in hephestus.yml', () => {
  it('refuses a token name with exit 2, naming file, line and setting', () => {
    const text = 'version: 1\npacker:\n  pass_env: [VSPHERE_SERVER, GITHUB_TOKEN]\n';
    const attempt = () => parseConfig(text, 'hephestus.yml');
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(/GITHUB_TOKEN may hold a token/);
    try {
      attempt();
    } catch (error) {
      expect((error as InputError).location).toMatchObject({
        file: 'hephestus.yml',
        line: 3,
        setting: 'packer.pass_env[1]',
      });
    }
  });

  it('accepts other names', () => {
    const config = parseConfig('version: 1\npacker:\n  pass_env: [VSPHERE_SERVER]\n', 'hephestus.yml');
    expect(config.packer.pass_env).toEqual(['VSPHERE_SERVER']);
  });
});
