/**
 * The sandbox's AWS call log and authorizer hook, through the real SDK: who called, with which parameters, and
 * the tags of the named resources as they were before the call; a refusal is answered as AWS answers one.
 */
import { CreateTagsCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it } from 'vitest';
import type { AwsCallView } from '../../../src/sandbox/aws/aws-auth.js';
import { SANDBOX_AWS_CREDENTIALS } from '../../../src/sandbox/aws/aws-auth.js';
import { seedImageId } from '../../../src/sandbox/aws/ec2-state.js';
import { type AwsSandbox, startAws } from './aws-harness.js';

let aws: AwsSandbox | undefined;
afterEach(async () => {
  await aws?.close();
  aws = undefined;
});

const base = seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.10.15');

describe('the AWS call log', () => {
  it('records caller, parameters and the resource tags from before the call', async () => {
    aws = await startAws();
    const subnet = [...aws.ec2.state.subnets.values()].find((s) => s.region === 'us-east-1')
      ?.subnetId as string;
    const tag = (Value: string) =>
      aws?.ec2Client().send(new CreateTagsCommand({ Resources: [subnet], Tags: [{ Key: 'team', Value }] }));
    await tag('web');
    await tag('data');
    expect(aws.ec2.calls.at(-1)).toMatchObject({
      action: 'CreateTags',
      region: 'us-east-1',
      status: 200,
      accessKeyId: SANDBOX_AWS_CREDENTIALS.accessKeyId,
      params: { 'ResourceId.1': subnet, 'Tag.1.Key': 'team', 'Tag.1.Value': 'data' },
      resources: { [subnet]: { region: 'us-east-1', tags: { team: 'web' } } },
    });
    await aws.ec2Client().send(new DescribeImagesCommand({ ImageIds: [base] }));
    expect(aws.ec2.calls.at(-1)?.resources?.[base]).toMatchObject({ ownerAlias: 'amazon', tags: {} });
  });

  it("answers the authorizer's refusal as UnauthorizedOperation (EC2) and AccessDeniedException (SSM)", async () => {
    const seen: AwsCallView[] = [];
    const authorize = (call: AwsCallView) => {
      seen.push(call);
      return call.action === 'DescribeImages' || call.action === 'DescribeInstanceInformation'
        ? 'no statement allows it'
        : undefined;
    };
    aws = await startAws({ authorize }, { authorize });
    const ec2Error = await aws
      .ec2Client()
      .send(new DescribeImagesCommand({ ImageIds: [base] }))
      .catch(
        (error: unknown) => error as { name: string; message: string; $metadata: { httpStatusCode: number } },
      );
    expect(ec2Error).toMatchObject({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
    expect((ec2Error as { message: string }).message).toContain('no statement allows it');
    const ssmError = await aws
      .ssmClient()
      .send(new DescribeInstanceInformationCommand({}))
      .catch((error: unknown) => error as { name: string });
    expect(ssmError).toMatchObject({ name: 'AccessDeniedException' });
    expect(seen.map((c) => [c.service, c.action, c.params['ImageId.1']])).toEqual([
      ['ec2', 'DescribeImages', base],
      ['ssm', 'DescribeInstanceInformation', undefined],
    ]);
    expect(aws.ec2.calls.at(-1)).toMatchObject({
      action: 'DescribeImages',
      errorCode: 'UnauthorizedOperation',
    });
  });
});
