import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  basicAuthorization,
  configEnvironment,
  credentialEntries,
  hardeningEntries,
  remoteOrigin,
} from '../../src/git/git-credentials.js';
import { gitEnvironment } from '../../src/git/git-environment.js';

const TOKEN = 'ghs_credCanary0123456789abcdef';
const run = promisify(execFile);
const ORIGIN = 'http://127.0.0.1:8080/';

describe('basicAuthorization', () => {
  it('is basic auth of x-access-token and the token, as GitHub takes it', () => {
    const value = basicAuthorization(TOKEN);
    expect(value.startsWith('Basic ')).toBe(true);
    expect(Buffer.from(value.slice('Basic '.length), 'base64').toString()).toBe(`x-access-token:${TOKEN}`);
  });
});

describe('remoteOrigin', () => {
  it('keeps scheme, host and port', () => {
    expect(remoteOrigin('https://github.com/acme/images.git')).toBe('https://github.com/');
    expect(remoteOrigin('http://127.0.0.1:8080/acme/images.git')).toBe('http://127.0.0.1:8080/');
  });

  it('refuses a URL with credentials without repeating them', () => {
    const attempt = () => remoteOrigin(`https://x-access-token:${TOKEN}@github.com/acme/images.git`);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(/must not contain credentials/);
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain(TOKEN);
    }
  });

  it('refuses ssh and file remotes and non-URLs', () => {
    expect(() => remoteOrigin('ssh://git@github.com/acme/images.git')).toThrow(/http\(s\) URL/);
    expect(() => remoteOrigin('file:///srv/images.git')).toThrow(/http\(s\) URL/);
    expect(() => remoteOrigin('git@github.com:acme/images.git')).toThrow(InputError);
  });
});

describe('credentialEntries', () => {
  it('refuses a token that would break the header', () => {
    expect(() => credentialEntries('abc\ndef', 'https://github.com/')).toThrow(/printable ASCII/);
  });
});

describe('environment config entries', () => {
  /** What `git config` answers under the environment of a command given the token. */
  const get = (args: string[]) =>
    run('git', args, {
      env: { ...gitEnvironment(process.env), ...configEnvironment(credentialEntries(TOKEN, ORIGIN)) },
    });

  it('give git the header for the remote origin only', async () => {
    const header = await get(['config', '--get-urlmatch', 'http.extraHeader', `${ORIGIN}acme/images.git`]);
    expect(header.stdout.trim()).toBe(`Authorization: ${basicAuthorization(TOKEN)}`);
    const elsewhere = get([
      'config',
      '--get-urlmatch',
      'http.extraHeader',
      'https://example.com/acme/images.git',
    ]);
    await expect(elsewhere).rejects.toMatchObject({ code: 1 });
  });

  it('leave nothing on disk: the token is in no file under the temporary directory', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'hephestus-cred-'));
    try {
      await run('git', ['config', '--get-urlmatch', 'http.extraHeader', `${ORIGIN}x.git`], {
        env: {
          ...gitEnvironment({ ...process.env, TMPDIR: tmp }),
          ...configEnvironment(credentialEntries(TOKEN, ORIGIN)),
        },
      });
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('number the entries as git reads them', () => {
    expect(
      configEnvironment([
        ['core.hooksPath', '/dev/null'],
        ['protocol.allow', 'never'],
      ]),
    ).toEqual({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'core.hooksPath',
      GIT_CONFIG_VALUE_0: '/dev/null',
      GIT_CONFIG_KEY_1: 'protocol.allow',
      GIT_CONFIG_VALUE_1: 'never',
    });
  });
});

describe('hardeningEntries', () => {
  it('turn hooks off and allow only the remote scheme', () => {
    expect(hardeningEntries('https://github.com/')).toEqual([
      ['core.hooksPath', '/dev/null'],
      ['protocol.allow', 'never'],
      ['protocol.https.allow', 'always'],
    ]);
    expect(hardeningEntries(undefined)).toEqual([
      ['core.hooksPath', '/dev/null'],
      ['protocol.allow', 'never'],
    ]);
  });
});
