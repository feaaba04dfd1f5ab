/**
 * Secrets and service endpoints come from the environment, never from `hephestus.yml`.
 *
 * Both the names of the original design and the ecosystem's are accepted. When both are set, the ecosystem's
 * name wins, because it is the one a CircleCI context or a person sets on purpose for this tool's services:
 *
 * | secret            | wins            | also accepted                     |
 * | ----------------- | --------------- | --------------------------------- |
 * | GitHub token      | GITHUB_TOKEN    | PASSWORD (with USERNAME for git)  |
 * | CircleCI token    | CIRCLE_TOKEN    | CCI_PASSWORD (CCI_USERNAME unused by API v2) |
 * | Slack bot token   | SLACK_ACCESS_TOKEN | SLACK_BOT_TOKEN                |
 *
 * A job may keep a token under a name of its own (a second CircleCI context, one token per repository): then
 * `HEPHESTUS_GITHUB_TOKEN_VAR`, `HEPHESTUS_CIRCLE_TOKEN_VAR` or `HEPHESTUS_SLACK_TOKEN_VAR` names the variable
 * that holds it, and that variable wins over every name above. This is what the orb's `env_var_name` parameters
 * pass, so its scripts hand hephestus a name and never copy a secret between variables.
 */
import { InputError } from '../errors.js';
import { Redactor } from '../log/redact.js';

export interface Secrets {
  github?: { token: string; username: string; source: string };
  circleci?: { token: string; source: string };
  slack?: { token: string; source: string };
}

export interface Endpoints {
  githubApi: string;
  /** Where repositories are cloned from over HTTPS (`GITHUB_SERVER_URL`, as GitHub Actions names it). */
  githubServer: string;
  slackApi: string;
  circleciHost: string;
  ec2?: string;
  ssm?: string;
  inspector2?: string;
}

type Env = Record<string, string | undefined>;

/** Every variable whose value is a secret, redacted from all output whether the run uses it or not. */
export const SECRET_VARIABLES = [
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'PASSWORD',
  'CIRCLE_TOKEN',
  'CCI_PASSWORD',
  'SLACK_ACCESS_TOKEN',
  'SLACK_BOT_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ACCESS_KEY_ID',
  'HEPHESTUS_PACKER_AWS_SECRET_ACCESS_KEY',
  'HEPHESTUS_PACKER_AWS_SESSION_TOKEN',
  'HEPHESTUS_PACKER_AWS_ACCESS_KEY_ID',
] as const;

/** The setting that names the variable holding each service's token, and the names read without it. */
export const TOKEN_VARIABLE_SETTINGS = {
  github: { setting: 'HEPHESTUS_GITHUB_TOKEN_VAR', names: ['GITHUB_TOKEN', 'GH_TOKEN', 'PASSWORD'] },
  circleci: { setting: 'HEPHESTUS_CIRCLE_TOKEN_VAR', names: ['CIRCLE_TOKEN', 'CCI_PASSWORD'] },
  slack: { setting: 'HEPHESTUS_SLACK_TOKEN_VAR', names: ['SLACK_ACCESS_TOKEN', 'SLACK_BOT_TOKEN'] },
} as const;
type Service = keyof typeof TOKEN_VARIABLE_SETTINGS;

/** A valid variable name; anything else in a `*_TOKEN_VAR` setting is a mistake, never looked up. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Warnings about the token settings go to standard error once each: several clients read the secrets in one run. */
const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.stderr.write(`warning: ${message}\n`);
}

/**
 * Resolves the secrets from `env`: the variable a `*_TOKEN_VAR` setting names, else the ecosystem's names first.
 * A setting that is no variable name is an InputError naming the setting; one naming an empty variable is
 * warned about (`warn`) and the usual names are read instead, as the orb's scripts did.
 */
export function readSecrets(env: Env = process.env, warn: (message: string) => void = warnOnce): Secrets {
  const secrets: Secrets = {};
  const github = readToken(env, 'github', warn);
  if (github) {
    // USERNAME pairs only with PASSWORD read as such: on its own it is often the login name of the machine.
    const username =
      github.source === 'PASSWORD' && !github.named && env.USERNAME ? env.USERNAME : 'x-access-token';
    secrets.github = { token: github.value, username, source: github.source };
  }
  const circleci = readToken(env, 'circleci', warn);
  if (circleci) secrets.circleci = { token: circleci.value, source: circleci.source };
  const slack = readToken(env, 'slack', warn);
  if (slack) secrets.slack = { token: slack.value, source: slack.source };
  return secrets;
}

/** The variables the `*_TOKEN_VAR` settings of `env` name (valid names only): secrets wherever they are read. */
export function namedTokenVariables(env: Env = process.env): string[] {
  return Object.values(TOKEN_VARIABLE_SETTINGS)
    .map(({ setting }) => env[setting])
    .filter((name): name is string => name !== undefined && VARIABLE_NAME.test(name));
}

/** Service endpoints: the real services unless the environment points elsewhere (the sandbox does). */
export function readEndpoints(env: Env = process.env): Endpoints {
  return {
    githubApi: trimSlash(env.GITHUB_API_URL ?? 'https://api.github.com'),
    githubServer: trimSlash(env.GITHUB_SERVER_URL ?? 'https://github.com'),
    slackApi: withSlash(env.SLACK_API_URL ?? 'https://slack.com/api/'),
    circleciHost: trimSlash(env.CIRCLECI_HOST ?? 'https://circleci.com'),
    ec2: env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL,
    ssm: env.AWS_ENDPOINT_URL_SSM ?? env.AWS_ENDPOINT_URL,
    inspector2: env.AWS_ENDPOINT_URL_INSPECTOR2 ?? env.AWS_ENDPOINT_URL,
  };
}

/** A redactor loaded with every secret variable that is set, used or not. */
export function redactorFromEnv(env: Env = process.env): Redactor {
  return new Redactor([...SECRET_VARIABLES, ...namedTokenVariables(env)].map((name) => env[name]));
}

/** Git author from configuration, else HEPHESTUS_GIT_AUTHOR_NAME/_EMAIL; never a built-in identity. */
export function gitAuthor(
  configured: { author_name?: string; author_email?: string } | undefined,
  env: Env = process.env,
): { name: string; email: string } | undefined {
  const name = configured?.author_name ?? env.HEPHESTUS_GIT_AUTHOR_NAME;
  const email = configured?.author_email ?? env.HEPHESTUS_GIT_AUTHOR_EMAIL;
  return name && email ? { name, email } : undefined;
}

function readToken(
  env: Env,
  service: Service,
  warn: (message: string) => void,
): { value: string; source: string; named: boolean } | undefined {
  const { setting, names } = TOKEN_VARIABLE_SETTINGS[service];
  const named = env[setting];
  if (named) {
    // The value is not repeated: whatever was put here by mistake (a token itself) stays out of the log.
    if (!VARIABLE_NAME.test(named)) {
      throw new InputError('must name an environment variable (letters, digits and _, not first a digit)', {
        setting,
      });
    }
    const value = env[named];
    if (value) return { value, source: named, named: true };
    warn(`${named} is empty or not set`);
  }
  const found = pick(env, names);
  return found && { ...found, named: false };
}

function pick(env: Env, names: readonly string[]): { value: string; source: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value) return { value, source: name };
  }
  return undefined;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
