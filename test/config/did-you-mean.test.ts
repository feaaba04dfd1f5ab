import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../src/config/did-you-mean.js';

describe('closestMatch', () => {
  it('finds transpositions, omissions and case slips', () => {
    const keys = ['branch_prefix', 'default_branch', 'author_name', 'author_email'];
    expect(closestMatch('brnach_prefix', keys)).toBe('branch_prefix');
    expect(closestMatch('author_mail', keys)).toBe('author_email');
    expect(closestMatch('Default_Branch', keys)).toBe('default_branch');
  });

  it('suggests nothing for unrelated names', () => {
    expect(closestMatch('colour', ['branch_prefix', 'keep'])).toBeUndefined();
  });

  it('computes edit distances', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
