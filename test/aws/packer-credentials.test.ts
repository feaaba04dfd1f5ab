import { describe, expect, it } from 'vitest';
import { packerCredentials } from '../../src/aws/packer-credentials.js';
import { InputError } from '../../src/errors.js';

const job = {
  AWS_ACCESS_KEY_ID: 'AKIARELEASE000000001',
  AWS_SECRET_ACCESS_KEY: 'release-secret',
  AWS_SESSION_TOKEN: 'release-session',
  AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/hephestus-tagging',
  AWS_WEB_IDENTITY_TOKEN_FILE: '/tmp/aws-web-identity-token',
  AWS_PROFILE: 'release',
  AWS_REGION: 'us-east-1',
};

/** Packer's environment as child_process builds it: undefined values are dropped. */
function childEnv(overlay: Record<string, string | undefined>): Record<string, string> {
  const merged = { ...job, ...overlay };
  return Object.fromEntries(
    Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

describe('packerCredentials', () => {
  it("hands Packer the Packer role's keys and nothing of the job's credentials", () => {
    const result = packerCredentials({
      ...job,
      HEPHESTUS_PACKER_AWS_ACCESS_KEY_ID: 'AKIAPACKER0000000001',
      HEPHESTUS_PACKER_AWS_SECRET_ACCESS_KEY: 'packer-secret',
    });
    expect(result.kind).toBe('keys');
    expect(childEnv(result.env)).toEqual({
      AWS_ACCESS_KEY_ID: 'AKIAPACKER0000000001',
      AWS_SECRET_ACCESS_KEY: 'packer-secret',
      AWS_REGION: 'us-east-1',
    });
  });

  it('passes a session token with temporary keys', () => {
    const result = packerCredentials({
      HEPHESTUS_PACKER_AWS_ACCESS_KEY_ID: 'ASIAPACKER0000000001',
      HEPHESTUS_PACKER_AWS_SECRET_ACCESS_KEY: 'packer-secret',
      HEPHESTUS_PACKER_AWS_SESSION_TOKEN: 'packer-session',
    });
    expect(result.env.AWS_SESSION_TOKEN).toBe('packer-session');
  });

  it('lets Packer assume its role with the web identity token, in place of the job role', () => {
    const result = packerCredentials({
      ...job,
      HEPHESTUS_PACKER_AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/hephestus-packer',
    });
    expect(result.kind).toBe('role');
    expect(childEnv(result.env)).toEqual({
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/hephestus-packer',
      AWS_ROLE_SESSION_NAME: 'hephestus-packer',
      AWS_WEB_IDENTITY_TOKEN_FILE: '/tmp/aws-web-identity-token',
      AWS_REGION: 'us-east-1',
    });
  });

  it("keeps the job's credentials, with a warning, when no Packer credentials are set", () => {
    const result = packerCredentials(job);
    expect(result.kind).toBe('shared');
    expect(childEnv(result.env)).toEqual(job);
    expect(result.kind === 'shared' && result.warning).toMatch(/HEPHESTUS_PACKER_AWS_ROLE_ARN/);
  });

  it.each([
    [
      { HEPHESTUS_PACKER_AWS_ACCESS_KEY_ID: 'AKIAPACKER0000000001' },
      'HEPHESTUS_PACKER_AWS_SECRET_ACCESS_KEY',
    ],
    [{ HEPHESTUS_PACKER_AWS_SECRET_ACCESS_KEY: 'packer-secret' }, 'HEPHESTUS_PACKER_AWS_ACCESS_KEY_ID'],
    [
      { HEPHESTUS_PACKER_AWS_ROLE_ARN: 'hephestus-packer', AWS_WEB_IDENTITY_TOKEN_FILE: '/t' },
      'HEPHESTUS_PACKER_AWS_ROLE_ARN',
    ],
    [{ HEPHESTUS_PACKER_AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/p' }, 'HEPHESTUS_PACKER_AWS_ROLE_ARN'],
  ])('refuses a half or wrong setting (%o) naming %s', (env, setting) => {
    let error: unknown;
    try {
      packerCredentials(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location.setting).toBe(setting);
  });
});
