import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientsPerRegion, createAwsClients } from '../../src/aws/ec2-client.js';
import { InputError } from '../../src/errors.js';
import { type Sandbox, startSandbox } from './aws-sandbox.js';

let aws: Sandbox;
beforeAll(async () => {
  aws = await startSandbox();
});
afterAll(() => aws.close());

describe('createAwsClients', () => {
  it('reaches the endpoints the environment names, in the region asked for, with bounded adaptive retries', async () => {
    const { ec2 } = createAwsClients({
      region: 'eu-central-1',
      env: { ...aws.env, HEPHESTUS_AWS_MAX_ATTEMPTS: '3' },
    });
    aws.ec2.throttle({ action: 'DescribeImages', times: 2 });
    const { Images = [] } = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    expect(Images.length).toBeGreaterThan(0);
    expect(
      aws.ec2.calls.filter((c) => c.action === 'DescribeImages').map((c) => [c.region, c.status]),
    ).toEqual([
      ['eu-central-1', 503],
      ['eu-central-1', 503],
      ['eu-central-1', 200],
    ]);
    expect(await ec2.config.maxAttempts()).toBe(3);
    expect(ec2.config.retryMode).toBe('adaptive');
    ec2.destroy();
  });

  it('refuses a nonsensical attempt count', () => {
    expect(() =>
      createAwsClients({ region: 'us-east-1', env: { HEPHESTUS_AWS_MAX_ATTEMPTS: 'lots' } }),
    ).toThrow(InputError);
  });

  it("builds each region's clients once", () => {
    const clientsFor = awsClientsPerRegion({ env: aws.env });
    expect(clientsFor('us-east-1')).toBe(clientsFor('us-east-1'));
    expect(clientsFor('us-east-1').ec2).not.toBe(clientsFor('us-west-2').ec2);
  });
});
