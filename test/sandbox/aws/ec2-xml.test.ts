import { describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT_ID } from '../../../src/sandbox/aws/aws-auth.js';
import { seedEc2State, seedImageId } from '../../../src/sandbox/aws/ec2-state.js';
import { escapeXml, imageXml, renderError, renderResponse } from '../../../src/sandbox/aws/ec2-xml.js';

describe('EC2 XML', () => {
  it('renders a seeded base image as DescribeImages answers it', async () => {
    const state = seedEc2State(SANDBOX_ACCOUNT_ID, ['us-east-1'], true);
    const image = state.images.get(
      seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.10.15'),
    );
    expect(image).toBeDefined();
    const xml = renderResponse('DescribeImages', '11111111-2222-3333-4444-555555555555', {
      imagesSet: image ? [imageXml(image)] : [],
    });
    await expect(xml.replace(/></g, '>\n<')).toMatchFileSnapshot('__snapshots__/describe-images.xml');
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
