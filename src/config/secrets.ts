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
 */
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

/** Resolves the secrets from `env`, the ecosystem's names first. */
export function readSecrets(env: Env = process.env): Secrets {
  const secrets: Secrets = {};
  const github = pick(env, ['GITHUB_TOKEN', 'GH_TOKEN', 'PASSWORD']);
  if (github) {
    // USERNAME pairs only with PASSWORD: on its own it is often the login name of the machine.
    const username = github.source === 'PASSWORD' && env.USERNAME ? env.USERNAME : 'x-access-token';
    secrets.github = { token: github.value, username, source: github.source };
  }
  const circleci = pick(env, ['CIRCLE_TOKEN', 'CCI_PASSWORD']);
  if (circleci) secrets.circleci = { token: circleci.value, source: circleci.source };
  const slack = pick(env, ['SLACK_ACCESS_TOKEN', 'SLACK_BOT_TOKEN']);
  if (slack) secrets.slack = { token: slack.value, source: slack.source };
  return secrets;
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
  };
}

/** A redactor loaded with every secret variable that is set, used or not. */
export function redactorFromEnv(env: Env = process.env): Redactor {
  return new Redactor(SECRET_VARIABLES.map((name) => env[name]));
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

function pick(env: Env, names: string[]): { value: string; source: string } | undefined {
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
