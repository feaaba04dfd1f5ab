/**
 * The environment Packer runs with. Packer, its plugins, `shell-local` provisioners and `env()` in a template
 * are branch code, so they get an allowlist: AWS credentials and settings (`AWS_*`, which the build needs and
 * its IAM role bounds), Packer's own settings (`PACKER_*`), PATH, HOME, TMPDIR, proxies and certificates, and the
 * names the configuration passes through. No GitHub, Slack or CircleCI token reaches Packer: a pass-through
 * name that looks like a secret is refused, and a variable whose value holds one of the job's tokens is dropped.
 */
import { namedTokenVariables } from '../config/secrets.js';
import { Redactor } from '../log/redact.js';

const KEPT = new Set([
  'PATH',
  'HOME',
  'TMPDIR',
  'LANG',
  'TZ',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'CHECKPOINT_DISABLE',
]);
const KEPT_PREFIXES = ['AWS_', 'PACKER_', 'LC_'];
const PROXY = /^(https?|all|no)_proxy$/i;

/** The job's tokens that are not AWS's: the values no child process may see. */
const TOKEN_VARIABLES = [
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'PASSWORD',
  'CIRCLE_TOKEN',
  'CCI_PASSWORD',
  'SLACK_ACCESS_TOKEN',
  'SLACK_BOT_TOKEN',
  'CIRCLE_OIDC_TOKEN',
  'CIRCLE_OIDC_TOKEN_V2',
] as const;

/** Names that hold (or may hold) a credential of a service other than AWS; never passed through. */
const SECRET_NAME =
  /TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE|AUTH|API_?KEY|^(GITHUB|GH|SLACK|CIRCLE|CCI|HEPHESTUS)_/i;

/** A valid variable name. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot be passed through to Packer, or undefined when it can. */
export function passThroughRefusal(name: string): string | undefined {
  if (!NAME.test(name)) return `${JSON.stringify(name)} is not an environment variable name`;
  if (SECRET_NAME.test(name) && !name.startsWith('AWS_'))
    return `${name} may hold a token; Packer runs branch code and never gets one`;
  return undefined;
}

/** The environment for Packer: the allowlisted part of `base` plus `passThrough`, without any value holding a token. */
export function packerEnvironment(
  base: NodeJS.ProcessEnv,
  passThrough: readonly string[] = [],
): Record<string, string> {
  // A token the job keeps under a name of its own (HEPHESTUS_GITHUB_TOKEN_VAR and the like) is one of them too.
  const tokens = new Redactor([...TOKEN_VARIABLES, ...namedTokenVariables(base)].map((name) => base[name]));
  const passed = new Set(passThrough.filter((name) => passThroughRefusal(name) === undefined));
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined) continue;
    const allowed =
      KEPT.has(key) ||
      KEPT_PREFIXES.some((prefix) => key.startsWith(prefix)) ||
      PROXY.test(key) ||
      passed.has(key);
    // A token copied into an allowed name (AWS_SESSION_TOKEN=$GITHUB_TOKEN by mistake, or on purpose) stays out too.
    if (allowed && !tokens.leaks(value)) env[key] = value;
  }
  // Packer's update check would wait on a network this job may not have.
  env.CHECKPOINT_DISABLE = '1';
  return env;
}
