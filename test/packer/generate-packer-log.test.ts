import { describe, expect, it } from 'vitest';
import { generatePackerLog } from '../../bench/generate-packer-log.js';
import { PackerLogScanner } from '../../src/packer/parse-log.js';

describe('generatePackerLog', () => {
  it('writes a log of about the size asked whose parse is what the generator says', () => {
    const scanner = new PackerLogScanner();
    let bytes = 0;
    const expected = generatePackerLog({ bytes: 2_000_000, seed: 7 }, (chunk) => {
      bytes += Buffer.byteLength(chunk);
      scanner.write(chunk);
    });
    expect(bytes).toBeGreaterThan(1_900_000);
    expect(bytes).toBeLessThan(2_100_000);
    expect(scanner.end()).toEqual(expected);
    expect(expected.builds.filter((build) => build.artifacts[0]?.images?.length === 3)).toHaveLength(3);
  });
});
