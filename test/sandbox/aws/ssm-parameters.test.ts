/**
 * Parameter Store (issue 17) through the real `@aws-sdk/client-ssm`: AWS's public Windows AMI
 * parameters per region, the account's own parameters with versions and Overwrite, and SSM's refusals.
 */
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT_ID } from '../../../src/sandbox/aws/aws-auth.js';
import { AMAZON_OWNER_ID, seedImageId } from '../../../src/sandbox/aws/ec2-state.js';
import { publishWindowsLatest } from '../../../src/sandbox/aws/ssm-parameter-store.js';
import { type AwsSandbox, startAws } from './aws-harness.js';

let aws: AwsSandbox;
let east: SSMClient;
let west: SSMClient;

beforeAll(async () => {
  aws = await startAws();
  east = aws.ssmClient('us-east-1');
  west = aws.ssmClient('us-west-2');
});
afterAll(() => aws.close());

const LATEST_2022 = '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base';
const LATEST_2019 = '/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-Base';

describe('AWS public parameters', () => {
  it('give the newest Windows Server 2022 base AMI of each region', async () => {
    const { Parameter } = await east.send(new GetParameterCommand({ Name: LATEST_2022 }));
    expect(Parameter).toEqual({
      Name: LATEST_2022,
      Type: 'String',
      Value: seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.10.15'),
      Version: 1,
      LastModifiedDate: new Date('2026-10-15T06:12:44.000Z'),
      ARN: `arn:aws:ssm:us-east-1::parameter${LATEST_2022}`,
      DataType: 'text',
    });
    const inWest = await west.send(new GetParameterCommand({ Name: LATEST_2022 }));
    expect(inWest.Parameter?.Value).toBe(
      seedImageId('us-west-2', 'Windows_Server-2022-English-Full-Base-2026.10.15'),
    );
    expect(inWest.Parameter?.ARN).toBe(`arn:aws:ssm:us-west-2::parameter${LATEST_2022}`);
  });

  it('answer GetParameters once per region, listing unknown names in InvalidParameters', async () => {
    const missing = '/aws/service/ami-windows-latest/Windows_Server-1999-English-Full-Base';
    const { Parameters = [], InvalidParameters } = await east.send(
      new GetParametersCommand({ Names: [LATEST_2022, LATEST_2019, missing] }),
    );
    expect(Parameters.map((parameter) => parameter.Name)).toEqual([LATEST_2022, LATEST_2019]);
    expect(InvalidParameters).toEqual([missing]);
    // The value is an AMI the EC2 side describes: Amazon's, the newest of its family.
    const ec2 = aws.ec2Client('us-east-1');
    const { Images = [] } = await ec2.send(
      new DescribeImagesCommand({ ImageIds: Parameters.map((parameter) => parameter.Value as string) }),
    );
    expect(Images.map((image) => [image.Name, image.OwnerId])).toEqual([
      ['Windows_Server-2022-English-Full-Base-2026.10.15', AMAZON_OWNER_ID],
      ['Windows_Server-2019-English-Full-Base-2026.10.15', AMAZON_OWNER_ID],
    ]);
  });

  it('are listed by path, a page at a time', async () => {
    const first = await east.send(
      new GetParametersByPathCommand({ Path: '/aws/service/ami-windows-latest', MaxResults: 1 }),
    );
    expect(first.Parameters?.map((parameter) => parameter.Name)).toEqual([LATEST_2019]);
    const second = await east.send(
      new GetParametersByPathCommand({
        Path: '/aws/service/ami-windows-latest',
        MaxResults: 1,
        NextToken: first.NextToken,
      }),
    );
    expect(second.Parameters?.map((parameter) => parameter.Name)).toEqual([LATEST_2022]);
    expect(second.NextToken).toBeUndefined();
    const notRecursive = await east.send(new GetParametersByPathCommand({ Path: '/aws/service' }));
    expect(notRecursive.Parameters).toEqual([]);
    const recursive = await east.send(
      new GetParametersByPathCommand({ Path: '/aws/service', Recursive: true }),
    );
    expect(recursive.Parameters).toHaveLength(2);
    await expect(
      east.send(new GetParametersByPathCommand({ Path: '/aws/service', MaxResults: 11 })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('cannot be written', async () => {
    await expect(
      east.send(
        new PutParameterCommand({ Name: LATEST_2022, Value: 'ami-0123456789abcdef0', Overwrite: true }),
      ),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `No access to reserved parameter name: ${LATEST_2022}.`,
    });
  });

  it('move on to a newer image when AWS publishes one, as a new version', async () => {
    const newest = aws.ec2.state.images.get(
      seedImageId('eu-west-1', 'Windows_Server-2019-English-Full-Base-2026.10.15'),
    );
    if (!newest) throw new Error('seed image missing');
    const imageId = 'ami-0feedfacefeedface';
    aws.ec2.state.images.set(imageId, {
      ...newest,
      imageId,
      name: 'Windows_Server-2019-English-Full-Base-2026.11.12',
      creationDate: Date.parse('2026-11-12T06:00:00.000Z'),
    });
    publishWindowsLatest(aws.ssm.state.parameters, aws.ec2.state);
    publishWindowsLatest(aws.ssm.state.parameters, aws.ec2.state);
    const { Parameter } = await aws
      .ssmClient('eu-west-1')
      .send(new GetParameterCommand({ Name: LATEST_2019 }));
    expect(Parameter).toMatchObject({ Value: imageId, Version: 2 });
    const previous = await aws
      .ssmClient('eu-west-1')
      .send(new GetParameterCommand({ Name: `${LATEST_2019}:1` }));
    expect(previous.Parameter).toMatchObject({ Value: newest.imageId, Version: 1, Selector: ':1' });
  });
});

describe('the account’s parameters', () => {
  it('are created at version 1, refused again without Overwrite, and versioned with it', async () => {
    const Name = '/hephestus/win2022/stable';
    const created = await east.send(
      new PutParameterCommand({
        Name,
        Value: 'ami-0aaaaaaaaaaaaaaaa',
        Type: 'String',
        DataType: 'aws:ec2:image',
      }),
    );
    expect(created).toMatchObject({ Version: 1, Tier: 'Standard' });
    await expect(
      east.send(new PutParameterCommand({ Name, Value: 'ami-0bbbbbbbbbbbbbbbb', Type: 'String' })),
    ).rejects.toMatchObject({
      name: 'ParameterAlreadyExists',
      message:
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
    });
    const overwritten = await east.send(
      new PutParameterCommand({ Name, Value: 'ami-0bbbbbbbbbbbbbbbb', Overwrite: true }),
    );
    expect(overwritten.Version).toBe(2);
    const { Parameter } = await east.send(new GetParameterCommand({ Name }));
    expect(Parameter).toMatchObject({
      Name,
      Value: 'ami-0bbbbbbbbbbbbbbbb',
      Version: 2,
      Type: 'String',
      DataType: 'aws:ec2:image',
      ARN: `arn:aws:ssm:us-east-1:${SANDBOX_ACCOUNT_ID}:parameter${Name}`,
    });
    // Overwriting with the same value still makes a version, as SSM does: a re-run should read first.
    expect(
      (await east.send(new PutParameterCommand({ Name, Value: 'ami-0bbbbbbbbbbbbbbbb', Overwrite: true })))
        .Version,
    ).toBe(3);
    const first = await east.send(new GetParameterCommand({ Name: `${Name}:1` }));
    expect(first.Parameter).toMatchObject({ Value: 'ami-0aaaaaaaaaaaaaaaa', Version: 1, Selector: ':1' });
    await expect(east.send(new GetParameterCommand({ Name: `${Name}:9` }))).rejects.toMatchObject({
      name: 'ParameterVersionNotFound',
    });
    const byArn = await east.send(new GetParameterCommand({ Name: Parameter?.ARN }));
    expect(byArn.Parameter?.Version).toBe(3);
  });

  it('belong to one region', async () => {
    await east.send(new PutParameterCommand({ Name: '/hephestus/only-east', Value: 'x', Type: 'String' }));
    await expect(west.send(new GetParameterCommand({ Name: '/hephestus/only-east' }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('are refused with SSM’s errors for bad names, types and AMI values', async () => {
    const refused = (input: ConstructorParameters<typeof PutParameterCommand>[0]) =>
      expect(east.send(new PutParameterCommand(input))).rejects;
    await refused({ Name: 'awsthing', Value: 'x', Type: 'String' }).toMatchObject({
      name: 'ValidationException',
    });
    await refused({ Name: '/ssm/thing', Value: 'x', Type: 'String' }).toMatchObject({
      name: 'ValidationException',
    });
    await refused({ Name: 'a/b', Value: 'x', Type: 'String' }).toMatchObject({
      name: 'ValidationException',
      message: 'Parameter name must be a fully qualified name.',
    });
    await refused({ Name: '/with space', Value: 'x', Type: 'String' }).toMatchObject({
      name: 'ValidationException',
    });
    await refused({ Name: '/no-type', Value: 'x' }).toMatchObject({
      name: 'ValidationException',
      message: 'A parameter type is required when you create a parameter.',
    });
    await refused({
      Name: '/bad-ami',
      Value: 'not-an-ami',
      Type: 'String',
      DataType: 'aws:ec2:image',
    }).toMatchObject({
      name: 'ValidationException',
    });
    await refused({
      Name: '/tags-and-overwrite',
      Value: 'x',
      Type: 'String',
      Overwrite: true,
      Tags: [{ Key: 'k', Value: 'v' }],
    }).toMatchObject({ name: 'ValidationException' });
  });

  it('hide a SecureString value unless decrypted, and can be deleted', async () => {
    const Name = '/hephestus/secret';
    await east.send(new PutParameterCommand({ Name, Value: 'hunter2', Type: 'SecureString' }));
    const hidden = await east.send(new GetParameterCommand({ Name }));
    expect(hidden.Parameter?.Value).not.toContain('hunter2');
    const shown = await east.send(new GetParameterCommand({ Name, WithDecryption: true }));
    expect(shown.Parameter?.Value).toBe('hunter2');
    await east.send(new DeleteParameterCommand({ Name }));
    await expect(east.send(new GetParameterCommand({ Name }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
    await expect(east.send(new DeleteParameterCommand({ Name }))).rejects.toMatchObject({
      name: 'ParameterNotFound',
    });
  });

  it('are logged with the caller and the request, for the IAM check', () => {
    const put = aws.ssm.calls.find((call) => call.action === 'PutParameter' && call.status === 200);
    expect(put).toMatchObject({ region: 'us-east-1', body: { Name: '/hephestus/win2022/stable' } });
    expect(aws.ssm.calls.some((call) => call.errorCode === 'ParameterAlreadyExists')).toBe(true);
  });
});
