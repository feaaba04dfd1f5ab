/**
 * Packer runs the branch's template, so it gets its own AWS credentials (the `packer` role of
 * iam-policies.ts), never the job's: the job's credentials are the release role's, the only one that
 * may write `hephestus:*` tags. The Packer role comes from the environment:
 *
 * - `HEPHESTUS_PACKER_AWS_ACCESS_KEY_ID`, `HEPHESTUS_PACKER_AWS_SECRET_ACCESS_KEY` and optionally
 *   `HEPHESTUS_PACKER_AWS_SESSION_TOKEN`: keys of the Packer role (or an IAM user with its policy);
 * - or `HEPHESTUS_PACKER_AWS_ROLE_ARN`: Packer assumes that role itself with the job's web identity token
 *   (`AWS_WEB_IDENTITY_TOKEN_FILE`, as CircleCI's OIDC setup writes it).
 *
 * With neither set, Packer runs with the job's credentials and a warning says so.
 */
import { InputError } from '../errors.js';

type Env = Record<string, string | undefined>;

export const PACKER_CREDENTIAL_VARIABLES = {
  accessKeyId: 'HEPHESTUS_PACKER_AWS_ACCESS_KEY_ID',
  secretAccessKey: 'HEPHESTUS_PACKER_AWS_SECRET_ACCESS_KEY',
  sessionToken: 'HEPHESTUS_PACKER_AWS_SESSION_TOKEN',
  roleArn: 'HEPHESTUS_PACKER_AWS_ROLE_ARN',
} as const;

/** Every variable through which the SDKs find credentials; all are replaced for Packer. */
const CREDENTIAL_SOURCES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
] as const;

export type PackerCredentials =
  | { kind: 'keys'; env: Env }
  | { kind: 'role'; env: Env }
  | { kind: 'shared'; env: Env; warning: string };

/**
 * The variables to lay over Packer's environment: the Packer role's credentials in the names Packer reads,
 * every other credential source removed (undefined values are dropped by child_process).
 */
export function packerCredentials(env: Env): PackerCredentials {
  const v = PACKER_CREDENTIAL_VARIABLES;
  const accessKeyId = nonEmpty(env[v.accessKeyId]);
  const secretAccessKey = nonEmpty(env[v.secretAccessKey]);
  const roleArn = nonEmpty(env[v.roleArn]);
  const own: Env = Object.fromEntries(Object.values(v).map((name) => [name, undefined]));
  const cleared: Env = { ...own, ...Object.fromEntries(CREDENTIAL_SOURCES.map((name) => [name, undefined])) };
  // With keys, Packer needs no web identity token: it would let the template assume the job's role.
  const keysOnly: Env = { ...cleared, AWS_WEB_IDENTITY_TOKEN_FILE: undefined };
  if (accessKeyId || secretAccessKey) {
    if (!accessKeyId || !secretAccessKey) {
      throw new InputError(`set both ${v.accessKeyId} and ${v.secretAccessKey}, or neither`, {
        setting: accessKeyId ? v.secretAccessKey : v.accessKeyId,
      });
    }
    return {
      kind: 'keys',
      env: {
        ...keysOnly,
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
        AWS_SESSION_TOKEN: nonEmpty(env[v.sessionToken]),
      },
    };
  }
  if (roleArn) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn)) {
      throw new InputError(`not an IAM role ARN: ${JSON.stringify(roleArn)}`, { setting: v.roleArn });
    }
    if (!nonEmpty(env.AWS_WEB_IDENTITY_TOKEN_FILE)) {
      throw new InputError(`${v.roleArn} needs AWS_WEB_IDENTITY_TOKEN_FILE (CircleCI's OIDC token)`, {
        setting: v.roleArn,
      });
    }
    return {
      kind: 'role',
      env: { ...cleared, AWS_ROLE_ARN: roleArn, AWS_ROLE_SESSION_NAME: 'hephestus-packer' },
    };
  }
  return {
    kind: 'shared',
    env: own,
    warning: `Packer runs with the job's own AWS credentials: set ${v.roleArn} (or ${v.accessKeyId} and ${v.secretAccessKey}) so the branch's template cannot write hephestus:* tags (docs/setup.md, IAM roles)`,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
