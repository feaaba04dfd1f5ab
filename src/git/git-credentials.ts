/**
 * How a token reaches git without entering a URL, a file, `.git/config` or the command line.
 *
 * The token goes into an `http.<origin>.extraHeader` handed to git as an environment config entry
 * (`GIT_CONFIG_COUNT`, `GIT_CONFIG_KEY_n`, `GIT_CONFIG_VALUE_n`) of the one git process that needs it. Nothing is
 * written to disk, so a job killed with SIGKILL leaves no credential behind (a private config file did), and the
 * command line (process list, simple-git's `err.task.commands`) never holds it. simple-git's debug log prints the
 * environment of every command, so that log is kept off (see quiet-simple-git.ts).
 * `GIT_ASKPASS` would also work, but simple-git refuses it without `allowUnsafeAskPass`, and a prompt-based
 * credential is handed to the user's credential helpers, which may store it.
 */
import { InputError } from '../errors.js';

/** The user name GitHub expects beside an installation or personal token (it checks only the password). */
export const TOKEN_USER = 'x-access-token';

/** One `key=value` git configuration entry. */
export type ConfigEntry = readonly [key: string, value: string];

/** The value of the `Authorization` header git sends: basic auth of `x-access-token:<token>`. */
export function basicAuthorization(token: string): string {
  return `Basic ${Buffer.from(`${TOKEN_USER}:${token}`, 'utf8').toString('base64')}`;
}

/**
 * The `scheme://host[:port]/` of a remote URL, which scopes the header so git sends it to that server only
 * (never to a redirect target or a submodule elsewhere). Refuses URLs that carry credentials or are not HTTP(S).
 */
export function remoteOrigin(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(`not a URL: ${JSON.stringify(url)}`, { setting: 'git remote' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new InputError(`the git remote must be an http(s) URL, got ${parsed.protocol}`, {
      setting: 'git remote',
    });
  }
  if (parsed.username || parsed.password) {
    // Never echo the URL: its user part is the credential.
    throw new InputError('the git remote URL must not contain credentials; pass the token separately', {
      setting: 'git remote',
    });
  }
  return `${parsed.protocol}//${parsed.host}/`;
}

/** The configuration entry that gives git the token: the header, scoped to the remote's origin. */
export function credentialEntries(token: string, origin: string): ConfigEntry[] {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new InputError('the git token must be printable ASCII without spaces', { setting: 'git token' });
  }
  return [[`http.${origin}.extraHeader`, `Authorization: ${basicAuthorization(token)}`]];
}

/**
 * Configuration that keeps repository content and the machine's git setup from running programs next to the
 * token: no hooks, and no transport but the remote's own scheme (a `.gitmodules` or an `ext::` URL cannot
 * make git start a program or reach a file). Filters and other programs come only from configuration, and git
 * runs with no system or global configuration (see git-environment.ts), so `.gitattributes` cannot name one.
 */
export function hardeningEntries(origin: string | undefined): ConfigEntry[] {
  const entries: ConfigEntry[] = [
    ['core.hooksPath', '/dev/null'],
    ['protocol.allow', 'never'],
  ];
  if (origin) entries.push([`protocol.${new URL(origin).protocol.replace(/:$/, '')}.allow`, 'always']);
  return entries;
}

/** The entries as git's environment config variables (`GIT_CONFIG_COUNT`, `GIT_CONFIG_KEY_n`, `GIT_CONFIG_VALUE_n`). */
export function configEnvironment(entries: readonly ConfigEntry[]): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}
