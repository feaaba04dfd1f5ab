import { describe, expect, it } from 'vitest';
import { jobLink, oneLine, revokeReason } from '../../src/images/revoke-reason.js';

describe('the reason and job link revoke records', () => {
  it('puts the reason on one line without control or bidi characters', () => {
    expect(revokeReason('  KB5034441\r\n breaks\tRDP \u202Eon login\u0000 ')).toBe(
      'KB5034441 breaks RDP on login',
    );
    expect(oneLine('a\u2028b\u200Bc')).toBe('a b c');
  });

  it('refuses a missing, empty or over-long reason with exit 2, naming --reason', () => {
    for (const given of [undefined, '', ' \n\u0007 ']) {
      expect(() => revokeReason(given)).toThrow(
        expect.objectContaining({ exitCode: 2, location: { setting: '--reason' } }),
      );
    }
    expect(revokeReason('x'.repeat(256))).toHaveLength(256);
    // Counted in characters, as EC2 counts a tag value: 256 emoji fit, 257 do not.
    expect([...revokeReason('😀'.repeat(256))]).toHaveLength(256);
    expect(() => revokeReason('😀'.repeat(257))).toThrow(/257 characters long; at most 256 fit an AMI tag/);
  });

  it('keeps only an http(s) job link', () => {
    expect(jobLink('https://circleci.com/gh/acme/windows-images/42')).toBe(
      'https://circleci.com/gh/acme/windows-images/42',
    );
    expect(jobLink(undefined)).toBeUndefined();
    expect(jobLink('javascript:alert(1)')).toBeUndefined();
    expect(jobLink('https://example.com/\u202Efdp.exe')).toBeUndefined();
    expect(jobLink(`https://example.com/${'a'.repeat(300)}`)).toBeUndefined();
  });
});
