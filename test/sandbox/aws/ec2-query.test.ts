import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AwsClock } from '../../../src/sandbox/aws/aws-clock.js';
import {
  Ec2Error,
  matchesFilters,
  paginate,
  parseFilters,
  QueryParams,
  tagsFor,
  wildcard,
} from '../../../src/sandbox/aws/ec2-query.js';

const query = (body: string) => QueryParams.parse(body, new URLSearchParams());

describe('QueryParams', () => {
  it('reads flattened lists and structures in index order, as the SDKs serialise them', () => {
    const params = query(
      'Action=DescribeImages&ImageId.2=ami-b&ImageId.1=ami-a&Filter.1.Name=name&Filter.1.Value.1=Windows*&Filter.1.Value.2=x&Filter.10.Name=state&Filter.10.Value.1=available&Filter.2.Name=tag%3Ahephestus%3Achannel&Filter.2.Value.1=canary',
    );
    expect(params.list('ImageId')).toEqual(['ami-a', 'ami-b']);
    expect(parseFilters(params)).toEqual([
      { name: 'name', values: ['Windows*', 'x'] },
      { name: 'tag:hephestus:channel', values: ['canary'] },
      { name: 'state', values: ['available'] },
    ]);
  });

  it('collects tags of one resource type from TagSpecification', () => {
    const params = query(
      'TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=validate&TagSpecification.2.ResourceType=volume&TagSpecification.2.Tag.1.Key=v&TagSpecification.2.Tag.1.Value=1',
    );
    expect(tagsFor(params, 'instance')).toEqual({ Name: 'validate' });
    expect(tagsFor(params, 'volume')).toEqual({ v: '1' });
    expect(tagsFor(params, 'image')).toEqual({});
  });

  it('answers MissingParameter for a required parameter that is absent', () => {
    expect(() => query('Action=CreateImage').require('InstanceId')).toThrow(
      expect.objectContaining({ code: 'MissingParameter' }) as unknown as Error,
    );
  });
});

describe('EC2 filter wildcards', () => {
  it('match a literal string that has its wildcards escaped', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(wildcard(text.replace(/[\\*?]/g, '\\$&')).test(text)).toBe(true);
      }),
    );
  });

  it('`*` matches any run and `?` exactly one character', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string({ minLength: 1, maxLength: 1 }), (head, tail, one) => {
        const literal = (s: string) => s.replace(/[\\*?]/g, '\\$&');
        expect(wildcard(`${literal(head)}*`).test(head + tail)).toBe(true);
        expect(wildcard(`${literal(head)}?`).test(head + one)).toBe(true);
        expect(wildcard(`${literal(head)}?`).test(head)).toBe(false);
      }),
    );
  });

  it('AND filters together, OR values within one, and reject unknown filter names', () => {
    const fields = (name: string) => (name === 'name' ? ['Windows_Server-2022'] : undefined);
    const tags = { 'hephestus:channel': 'edge' };
    expect(matchesFilters([{ name: 'name', values: ['nope', 'Windows_*'] }], tags, fields)).toBe(true);
    expect(
      matchesFilters(
        [
          { name: 'name', values: ['Windows_*'] },
          { name: 'tag:hephestus:channel', values: ['stable'] },
        ],
        tags,
        fields,
      ),
    ).toBe(false);
    expect(matchesFilters([{ name: 'tag-key', values: ['hephestus:*'] }], tags, fields)).toBe(true);
    expect(() => matchesFilters([{ name: 'size', values: ['1'] }], tags, fields)).toThrow(Ec2Error);
  });
});

describe('paginate', () => {
  it('returns every item exactly once across pages of any allowed size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 60 }),
        fc.integer({ min: 5, max: 1000 }),
        (items, size) => {
          const seen: number[] = [];
          let token: string | undefined;
          let pages = 0;
          do {
            const params = query(`MaxResults=${size}${token ? `&NextToken=${token}` : ''}`);
            const { page, nextToken } = paginate(items, params);
            seen.push(...page);
            token = nextToken;
            pages++;
          } while (token);
          expect(seen).toEqual(items);
          expect(pages).toBe(Math.max(1, Math.ceil(items.length / size)));
        },
      ),
    );
  });

  it('rejects a page size outside EC2 bounds', () => {
    expect(() => paginate([1, 2, 3], query('MaxResults=4'))).toThrow(/between 5 and 1000/);
  });
});

describe('AwsClock', () => {
  it('runs events in time order once due, scaled, including zero-delay follow-ups', () => {
    const clock = new AwsClock();
    clock.scale = 0.5;
    const order: string[] = [];
    clock.schedule(200_000, () => order.push('late'));
    clock.schedule(100_000, () => {
      order.push('early');
      clock.schedule(0, () => order.push('follow-up'));
    });
    clock.advance(40_000);
    expect(order).toEqual([]);
    clock.advance(20_000);
    expect(order).toEqual(['early', 'follow-up']);
    clock.advance(40_000);
    expect(order).toEqual(['early', 'follow-up', 'late']);
    expect(clock.pending()).toBe(0);
  });
});
