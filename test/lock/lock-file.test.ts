import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  type LockEntry,
  type LockFile,
  parseLockFile,
  renderLockFile,
  sameBuild,
  withEntries,
} from '../../src/lock/lock-file.js';

const entry: LockEntry = {
  validation: { url: 'https://circleci.com/gh/acme/windows-images/812', run: 'wf-1' },
  source_commit: '28726543a6bedff0d20f86a3bbfb143b7b629740',
  packer_version: 'Packer v1.6.6',
  input_hash: 'sha256:a32bd22b6fbd4671006e1a3ea6bd257a2d440e8661e7bd388e5da941891cae8a',
  amis: { 'us-west-2': 'ami-05c67cddcc4c971ec', 'us-east-1': 'ami-0029fa6f6da0d0ceb' },
};

describe('the lock file', () => {
  it('renders with sorted keys, two-space indentation and a trailing newline', () => {
    const text = renderLockFile(withEntries({ version: 1, images: {} }, { win2022: entry }));
    expect(text).toBe(`{
  "images": {
    "win2022": {
      "amis": {
        "us-east-1": "ami-0029fa6f6da0d0ceb",
        "us-west-2": "ami-05c67cddcc4c971ec"
      },
      "input_hash": "sha256:a32bd22b6fbd4671006e1a3ea6bd257a2d440e8661e7bd388e5da941891cae8a",
      "packer_version": "Packer v1.6.6",
      "source_commit": "28726543a6bedff0d20f86a3bbfb143b7b629740",
      "validation": {
        "run": "wf-1",
        "url": "https://circleci.com/gh/acme/windows-images/812"
      }
    }
  },
  "version": 1
}
`);
  });

  it('renders the same bytes whatever order the entries were built in, and reads back what it wrote', () => {
    const ami = fc.stringMatching(/^ami-[0-9a-f]{17}$/);
    const region = fc.constantFrom('us-east-1', 'us-west-2', 'eu-central-1');
    const lockEntry = fc.record({
      amis: fc.dictionary(region, ami),
      input_hash: fc.string({ minLength: 1 }),
      source_commit: fc.string({ minLength: 1 }),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,9}$/), lockEntry), (images) => {
        const lock: LockFile = { version: 1, images };
        const reversed: LockFile = {
          version: 1,
          images: Object.fromEntries(Object.entries(images).reverse()),
        };
        const text = renderLockFile(lock);
        expect(renderLockFile(reversed)).toBe(text);
        expect(parseLockFile(text, 'images.lock.json')).toEqual(lock);
      }),
    );
  });

  it('refuses a file that is not a lock, naming the place', () => {
    expect(() =>
      parseLockFile('{"version":1,"images":{"win2022":{"amis":{"us-east-1":"ami-x"}}}}', 'images.lock.json'),
    ).toThrow(InputError);
    expect(() => parseLockFile('{', 'images.lock.json')).toThrow(/images.lock.json is not valid JSON/);
  });

  it('compares builds by inputs and outputs, not by the run that recorded them', () => {
    expect(sameBuild(entry, { ...entry, validation: { run: 'wf-2' }, packer_version: 'Packer v1.7.0' })).toBe(
      true,
    );
    expect(
      sameBuild(entry, { ...entry, amis: { ...entry.amis, 'us-east-1': 'ami-0123456789abcdef0' } }),
    ).toBe(false);
    expect(sameBuild(entry, undefined)).toBe(false);
  });
});
