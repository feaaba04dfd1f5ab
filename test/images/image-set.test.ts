import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  amiFor,
  coversImageSet,
  imageSetName,
  parseImageAmis,
  parseImageNames,
} from '../../src/images/image-set.js';
import { inputHash } from '../../src/images/input-hash.js';

const AMI = 'ami-0123456789abcdef0';
const OTHER = 'ami-0fedcba9876543210';

describe('image sets and the --images parameter', () => {
  it('names an image set by its sorted, unique image names', () => {
    expect(imageSetName(['win2022', 'win2019', 'win2022'])).toBe('win2019-win2022');
    expect(() => imageSetName([])).toThrow(InputError);
  });

  it('reads names, name=ami pairs and the JSON promote passes', () => {
    expect(parseImageNames('win2022, win2019')).toEqual(['win2022', 'win2019']);
    expect(parseImageAmis(`win2022=${AMI}`)).toEqual({ win2022: { '*': AMI } });
    const json = parseImageAmis(JSON.stringify({ win2022: { 'us-east-1': AMI, 'us-west-2': OTHER } }));
    expect(amiFor(json.win2022 ?? {}, 'us-west-2')).toBe(OTHER);
    expect(amiFor(json.win2022 ?? {}, undefined)).toBe(AMI);
    expect(parseImageNames(JSON.stringify({ win2019: AMI }))).toEqual(['win2019']);
  });

  it('refuses what is not an AMI id, naming --images', () => {
    for (const bad of ['win2022=ami-xyz', '{"win2022": 3}', '{not json', 'win2022']) {
      const error = (() => {
        try {
          parseImageAmis(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(error, bad).toBeInstanceOf(InputError);
      expect((error as InputError).location.setting).toBe('--images');
    }
  });
});

describe('input hash', () => {
  const file = fc.record({
    path: fc.stringMatching(/^[a-z]{1,8}(\/[a-z]{1,8}){0,2}\.(ps1|hcl)$/),
    blob: fc.stringMatching(/^[0-9a-f]{40}$/),
  });

  it('does not depend on the order the files are listed in', () => {
    fc.assert(
      fc.property(fc.uniqueArray(file, { selector: (f) => f.path, maxLength: 8 }), (files) => {
        expect(inputHash([...files].reverse(), { pin: AMI })).toBe(inputHash(files, { pin: AMI }));
      }),
    );
  });

  it('changes with any file content, path or the pin', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(file, { selector: (f) => f.path, minLength: 1, maxLength: 8 }),
        fc.nat(),
        (files, pick) => {
          const base = inputHash(files, { pin: AMI });
          const i = pick % files.length;
          const changed = files.map((f, j) =>
            j === i ? { ...f, blob: f.blob === '0'.repeat(40) ? '1'.repeat(40) : '0'.repeat(40) } : f,
          );
          expect(inputHash(changed, { pin: AMI })).not.toBe(base);
          expect(inputHash(files, { pin: OTHER })).not.toBe(base);
          expect(inputHash(files.slice(0, i).concat(files.slice(i + 1)), { pin: AMI })).not.toBe(base);
        },
      ),
    );
  });
});

describe('coversImageSet', () => {
  const names = ['win2022', 'win2019', 'win-core-2022'];
  it('is true for the image set of a proper subset of the names, names with dashes included', () => {
    expect(coversImageSet(names, 'win2022')).toBe(true);
    expect(coversImageSet(names, 'win2019-win2022')).toBe(true);
    expect(coversImageSet(names, 'win-core-2022-win2022')).toBe(true);
    expect(coversImageSet(names, 'win-core-2022')).toBe(true);
  });
  it('is false for the whole set, other names, and partial names', () => {
    expect(coversImageSet(names, imageSetName(names))).toBe(false);
    expect(coversImageSet(names, 'win2016')).toBe(false);
    expect(coversImageSet(names, 'win2022-win2016')).toBe(false);
    expect(coversImageSet(names, 'win-core')).toBe(false);
    expect(coversImageSet(names, '')).toBe(false);
  });
});
