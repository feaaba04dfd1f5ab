/**
 * The environment every git command of ours runs with: an allowlist of the caller's variables (no token of
 * GitHub, Slack or CircleCI, nothing that redirects git or starts a program), no system or global git
 * configuration, no prompts, and the configuration entries of the command (see git-credentials.ts).
 */
import { type SimpleGit, type SimpleGitOptions, simpleGit } from 'simple-git';
import { type ConfigEntry, configEnvironment, hardeningEntries } from './git-credentials.js';
import './quiet-simple-git.js';

/** The variables git may see from the caller: where programs are, temporary files, locale, proxies, certificates. */
const KEPT = new Set([
  'PATH',
  'TMPDIR',
  'LANG',
  'LANGUAGE',
  'TZ',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'CURL_CA_BUNDLE',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
]);
const PROXY = /^(https?|all|no)_proxy$/i;

/**
 * The environment git runs with: the allowlisted part of `base`, prompts off, and no system or global
 * configuration, so a credential helper, a filter driver, an alias or a hooks path set on the machine cannot
 * run next to the token (the clone's own `.git/config` is written by us alone).
 */
export function gitEnvironment(base: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (KEPT.has(key) || key.startsWith('LC_') || PROXY.test(key)) env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_CONFIG_NOSYSTEM = '1';
  env.GIT_CONFIG_GLOBAL = '/dev/null';
  return env;
}

/**
 * simple-git refuses environment config entries, a global config path, a hooks path and protocol settings
 * unless told; they are ours (built above from the allowlist), never a caller's.
 */
export const GIT_UNSAFE_ALLOWED: SimpleGitOptions['unsafe'] = {
  allowUnsafeConfigEnvCount: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeHooksPath: true,
  allowUnsafeProtocolOverride: true,
};

/** The full environment of one git command: the allowlist, hardening, the command's entries and variables. */
export function commandEnvironment(
  origin: string | undefined,
  entries: readonly ConfigEntry[] = [],
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...gitEnvironment(process.env),
    ...configEnvironment([...hardeningEntries(origin), ...entries]),
    ...extra,
  };
}

/** A simple-git for read-only commands in a clone: no remote, so no token, and the same environment as the rest. */
export function localGit(dir: string): SimpleGit {
  return simpleGit({ baseDir: dir, unsafe: GIT_UNSAFE_ALLOWED }).env(commandEnvironment(undefined));
}
