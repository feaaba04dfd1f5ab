import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  type LockEntry,
  type LockFile,
  parseLockFile,
  type Revocation,
  renderLockFile,
  revocationOf,
  sameBuild,
  withEntries,
  withRevocation,
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

describe('a revocation in the lock file', () => {
  const revocation: Revocation = {
    image: 'win2022',
    amis: entry.amis,
    reason: 'KB5034441 breaks RDP',
    revoked_at: '2026-12-02T03:14:00.000Z',
    revoked_by: 'https://circleci.com/gh/acme/windows-images/42',
  };
  const previous: LockEntry = {
    amis: { 'us-east-1': 'ami-0aaaaaaaaaaaaaaa1', 'us-west-2': 'ami-0aaaaaaaaaaaaaaa2' },
    input_hash: 'sha256:old',
    source_commit: 'a'.repeat(40),
  };
  const lock: LockFile = { version: 1, images: { win2022: entry, win2019: { ...entry, amis: {} } } };

  it('records the revocation and points the entry at what the channels hold again, in the file’s one form', () => {
    const revoked = withRevocation(lock, revocation, previous);
    expect(revoked.images.win2022).toEqual(previous);
    expect(revoked.images.win2019).toEqual(lock.images.win2019);
    expect(revocationOf(revoked, 'ami-0029fa6f6da0d0ceb')).toEqual(revocation);
    expect(revocationOf(revoked, previous.amis['us-east-1'] as string)).toBeUndefined();
    expect(parseLockFile(renderLockFile(revoked), 'lock')).toEqual(revoked);
    // A later promote keeps the record.
    expect(withEntries(revoked, { win2019: entry }).revoked).toEqual([revocation]);
  });

  it('records a revocation once: a re-run (even at another time) gives the same bytes', () => {
    const once = withRevocation(lock, revocation, previous);
    const twice = withRevocation(once, { ...revocation, revoked_at: '2026-12-02T04:00:00.000Z' }, previous);
    expect(renderLockFile(twice)).toBe(renderLockFile(once));
  });

  it('drops the revoked regions when nothing earlier can take their place', () => {
    const oneRegion = withRevocation(
      lock,
      { ...revocation, amis: { 'us-east-1': 'ami-0029fa6f6da0d0ceb' } },
      undefined,
    );
    expect(oneRegion.images.win2022?.amis).toEqual({ 'us-west-2': 'ami-05c67cddcc4c971ec' });
  });

  it('leaves an entry alone that names none of the revoked AMIs', () => {
    const other = withRevocation(
      lock,
      { ...revocation, amis: { 'us-east-1': 'ami-0bbbbbbbbbbbbbbb1' } },
      previous,
    );
    expect(other.images.win2022).toEqual(entry);
  });
});
