import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSecrets } from '../../src/config/secrets.js';
import { Logger } from '../../src/log/logger.js';
import { REDACTED, Redactor } from '../../src/log/redact.js';

const CANARY = 'ghp_CANARY0123456789abcdefABCDEF+/=';

describe('Redactor', () => {
  const redactor = new Redactor([CANARY]);

  it('removes the raw, URL-encoded and base64 forms', () => {
    for (const form of [CANARY, encodeURIComponent(CANARY), Buffer.from(CANARY).toString('base64')]) {
      expect(redactor.redact(`token=${form};`)).toBe(`token=${REDACTED};`);
    }
  });

  it('finds the secret inside a larger base64 string such as a basic-auth header', () => {
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${CANARY}`).toString('base64')}`;
    expect(redactor.leaks(header)).toBe(true);
    expect(redactor.redact(header)).toContain(REDACTED);
  });

  it('finds any secret at any offset of a base64 stream (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 40 }),
        fc.string({ maxLength: 9 }),
        fc.string({ maxLength: 9 }),
        (secret, before, after) => {
          const r = new Redactor([secret]);
          const encoded = Buffer.from(before + secret + after).toString('base64');
          expect(r.leaks(encoded)).toBe(true);
        },
      ),
    );
  });

  it('ignores values too short to be secrets', () => {
    expect(new Redactor(['abc']).redact('abc def')).toBe('abc def');
  });

  it('redacts what the logger prints, errors and stacks included', () => {
    const lines: string[] = [];
    const stream = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
    const logger = new Logger({ redactor, stream, out: stream });
    const error = new Error(`clone of https://x-access-token:${CANARY}@github.com/a/b failed`);
    logger.error('push failed', error);
    logger.result({ url: `https://h/?t=${encodeURIComponent(CANARY)}` });
    const printed = lines.join('');
    expect(printed).toContain('push failed');
    expect(redactor.leaks(printed)).toBe(false);
  });
});

describe('readSecrets', () => {
  it('prefers the ecosystem names and pairs USERNAME only with PASSWORD', () => {
    const secrets = readSecrets({
      GITHUB_TOKEN: 'ghp_one',
      PASSWORD: 'pw_two',
      USERNAME: 'bot',
      CCI_PASSWORD: 'cci',
      SLACK_ACCESS_TOKEN: 'xoxb-1',
    });
    expect(secrets.github).toEqual({ token: 'ghp_one', username: 'x-access-token', source: 'GITHUB_TOKEN' });
    expect(secrets.circleci).toEqual({ token: 'cci', source: 'CCI_PASSWORD' });
    expect(readSecrets({ PASSWORD: 'pw_two', USERNAME: 'bot' }).github).toEqual({
      token: 'pw_two',
      username: 'bot',
      source: 'PASSWORD',
    });
    expect(readSecrets({ CIRCLE_TOKEN: 'a', CCI_PASSWORD: 'b' }).circleci?.source).toBe('CIRCLE_TOKEN');
  });
});
