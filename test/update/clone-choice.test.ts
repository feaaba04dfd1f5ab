import { describe, expect, it } from 'vitest';
import { sparsePattern } from '../../src/git/git-repository.js';
import { chooseClone, SPARSE_CLONE_ABOVE_KB, sparseCloneAboveKb } from '../../src/update/clone-choice.js';

const TEN_MIB = 10 * 1024;

describe('chooseClone', () => {
  it('clones a small repository whole and a big one blobless and sparse, saying why', () => {
    expect(
      [68, TEN_MIB, TEN_MIB + 1, 307_200, undefined].map((size) => chooseClone(size, TEN_MIB)),
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

describe('the sparse line', () => {
  it("is past GitHub's 1 GB recommendation by default, so a long history of small files is cloned shallow", () => {
    expect(SPARSE_CLONE_ABOVE_KB).toBe(1024 * 1024);
    expect(chooseClone(307_200).way).toBe('shallow');
    expect(chooseClone(SPARSE_CLONE_ABOVE_KB + 1).way).toBe('sparse');
  });

  it('moves with HEPHESTUS_SPARSE_CLONE_ABOVE_MB, and refuses a value that is no whole number', () => {
    expect(sparseCloneAboveKb({})).toBe(SPARSE_CLONE_ABOVE_KB);
    expect(sparseCloneAboveKb({ HEPHESTUS_SPARSE_CLONE_ABOVE_MB: '10' })).toBe(10 * 1024);
    for (const bad of ['ten', '-1', '1.5', '10MB'])
      expect(() => sparseCloneAboveKb({ HEPHESTUS_SPARSE_CLONE_ABOVE_MB: bad })).toThrow(
        /HEPHESTUS_SPARSE_CLONE_ABOVE_MB/,
      );
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
