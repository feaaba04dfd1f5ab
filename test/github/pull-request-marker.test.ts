import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  markedComment,
  readManagedState,
  withManagedState,
  withoutManagedState,
} from '../../src/github/pull-request-marker.js';

const state = fc.record({
  imageSet: fc.string({ minLength: 1 }),
  labels: fc.array(fc.string()),
  reviewers: fc.array(fc.string()),
  teamReviewers: fc.array(fc.string()),
});
const sorted = (values: string[]) => [...new Set(values)].sort((a, b) => a.localeCompare(b));

describe('the PR state block', () => {
  it('reads back what was written, whatever the body and values (even "-->" in a label)', () => {
    fc.assert(
      fc.property(fc.string(), state, (body, s) => {
        const written = withManagedState(body, s);
        expect(readManagedState(written)).toEqual({
          imageSet: s.imageSet,
          labels: sorted(s.labels),
          reviewers: sorted(s.reviewers),
          teamReviewers: sorted(s.teamReviewers),
        });
        expect(written.match(/-->/g)).toHaveLength(1);
      }),
    );
  });

  it('replaces an earlier block instead of adding one, and keeps the text before it', () => {
    fc.assert(
      fc.property(fc.string(), state, state, (body, first, second) => {
        const twice = withManagedState(withManagedState(body, first), second);
        expect(twice).toBe(withManagedState(body, second));
        expect(withoutManagedState(twice).trimEnd()).toBe(body.replace(/\r\n/g, '\n').trimEnd());
      }),
    );
  });

  it('writes equal bodies for equal states in any order', () => {
    const a = withManagedState('Text', {
      imageSet: 'w',
      labels: ['b', 'a', 'a'],
      reviewers: [],
      teamReviewers: [],
    });
    const b = withManagedState('Text', {
      imageSet: 'w',
      labels: ['a', 'b'],
      reviewers: [],
      teamReviewers: [],
    });
    expect(a).toBe(b);
    expect(a).toBe(
      'Text\n\n<!-- hephestus:pull-request {"imageSet":"w","labels":["a","b"],"reviewers":[],"teamReviewers":[]} -->\n',
    );
  });

  it('finds no state in a body without one, or with a broken one', () => {
    expect(readManagedState('Just a description.')).toBeUndefined();
    expect(readManagedState('x\n<!-- hephestus:pull-request {"imageSet": 3} -->')).toBeUndefined();
    expect(readManagedState('x\n<!-- hephestus:pull-request {not json} -->')).toBeUndefined();
  });

  it('reads a body GitHub returns with CRLF line ends', () => {
    const body = withManagedState('Line one\nLine two', {
      imageSet: 'w',
      labels: ['x'],
      reviewers: [],
      teamReviewers: [],
    });
    expect(readManagedState(body.replace(/\n/g, '\r\n'))?.labels).toEqual(['x']);
  });

  it('starts a marked comment with its marker', () => {
    expect(markedComment('update-blocked', 'Text\n\n')).toBe(
      '<!-- hephestus:comment update-blocked -->\nText\n',
    );
  });
});
