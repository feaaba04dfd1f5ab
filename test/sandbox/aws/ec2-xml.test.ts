import { describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT_ID } from '../../../src/sandbox/aws/aws-auth.js';
import { seedEc2State, seedImageId } from '../../../src/sandbox/aws/ec2-state.js';
import {
  deregistrationProtectionText,
  escapeXml,
  imageXml,
  renderError,
  renderResponse,
} from '../../../src/sandbox/aws/ec2-xml.js';

describe('EC2 XML', () => {
  it('renders a seeded base image as DescribeImages answers it', async () => {
    const state = seedEc2State(SANDBOX_ACCOUNT_ID, ['us-east-1'], true);
    const image = state.images.get(
      seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.10.15'),
    );
    expect(image).toBeDefined();
    const xml = renderResponse('DescribeImages', '11111111-2222-3333-4444-555555555555', {
      imagesSet: image ? [imageXml(image, Date.parse('2026-12-01T00:00:00Z'))] : [],
    });
    await expect(xml.replace(/></g, '>\n<')).toMatchFileSnapshot('__snapshots__/describe-images.xml');
  });

  it('renders a disabled image in its deregistration cooldown with the lifecycle fields', () => {
    const state = seedEc2State(SANDBOX_ACCOUNT_ID, ['us-east-1'], true);
    const seeded = state.images.get(
      seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.10.15'),
    );
    if (!seeded) throw new Error('seed image missing');
    const now = Date.parse('2026-12-01T09:30:00.000Z');
    const image = {
      ...seeded,
      imageId: 'ami-0123456789abcdef0',
      name: 'hephestus-win2022-20261120',
      ownerId: SANDBOX_ACCOUNT_ID,
      ownerAlias: undefined,
      isPublic: false,
      state: 'disabled' as const,
      deprecationTime: Date.parse('2026-12-08T00:00:00.000Z'),
      deregistrationProtection: { state: 'cooling-down' as const, until: now + 3_600_000 },
    };
    const { imageState, deprecationTime, deregistrationProtection, imageLocation } = imageXml(
      image,
      now,
    ) as Record<string, unknown>;
    expect({ imageState, deprecationTime, deregistrationProtection, imageLocation }).toMatchInlineSnapshot(`
      {
        "deprecationTime": "2026-12-08T00:00:00.000Z",
        "deregistrationProtection": "disabled-until 2026-12-01T10:30:00.000Z",
        "imageLocation": "111122223333/hephestus-win2022-20261120",
        "imageState": "disabled",
      }
    `);
  });

  it('renders deregistration protection as EC2 words it', () => {
    const now = Date.parse('2026-12-01T09:30:00.000Z');
    expect([
      deregistrationProtectionText(undefined, now),
      deregistrationProtectionText({ state: 'enabled', withCooldown: false }, now),
      deregistrationProtectionText({ state: 'enabled', withCooldown: true }, now),
      deregistrationProtectionText({ state: 'cooling-down', until: now + 86_400_000 }, now),
      deregistrationProtectionText({ state: 'cooling-down', until: now }, now),
    ]).toMatchInlineSnapshot(`
      [
        "disabled",
        "enabled-without-cooldown",
        "enabled-with-cooldown",
        "disabled-until 2026-12-02T09:30:00.000Z",
        "disabled",
      ]
    `);
  });

  it('renders errors in the Response/Errors/Error shape, escaped', () => {
    expect(renderError('InvalidAMIName.Malformed', `name <"x"> & 'y'`, 'req-1')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidAMIName.Malformed</Code><Message>name &lt;&quot;x&quot;&gt; &amp; &apos;y&apos;</Message></Error></Errors><RequestID>req-1</RequestID></Response>',
    );
    expect(escapeXml('plain')).toBe('plain');
  });

  it('renders arrays as item lists and leaves out undefined fields', () => {
    expect(renderResponse('X', 'r', { a: [{ b: 1 }, { b: undefined }], c: undefined, d: true })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<XResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><a><item><b>1</b></item><item></item></a><d>true</d></XResponse>',
    );
  });
});
