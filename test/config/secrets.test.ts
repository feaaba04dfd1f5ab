import { describe, expect, it } from 'vitest';
import { namedTokenVariables, readSecrets, redactorFromEnv } from '../../src/config/secrets.js';
import { InputError } from '../../src/errors.js';
import { packerEnvironment } from '../../src/packer/packer-environment.js';

/** readSecrets with its warnings collected instead of written to stderr. */
function read(env: Record<string, string>): { secrets: ReturnType<typeof readSecrets>; warnings: string[] } {
  const warnings: string[] = [];
  return { secrets: readSecrets(env, (message) => warnings.push(message)), warnings };
}

describe('the *_TOKEN_VAR settings (the orb passes its env_var_name parameters as these)', () => {
  it('reads each token from the variable its setting names, which wins over the usual names', () => {
    const { secrets, warnings } = read({
      HEPHESTUS_GITHUB_TOKEN_VAR: 'VM_MANAGER_GITHUB_TOKEN',
      VM_MANAGER_GITHUB_TOKEN: 'ghp_consumer',
      GITHUB_TOKEN: 'ghp_service',
      HEPHESTUS_CIRCLE_TOKEN_VAR: 'CONSUMER_CIRCLE_TOKEN',
      CONSUMER_CIRCLE_TOKEN: 'CCIPAT_consumer',
      HEPHESTUS_SLACK_TOKEN_VAR: 'ROLLOUT_SLACK',
      ROLLOUT_SLACK: 'xoxb-rollout',
      SLACK_ACCESS_TOKEN: 'xoxb-default',
    });
    expect(secrets).toEqual({
      github: { token: 'ghp_consumer', username: 'x-access-token', source: 'VM_MANAGER_GITHUB_TOKEN' },
      circleci: { token: 'CCIPAT_consumer', source: 'CONSUMER_CIRCLE_TOKEN' },
      slack: { token: 'xoxb-rollout', source: 'ROLLOUT_SLACK' },
    });
    expect(warnings).toEqual([]);
  });

  it('reads exactly what it read before when the settings name the standard variables (the orb defaults)', () => {
    const env = { GITHUB_TOKEN: 'ghp_one', CIRCLE_TOKEN: 'CCIPAT_two', SLACK_ACCESS_TOKEN: 'xoxb-three' };
    const named = read({
      ...env,
      HEPHESTUS_GITHUB_TOKEN_VAR: 'GITHUB_TOKEN',
      HEPHESTUS_CIRCLE_TOKEN_VAR: 'CIRCLE_TOKEN',
      HEPHESTUS_SLACK_TOKEN_VAR: 'SLACK_ACCESS_TOKEN',
    });
    expect(named.secrets).toEqual(read(env).secrets);
    expect(named.warnings).toEqual([]);
  });

  it('keeps the x-access-token user for a PASSWORD it was pointed at, as the copy into GITHUB_TOKEN did', () => {
    const { secrets } = read({ HEPHESTUS_GITHUB_TOKEN_VAR: 'PASSWORD', PASSWORD: 'pw', USERNAME: 'bot' });
    expect(secrets.github).toEqual({ token: 'pw', username: 'x-access-token', source: 'PASSWORD' });
  });

  it('warns, by name only, when the named variable is empty, and falls back to the usual names', () => {
    const { secrets, warnings } = read({
      HEPHESTUS_GITHUB_TOKEN_VAR: 'MISSING_TOKEN',
      GH_TOKEN: 'ghp_fallback',
      HEPHESTUS_SLACK_TOKEN_VAR: 'EMPTY_SLACK',
      EMPTY_SLACK: '',
    });
    expect(warnings).toEqual(['MISSING_TOKEN is empty or not set', 'EMPTY_SLACK is empty or not set']);
    expect(secrets).toEqual({
      github: { token: 'ghp_fallback', username: 'x-access-token', source: 'GH_TOKEN' },
    });
  });

  it.each([
    ['HEPHESTUS_GITHUB_TOKEN_VAR', 'a[$(touch /tmp/x)]'],
    ['HEPHESTUS_CIRCLE_TOKEN_VAR', '1TOKEN'],
    ['HEPHESTUS_SLACK_TOKEN_VAR', 'xoxb-not-a-name-but-a-token'],
  ])('refuses %s=%s with exit 2, naming the setting and not the value', (setting, value) => {
    let thrown: unknown;
    try {
      readSecrets({ [setting]: value }, () => {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect(thrown).toMatchObject({ exitCode: 2, location: { setting } });
    expect((thrown as InputError).describe()).toBe(
      `${setting}: must name an environment variable (letters, digits and _, not first a digit)`,
    );
  });

  it('treats an empty setting as no setting', () => {
    expect(read({ HEPHESTUS_GITHUB_TOKEN_VAR: '', GITHUB_TOKEN: 'ghp_one' })).toEqual({
      secrets: { github: { token: 'ghp_one', username: 'x-access-token', source: 'GITHUB_TOKEN' } },
      warnings: [],
    });
  });
});

describe('a token under a name of its own is still a secret', () => {
  const env = {
    HEPHESTUS_GITHUB_TOKEN_VAR: 'VM_MANAGER_GITHUB_TOKEN',
    VM_MANAGER_GITHUB_TOKEN: 'ghp_consumerToken0123456789',
    HEPHESTUS_SLACK_TOKEN_VAR: 'not a name',
  };

  it('lists only the valid names the settings give', () => {
    expect(namedTokenVariables(env)).toEqual(['VM_MANAGER_GITHUB_TOKEN']);
  });

  it('is redacted from all output', () => {
    expect(redactorFromEnv(env).redact('token ghp_consumerToken0123456789')).not.toContain('ghp_consumer');
  });

  it('reaches Packer under no name', () => {
    const packer = packerEnvironment({
      ...env,
      PATH: '/bin',
      AWS_SESSION_TOKEN: env.VM_MANAGER_GITHUB_TOKEN,
    });
    expect(packer).toEqual({ PATH: '/bin', CHECKPOINT_DISABLE: '1' });
  });
});
