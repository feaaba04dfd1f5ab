import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  basicAuthorization,
  credentialConfig,
  remoteOrigin,
  withCredentials,
} from '../../src/git/git-credentials.js';

const TOKEN = 'ghs_credCanary0123456789abcdef';
const run = promisify(execFile);

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

describe('credentialConfig', () => {
  it('refuses a token that would break the config line', () => {
    expect(() => credentialConfig('abc\ndef', 'https://github.com/')).toThrow(/printable ASCII/);
  });
});

describe('withCredentials', () => {
  it('gives git the header for the remote origin only, and no credential helper', async () => {
    await withCredentials(TOKEN, 'http://127.0.0.1:8080/', async (entry) => {
      const file = entry.replace(/^include\.path=/, '');
      const get = (args: string[]) =>
        run('git', ['-c', entry, ...args], { env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
      const header = await get([
        'config',
        '--get-urlmatch',
        'http.extraHeader',
        'http://127.0.0.1:8080/acme/images.git',
      ]);
      expect(header.stdout.trim()).toBe(`Authorization: ${basicAuthorization(TOKEN)}`);
      const elsewhere = get([
        'config',
        '--get-urlmatch',
        'http.extraHeader',
        'https://example.com/acme/images.git',
      ]);
      await expect(elsewhere).rejects.toMatchObject({ code: 1 });
      const helpers = await get(['config', '--get-all', 'credential.helper']);
      expect(helpers.stdout.split('\n').at(-2)).toBe('');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(dirname(file))).mode & 0o777).toBe(0o700);
    });
  });

  it('removes the file afterwards, also when the command fails', async () => {
    let file = '';
    const failing = withCredentials(TOKEN, 'https://github.com/', async (entry) => {
      file = entry.replace(/^include\.path=/, '');
      expect(await readFile(file, 'utf8')).toContain('extraHeader');
      throw new Error('git failed');
    });
    await expect(failing).rejects.toThrow('git failed');
    expect(file).not.toBe('');
    expect(existsSync(file)).toBe(false);
    expect(existsSync(dirname(file))).toBe(false);
  });
});
