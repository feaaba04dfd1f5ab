import { describe, expect, it } from 'vitest';
import { sparsePattern } from '../../src/git/git-repository.js';
import { chooseClone, SPARSE_CLONE_ABOVE_KB } from '../../src/update/clone-choice.js';

describe('chooseClone', () => {
  it('clones a small repository whole and a big one blobless and sparse, saying why', () => {
    expect(
      [68, SPARSE_CLONE_ABOVE_KB, SPARSE_CLONE_ABOVE_KB + 1, 307_200, undefined].map(chooseClone),
    ).toMatchInlineSnapshot(`
        [
          {
            "reason": "it reports 68 KiB, within 10 MiB: the tip cloned whole",
            "way": "shallow",
          },
          {
            "reason": "it reports 10.0 MiB, within 10 MiB: the tip cloned whole",
            "way": "shallow",
          },
          {
            "reason": "it reports 10.0 MiB, above 10 MiB: blobless, only the files to read and edit",
            "way": "sparse",
          },
          {
            "reason": "it reports 300.0 MiB, above 10 MiB: blobless, only the files to read and edit",
            "way": "sparse",
          },
          {
            "reason": "its size could not be read, so the tip is cloned whole",
            "way": "shallow",
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
