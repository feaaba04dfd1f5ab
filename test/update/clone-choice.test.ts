import { describe, expect, it } from 'vitest';
import { sparsePattern } from '../../src/git/git-repository.js';
import { describeClone } from '../../src/update/clone-choice.js';

describe('describeClone', () => {
  it('checks out a tip of small files whole and one with big files sparse, saying why', () => {
    expect([0, 1, 7].map(describeClone)).toMatchInlineSnapshot(`
      [
        {
          "reason": "no file of its tip is above 1 MiB, so all are checked out",
          "way": "whole",
        },
        {
          "reason": "1 file of its tip above 1 MiB left on the server; only the files to read and edit are checked out",
          "way": "sparse",
        },
        {
          "reason": "7 files of its tip above 1 MiB left on the server; only the files to read and edit are checked out",
          "way": "sparse",
        },
      ]
    `);
  });
});

describe('sparsePattern', () => {
  it('matches the path from the root and nothing else, wildcards escaped', () => {
    expect(
      ['resources/config.edn', './chart/', 'odd[1]*?.yml', '!x', 'dir\\file'].map(sparsePattern),
    ).toMatchInlineSnapshot(`
        [
          "/resources/config.edn",
          "/chart",
          "/odd\\[1]\\*\\?.yml",
          "/\\!x",
          "/dir/file",
        ]
      `);
  });
});
