import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  builtTags,
  fromTags,
  IMAGE_STATUSES,
  type ImageTags,
  tagFilters,
  toTags,
} from '../../src/aws/image-tags.js';

const value = fc.string({ minLength: 1, maxLength: 256 });
const modelArb: fc.Arbitrary<ImageTags> = fc.record(
  {
    run: value,
    gitSha: fc.stringMatching(/^[0-9a-f]{40}$/),
    branch: value,
    status: fc.constantFrom(...IMAGE_STATUSES),
    channel: fc.constantFrom('canary', 'edge', 'stable'),
    previousChannel: fc.constantFrom('canary', 'edge', 'stable'),
    replaces: value,
    image: value,
    inputHash: value,
  },
  { requiredKeys: [] },
);

describe('image tags', () => {
  it('round-trips through EC2 tags', () => {
    fc.assert(
      fc.property(modelArb, (model) => {
        expect(fromTags(toTags(model))).toEqual(model);
      }),
    );
  });

  it('writes the documented keys for a built image', () => {
    expect(
      builtTags({
        run: '1234',
        gitSha: 'abc123',
        branch: 'windows-update/win2022',
        image: 'win2022',
        inputHash: 'sha256:ff',
      }),
    ).toEqual([
      { Key: 'hephestus:run', Value: '1234' },
      { Key: 'hephestus:git-sha', Value: 'abc123' },
      { Key: 'hephestus:branch', Value: 'windows-update/win2022' },
      { Key: 'hephestus:status', Value: 'built' },
      { Key: 'hephestus:image', Value: 'win2022' },
      { Key: 'hephestus:input-hash', Value: 'sha256:ff' },
    ]);
  });

  it('ignores foreign tags and an unknown status, and cuts values EC2 would refuse', () => {
    expect(
      fromTags([
        { Key: 'Name', Value: 'x' },
        { Key: 'hephestus:status', Value: 'weird' },
        { Key: 'hephestus:image', Value: 'win' },
      ]),
    ).toEqual({ image: 'win' });
    expect(toTags({ branch: 'b'.repeat(300) })[0]?.Value).toHaveLength(256);
  });

  it('turns a model into DescribeImages tag filters', () => {
    expect(tagFilters({ image: 'win2022', channel: 'stable' })).toEqual([
      { Name: 'tag:hephestus:channel', Values: ['stable'] },
      { Name: 'tag:hephestus:image', Values: ['win2022'] },
    ]);
  });
});
