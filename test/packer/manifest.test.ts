import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseManifest } from '../../src/packer/manifest.js';

const fixture = (name: string) => new URL(`../fixtures/packer/${name}`, import.meta.url).pathname;

describe('parseManifest', () => {
  it('takes only the last run of a manifest that two runs appended to', async () => {
    const result = parseManifest(readFileSync(fixture('manifest-two-runs.json'), 'utf8'));
    await expect(`${JSON.stringify(result, null, 2)}\n`).toMatchFileSnapshot(
      '__snapshots__/manifest-two-runs.json',
    );
    expect(result.builds.map((build) => build.name)).toEqual(['amazon-ebs.win2022', 'file.config']);
    expect(result.builds[0]?.artifacts[0]?.images?.map((image) => image.ami)).toEqual([
      'ami-0c1d2e3f4a5b6c7d8',
      'ami-0d2e3f4a5b6c7d8e9',
      'ami-0e3f4a5b6c7d8e9f0',
    ]);
  });

  it('names the file, line and column of invalid JSON', () => {
    const error = (() => {
      try {
        parseManifest('{\n  "builds": [\n    {,}\n  ]\n}\n', 'manifest.json');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location).toEqual({ file: 'manifest.json', line: 3, column: 6 });
  });

  it('names the setting that has the wrong type', () => {
    const text = JSON.stringify({
      builds: [{ name: 'x', builder_type: 7, packer_run_uuid: 'u' }],
      last_run_uuid: 'u',
    });
    expect(() => parseManifest(text, 'm.json')).toThrow(
      expect.objectContaining({ location: { file: 'm.json', setting: 'builds[0].builder_type' } }),
    );
    expect(() => parseManifest('[]', 'm.json')).toThrow(InputError);
  });
});
