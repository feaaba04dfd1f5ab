/**
 * How a token reaches git without entering a URL, `.git/config`, the command line or the environment.
 *
 * The token goes into an `http.<origin>.extraHeader` in a private config file (mode 0600 in a 0700 temporary
 * directory) that exists only while one git command runs; git is pointed at it with `-c include.path=<file>`.
 * Compared with `-c http.extraHeader=...` this keeps the token out of the process list and out of simple-git's
 * debug log (which prints the arguments and the environment of every command), and out of `err.task.commands`.
 * `GIT_ASKPASS` would also work, but simple-git refuses it without `allowUnsafeAskPass`, and a prompt-based
 * credential is handed to the user's credential helpers, which may store it.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';

/** The user name GitHub expects beside an installation or personal token (it checks only the password). */
export const TOKEN_USER = 'x-access-token';

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

/** The text of the private config file: the scoped header, and no credential helpers. */
export function credentialConfig(token: string, origin: string): string {
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new InputError('the git token must be printable ASCII without spaces', { setting: 'git token' });
  }
  return [
    `[http "${origin}"]`,
    `\textraHeader = Authorization: ${basicAuthorization(token)}`,
    // An empty helper clears the user's helpers: a rejected token must fail, not fall back to a stored
    // personal credential (another identity) or a prompt.
    '[credential]',
    '\thelper =',
    '',
  ].join('\n');
}

/** Runs `fn` with the `include.path=<file>` config entry of a private credential file, removed afterwards. */
export async function withCredentials<T>(
  token: string,
  origin: string,
  fn: (configEntry: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'hephestus-git-'));
  try {
    await chmod(dir, 0o700);
    const file = join(dir, 'credentials.gitconfig');
    await writeFile(file, credentialConfig(token, origin), { mode: 0o600, flag: 'wx' });
    return await fn(`include.path=${file}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
