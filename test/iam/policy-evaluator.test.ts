import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hephestusRoles, type PolicyDocument, type RoleKey, rolePolicy } from '../../src/aws/iam-policies.js';
import { conditionHolds, evaluate } from './policy-evaluator.js';

const policy = (Statement: PolicyDocument['Statement']): PolicyDocument => ({
  Version: '2012-10-17',
  Statement,
});

describe('the policy evaluator', () => {
  const doc = policy([
    { Sid: 'Reads', Effect: 'Allow', Action: ['ec2:Describe*'], Resource: ['*'] },
    {
      Sid: 'DeleteMarked',
      Effect: 'Allow',
      Action: ['ec2:DeregisterImage'],
      Resource: ['arn:aws:ec2:*::image/*'],
      Condition: { Null: { 'aws:ResourceTag/team': 'false' } },
    },
    {
      Sid: 'NeverProd',
      Effect: 'Deny',
      Action: ['ec2:*'],
      Resource: ['*'],
      Condition: { StringEquals: { 'aws:ResourceTag/team': 'prod' } },
    },
  ]);
  const image = 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0';

  it('allows by a matching statement, with wildcard actions matched case-insensitively', () => {
    expect(evaluate(doc, { action: 'EC2:describeimages', resource: '*', context: {} })).toEqual({
      effect: 'allow',
      sid: 'Reads',
    });
  });

  it('denies implicitly when no statement matches the action, the resource or the condition', () => {
    expect(evaluate(doc, { action: 'ec2:RunInstances', resource: '*', context: {} }).effect).toBe(
      'implicit-deny',
    );
    expect(
      evaluate(doc, {
        action: 'ec2:DeregisterImage',
        resource: 'arn:aws:ec2:us-east-1::snapshot/snap-1',
        context: {},
      }).effect,
    ).toBe('implicit-deny');
    expect(evaluate(doc, { action: 'ec2:DeregisterImage', resource: image, context: {} }).effect).toBe(
      'implicit-deny',
    );
  });

  it('lets an explicit deny win over an allow', () => {
    const allowed = {
      action: 'ec2:DeregisterImage',
      resource: image,
      context: { 'aws:ResourceTag/team': 'web' },
    };
    expect(evaluate(doc, allowed)).toEqual({ effect: 'allow', sid: 'DeleteMarked' });
    expect(evaluate(doc, { ...allowed, context: { 'aws:ResourceTag/team': 'prod' } })).toEqual({
      effect: 'explicit-deny',
      sid: 'NeverProd',
    });
  });

  it('treats keys case-insensitively and values case-sensitively', () => {
    const condition = { StringEquals: { 'aws:ResourceTag/Team': 'web' } };
    expect(conditionHolds(condition, { 'aws:resourcetag/team': 'web' })).toBe(true);
    expect(conditionHolds(condition, { 'aws:resourcetag/team': 'Web' })).toBe(false);
  });

  it('StringLike matches * and ? ; StringEquals is literal', () => {
    expect(conditionHolds({ StringLike: { k: 'packer-*' } }, { k: 'packer-win2022' })).toBe(true);
    expect(conditionHolds({ StringLike: { k: 'ami-????' } }, { k: 'ami-12345' })).toBe(false);
    expect(conditionHolds({ StringEquals: { k: 'packer-*' } }, { k: 'packer-win2022' })).toBe(false);
    expect(conditionHolds({ StringEquals: { k: ['a', 'b'] } }, { k: 'b' })).toBe(true);
  });

  it('a missing key fails a positive operator and passes a negated one', () => {
    expect(conditionHolds({ StringEquals: { k: 'x' } }, {})).toBe(false);
    expect(conditionHolds({ StringLike: { k: '*' } }, {})).toBe(false);
    expect(conditionHolds({ StringNotLike: { k: 'x*' } }, {})).toBe(true);
    expect(conditionHolds({ StringNotEquals: { k: 'x' } }, { k: 'x' })).toBe(false);
  });

  it('Null is true for an absent key (or an empty set) and false for a present one', () => {
    expect(conditionHolds({ Null: { k: 'true' } }, {})).toBe(true);
    expect(conditionHolds({ Null: { k: 'true' } }, { k: [] })).toBe(true);
    expect(conditionHolds({ Null: { k: 'true' } }, { k: '' })).toBe(false);
    expect(conditionHolds({ Null: { k: 'false' } }, { k: 'v' })).toBe(true);
    expect(conditionHolds({ Null: { k: 'false' } }, {})).toBe(false);
  });

  it('ForAllValues holds for every value (and vacuously for none); ForAnyValue needs one', () => {
    const notOurs = { 'ForAllValues:StringNotLike': { 'aws:TagKeys': ['hephestus:*'] } };
    expect(conditionHolds(notOurs, { 'aws:TagKeys': ['Name', 'team'] })).toBe(true);
    expect(conditionHolds(notOurs, { 'aws:TagKeys': ['Name', 'hephestus:status'] })).toBe(false);
    expect(conditionHolds(notOurs, {})).toBe(true);
    const anyOurs = { 'ForAnyValue:StringLike': { 'aws:TagKeys': ['hephestus:*'] } };
    expect(conditionHolds(anyOurs, { 'aws:TagKeys': ['Name', 'hephestus:status'] })).toBe(true);
    expect(conditionHolds(anyOurs, { 'aws:TagKeys': ['Name'] })).toBe(false);
    expect(conditionHolds(anyOurs, {})).toBe(false);
    const onlyOurs = { 'ForAllValues:StringLike': { 'aws:TagKeys': ['hephestus:*'] } };
    expect(conditionHolds(onlyOurs, { 'aws:TagKeys': ['hephestus:channel', 'Name'] })).toBe(false);
  });

  it('Bool compares true/false case-insensitively', () => {
    expect(conditionHolds({ Bool: { k: 'true' } }, { k: 'True' })).toBe(true);
    expect(conditionHolds({ Bool: { k: 'true' } }, { k: 'false' })).toBe(false);
  });

  it('refuses operators it does not know rather than ignoring them', () => {
    expect(() => conditionHolds({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, {})).toThrow(/IpAddress/);
    expect(() => conditionHolds({ StringEquals: { k: 'x' } }, { k: ['x'] })).toThrow(/multi-valued/);
  });
});

describe("the roles' policies, evaluated", () => {
  const roles = hephestusRoles();
  const policyOf = (key: RoleKey): PolicyDocument => {
    const role = roles.find((r) => r.key === key);
    const policy = role && rolePolicy(role);
    if (!policy) throw new Error(`no policy for ${key}`);
    return policy;
  };
  const image = 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0';
  const owner = { 'ec2:Owner': '123456789012' };

  it('the release role tags a validation instance with its keep-until expiry, and nothing else that way', () => {
    const request = (keys: string[], validates: string | undefined) => ({
      action: 'ec2:CreateTags',
      resource: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0',
      context: {
        'aws:TagKeys': keys,
        ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, '2026-12-02T15:04:05.000Z'])),
        ...(validates ? { 'aws:ResourceTag/hephestus:validates': validates } : {}),
      },
    });
    const release = policyOf('release');
    expect(evaluate(release, request(['hephestus:keep-until'], 'ami-0123456789abcdef0'))).toEqual({
      effect: 'allow',
      sid: 'ValidationKeepsFailedInstances',
    });
    // Not another key (a longer timeout, say), and not on an instance that is not a validation instance.
    const timeout = request(['hephestus:keep-until', 'hephestus:timeout-minutes'], 'ami-0123456789abcdef0');
    expect(evaluate(release, timeout).effect).toBe('implicit-deny');
    expect(evaluate(release, request(['hephestus:keep-until'], undefined)).effect).toBe('implicit-deny');
  });

  it('the packer role cannot write a hephestus:* tag, even alongside its own', () => {
    const request = (keys: string[]) => ({
      action: 'ec2:CreateTags',
      resource: image,
      context: {
        ...owner,
        'aws:TagKeys': keys,
        ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, 'x'])),
      },
    });
    expect(evaluate(policyOf('packer'), request(['Name'])).effect).toBe('allow');
    expect(evaluate(policyOf('packer'), request(['Name', 'hephestus:status']))).toEqual({
      effect: 'explicit-deny',
      sid: 'PackerNeverWritesHephestusTags',
    });
  });

  it('the packer role deletes unmarked images (its temporary ones) but never a marked one', () => {
    const request = (tags: Record<string, string>) => ({
      action: 'ec2:DeregisterImage',
      resource: image,
      context: {
        ...owner,
        ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
      },
    });
    expect(evaluate(policyOf('packer'), request({ Name: 'hephestus-win2022' })).effect).toBe('allow');
    expect(evaluate(policyOf('packer'), request({ 'hephestus:image': 'win2022' })).effect).toBe(
      'implicit-deny',
    );
  });

  it('the release role prunes only marked images and writes only hephestus:* tags', () => {
    const deregister = (context: Record<string, string>) =>
      evaluate(policyOf('release'), { action: 'ec2:DeregisterImage', resource: image, context }).effect;
    expect(deregister({ 'aws:ResourceTag/hephestus:image': 'win2022' })).toBe('allow');
    expect(deregister({ 'aws:ResourceTag/Name': 'someone-elses' })).toBe('implicit-deny');
    const tag = (keys: string[]) =>
      evaluate(policyOf('release'), {
        action: 'ec2:CreateTags',
        resource: image,
        context: { ...owner, 'aws:TagKeys': keys },
      }).effect;
    expect(tag(['hephestus:status'])).toBe('allow');
    expect(tag(['hephestus:status', 'Name'])).toBe('implicit-deny');
  });

  it('the release role launches only marked own images, tagged as validation instances with IMDSv2', () => {
    const launchImage = (context: Record<string, string>) =>
      evaluate(policyOf('release'), { action: 'ec2:RunInstances', resource: image, context }).effect;
    expect(launchImage({ ...owner, 'aws:ResourceTag/hephestus:image': 'win2022' })).toBe('allow');
    expect(launchImage({ 'ec2:Owner': 'amazon' })).toBe('implicit-deny');
    const instance = 'arn:aws:ec2:us-east-1:123456789012:instance/*';
    const launch = (context: Record<string, string>) =>
      evaluate(policyOf('release'), { action: 'ec2:RunInstances', resource: instance, context }).effect;
    expect(
      launch({ 'aws:RequestTag/hephestus:validates': 'ami-0123', 'ec2:MetadataHttpTokens': 'required' }),
    ).toBe('allow');
    expect(
      launch({ 'aws:RequestTag/hephestus:validates': 'ami-0123', 'ec2:MetadataHttpTokens': 'optional' }),
    ).toBe('implicit-deny');
  });

  it('the consumer role reads, and moves only channel tags of validated images', () => {
    const consumer = policyOf('consumer');
    expect(evaluate(consumer, { action: 'ec2:DescribeImages', resource: '*', context: {} }).effect).toBe(
      'allow',
    );
    const tag = (keys: string[], resourceTags: Record<string, string>) =>
      evaluate(consumer, {
        action: 'ec2:CreateTags',
        resource: image,
        context: {
          'aws:TagKeys': keys,
          ...Object.fromEntries(Object.entries(resourceTags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])),
        },
      }).effect;
    const validated = { 'hephestus:image': 'win2022', 'hephestus:status': 'validated' };
    expect(tag(['hephestus:channel'], validated)).toBe('allow');
    expect(tag(['hephestus:status'], validated)).toBe('implicit-deny');
    expect(tag(['hephestus:channel'], { ...validated, 'hephestus:status': 'failed' })).toBe('implicit-deny');
    expect(tag(['hephestus:channel'], {})).toBe('implicit-deny');
  });

  it('for any set of tag keys: the packer role may write them iff none is a hephestus:* key; the release role iff all are', () => {
    const key = fc.oneof(
      fc.constantFrom(
        'Name',
        'team',
        'hephestus:status',
        'hephestus:image',
        'hephestus-build',
        'HEPHESTUS:status',
      ),
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.string({ minLength: 1, maxLength: 12 }).map((rest) => `hephestus:${rest}`),
    );
    fc.assert(
      fc.property(fc.uniqueArray(key, { minLength: 1, maxLength: 5 }), (keys) => {
        const request = {
          action: 'ec2:CreateTags',
          resource: image,
          context: { ...owner, 'aws:TagKeys': keys },
        };
        const ours = keys.filter((k) => k.startsWith('hephestus:'));
        expect(evaluate(policyOf('packer'), request).effect === 'allow').toBe(ours.length === 0);
        expect(evaluate(policyOf('release'), request).effect === 'allow').toBe(ours.length === keys.length);
      }),
    );
  });
});
