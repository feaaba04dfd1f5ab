import {
  AuthorizeSecurityGroupIngressCommand,
  CopyImageCommand,
  CreateImageCommand,
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstanceStatusCommand,
  DescribeKeyPairsCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  EC2Client,
  EnableImageDeprecationCommand,
  GetConsoleOutputCommand,
  ModifyImageAttributeCommand,
  paginateDescribeInstances,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilImageAvailable,
  waitUntilInstanceStatusOk,
  waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT_ID, SANDBOX_AWS_CREDENTIALS } from '../../../src/sandbox/aws/aws-auth.js';
import { AMAZON_OWNER_ID, seedImageId } from '../../../src/sandbox/aws/ec2-state.js';
import { type AwsSandbox, fastWaiter, startAws } from './aws-harness.js';

let aws: AwsSandbox;
let east: EC2Client;
let west: EC2Client;

beforeAll(async () => {
  aws = await startAws();
  east = aws.ec2Client('us-east-1');
  west = aws.ec2Client('us-west-2');
});
afterAll(() => aws.close());

const subnetIn = async (client: EC2Client, zone: string) => {
  const { Subnets } = await client.send(
    new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: [zone] }] }),
  );
  return Subnets?.[0]?.SubnetId as string;
};

/** Launches a validation-style instance and returns its id. */
async function launch(
  client: EC2Client,
  imageId: string,
  tags: Record<string, string> = {},
): Promise<string> {
  const result = await client.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: 'm5.large',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: await subnetIn(client, 'us-east-1b'),
      IamInstanceProfile: { Name: 'hephestus-validation' },
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 },
      TagSpecifications: [
        { ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      ],
    }),
  );
  return result.Instances?.[0]?.InstanceId as string;
}

const base2022 = (region: string) => seedImageId(region, 'Windows_Server-2022-English-Full-Base-2026.10.15');

describe('authentication', () => {
  it('answers an unsigned request with MissingAuthenticationToken, 401', async () => {
    const response = await fetch(aws.ec2Url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeRegions&Version=2016-11-15',
    });
    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(/<Code>MissingAuthenticationToken<\/Code>/);
  });

  it('rejects an unknown access key with AuthFailure', async () => {
    const stranger = new EC2Client({
      endpoint: aws.ec2Url,
      region: 'us-east-1',
      credentials: { ...SANDBOX_AWS_CREDENTIALS, accessKeyId: 'AKIAUNKNOWNKEY000000' },
      maxAttempts: 1,
    });
    await expect(stranger.send(new DescribeRegionsCommand({}))).rejects.toMatchObject({
      name: 'AuthFailure',
    });
  });

  it('takes the region from the credential scope', async () => {
    const { Images: eastImages } = await east.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const { Images: westImages } = await west.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    expect(eastImages?.map((image) => image.ImageId)).toContain(base2022('us-east-1'));
    expect(westImages?.map((image) => image.ImageId)).toContain(base2022('us-west-2'));
    expect(base2022('us-east-1')).not.toBe(base2022('us-west-2'));
  });
});

describe('images', () => {
  it('finds the newest Amazon Windows Server 2022 base AMI by owner and name wildcard', async () => {
    const { Images = [] } = await east.send(
      new DescribeImagesCommand({
        Owners: [AMAZON_OWNER_ID],
        Filters: [
          { Name: 'name', Values: ['Windows_Server-2022-English-Full-Base-*'] },
          { Name: 'state', Values: ['available'] },
        ],
      }),
    );
    expect(Images.map((image) => image.Name).sort()).toEqual([
      'Windows_Server-2022-English-Full-Base-2026.09.10',
      'Windows_Server-2022-English-Full-Base-2026.10.15',
    ]);
    const newest = Images.reduce((a, b) => ((a.CreationDate ?? '') > (b.CreationDate ?? '') ? a : b));
    expect(newest).toMatchObject({
      ImageId: base2022('us-east-1'),
      OwnerId: AMAZON_OWNER_ID,
      ImageOwnerAlias: 'amazon',
      Platform: 'windows',
      State: 'available',
      RootDeviceType: 'ebs',
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 30 } }],
    });
    expect(newest.CreationDate).toBe('2026-10-15T06:12:44.000Z');
  });

  it('matches `?` as one character and rejects filters EC2 does not know', async () => {
    const { Images = [] } = await east.send(
      new DescribeImagesCommand({
        Filters: [{ Name: 'name', Values: ['Windows_Server-20?9-English-Full-Base-2026.10.15'] }],
      }),
    );
    expect(Images.map((image) => image.Name)).toEqual(['Windows_Server-2019-English-Full-Base-2026.10.15']);
    await expect(
      east.send(new DescribeImagesCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
  });

  it('reports unknown and malformed image ids as EC2 does', async () => {
    await expect(
      east.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] })),
    ).rejects.toMatchObject({
      name: 'InvalidAMIID.NotFound',
      message: "The image id '[ami-0123456789abcdef0]' does not exist",
    });
    await expect(east.send(new DescribeImagesCommand({ ImageIds: ['not-an-ami'] }))).rejects.toMatchObject({
      name: 'InvalidAMIID.Malformed',
    });
  });

  it('builds, copies, tags, shares, deprecates and prunes an image', async () => {
    const instanceId = await launch(east, base2022('us-east-1'));
    await waitUntilInstanceStatusOk({ client: east, ...fastWaiter }, { InstanceIds: [instanceId] });
    const { ImageId: imageId } = await east.send(
      new CreateImageCommand({
        InstanceId: instanceId,
        Name: 'hephestus-win2022-20261122',
        TagSpecifications: [{ ResourceType: 'image', Tags: [{ Key: 'hephestus:status', Value: 'built' }] }],
      }),
    );
    const pending = await east.send(new DescribeImagesCommand({ ImageIds: [imageId as string] }));
    expect(pending.Images?.[0]).toMatchObject({
      State: 'pending',
      OwnerId: SANDBOX_ACCOUNT_ID,
      SourceInstanceId: instanceId,
    });
    await expect(
      east.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'hephestus-win2022-20261122' })),
    ).rejects.toMatchObject({ name: 'InvalidAMIName.Duplicate' });

    const built = await waitUntilImageAvailable(
      { client: east, ...fastWaiter },
      { ImageIds: [imageId as string] },
    );
    expect(built.state).toBe('SUCCESS');
    const image = (await east.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images?.find(
      (i) => i.ImageId === imageId,
    );
    const snapshotId = image?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId as string;
    expect(image?.Tags).toEqual([{ Key: 'hephestus:status', Value: 'built' }]);

    const { ImageId: copyId } = await west.send(
      new CopyImageCommand({
        SourceRegion: 'us-east-1',
        SourceImageId: imageId,
        Name: 'hephestus-win2022-20261122',
        CopyImageTags: true,
      }),
    );
    expect(
      (await west.send(new DescribeImagesCommand({ ImageIds: [copyId as string] }))).Images?.[0]?.State,
    ).toBe('pending');
    await waitUntilImageAvailable({ client: west, ...fastWaiter }, { ImageIds: [copyId as string] });
    const copy = (await west.send(new DescribeImagesCommand({ ImageIds: [copyId as string] }))).Images?.[0];
    expect(copy?.Tags).toEqual([{ Key: 'hephestus:status', Value: 'built' }]);
    expect(copy?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId).not.toBe(snapshotId);

    await east.send(
      new CreateTagsCommand({
        Resources: [imageId as string, snapshotId],
        Tags: [
          { Key: 'hephestus:status', Value: 'validated' },
          { Key: 'hephestus:channel', Value: 'canary' },
        ],
      }),
    );
    const { Tags = [] } = await east.send(
      new DescribeTagsCommand({
        Filters: [
          { Name: 'key', Values: ['hephestus:*'] },
          { Name: 'resource-type', Values: ['snapshot'] },
        ],
      }),
    );
    expect(Tags.map((tag) => `${tag.ResourceId} ${tag.Key}=${tag.Value}`).sort()).toEqual([
      `${snapshotId} hephestus:channel=canary`,
      `${snapshotId} hephestus:status=validated`,
    ]);
    const inCanary = await east.send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [{ Name: 'tag:hephestus:channel', Values: ['canary'] }],
      }),
    );
    expect(inCanary.Images?.map((i) => i.ImageId)).toEqual([imageId]);
    await east.send(
      new DeleteTagsCommand({
        Resources: [imageId as string],
        Tags: [{ Key: 'hephestus:channel', Value: 'edge' }],
      }),
    );
    expect(
      (await east.send(new DescribeImagesCommand({ ImageIds: [imageId as string] }))).Images?.[0]?.Tags,
    ).toHaveLength(2);
    await east.send(
      new DeleteTagsCommand({ Resources: [imageId as string], Tags: [{ Key: 'hephestus:channel' }] }),
    );
    expect(
      (await east.send(new DescribeImagesCommand({ ImageIds: [imageId as string] }))).Images?.[0]?.Tags,
    ).toHaveLength(1);

    await east.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: '444455556666' }] },
      }),
    );
    const permissions = await east.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
    );
    expect(permissions.LaunchPermissions).toEqual([{ UserId: '444455556666' }]);

    await east.send(
      new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: new Date('2027-11-22T00:00:00Z') }),
    );
    const deprecated = (await east.send(new DescribeImagesCommand({ ImageIds: [imageId as string] })))
      .Images?.[0];
    expect(deprecated?.DeprecationTime).toBe('2027-11-22T00:00:00.000Z');

    await expect(east.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))).rejects.toMatchObject({
      name: 'InvalidSnapshot.InUse',
      message: `The snapshot ${snapshotId} is currently in use by ${imageId}`,
    });
    await east.send(new DeregisterImageCommand({ ImageId: imageId }));
    await east.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    const left = await east.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], SnapshotIds: [] }));
    expect(left.Snapshots?.map((s) => s.SnapshotId)).not.toContain(snapshotId);
    await expect(
      east.send(new DeregisterImageCommand({ ImageId: base2022('us-east-1') })),
    ).rejects.toMatchObject({
      name: 'AuthFailure',
    });
  });

  it('fails the waiter when a copy fails in the destination region', async () => {
    const instanceId = await launch(east, base2022('us-east-1'));
    await waitUntilInstanceStatusOk({ client: east, ...fastWaiter }, { InstanceIds: [instanceId] });
    const { ImageId } = await east.send(
      new CreateImageCommand({ InstanceId: instanceId, Name: 'copy-fails-source' }),
    );
    await waitUntilImageAvailable({ client: east, ...fastWaiter }, { ImageIds: [ImageId as string] });
    aws.ec2.faults.copyFailsTo = ['us-west-2'];
    try {
      const { ImageId: copyId } = await west.send(
        new CopyImageCommand({ SourceRegion: 'us-east-1', SourceImageId: ImageId, Name: 'copy-fails-copy' }),
      );
      await expect(
        waitUntilImageAvailable({ client: west, ...fastWaiter }, { ImageIds: [copyId as string] }),
      ).rejects.toThrow(/FAILURE/);
      const failed = (await west.send(new DescribeImagesCommand({ ImageIds: [copyId as string] })))
        .Images?.[0];
      expect(failed?.StateReason?.Code).toBe('Server.InternalError');
    } finally {
      aws.ec2.faults.copyFailsTo = [];
    }
  });

  it('keeps an AMI pending while the stuck-pending fault is on', async () => {
    const instanceId = await launch(east, base2022('us-east-1'));
    await waitUntilInstanceStatusOk({ client: east, ...fastWaiter }, { InstanceIds: [instanceId] });
    aws.ec2.faults.amiStuckPending = true;
    try {
      const { ImageId } = await east.send(
        new CreateImageCommand({ InstanceId: instanceId, Name: 'stuck-pending' }),
      );
      await expect(
        waitUntilImageAvailable(
          { client: east, ...fastWaiter, maxWaitTime: 1.5 },
          { ImageIds: [ImageId as string] },
        ),
      ).rejects.toThrow(/TIMEOUT/);
    } finally {
      aws.ec2.faults.amiStuckPending = false;
    }
  });
});

describe('instances', () => {
  it('goes pending -> running, passes status checks, shows Windows is Ready, and terminates', async () => {
    const instanceId = await launch(east, base2022('us-east-1'), { 'hephestus:run': 'run-1' });
    const { InstanceStatuses: early = [] } = await east.send(
      new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }),
    );
    expect(early[0]?.InstanceState?.Name).toMatch(/pending|running/);
    const ok = await waitUntilInstanceStatusOk(
      { client: east, ...fastWaiter },
      { InstanceIds: [instanceId] },
    );
    expect(ok.state).toBe('SUCCESS');

    aws.ec2.clock.advance(60_000);
    const console = await east.send(new GetConsoleOutputCommand({ InstanceId: instanceId }));
    expect(Buffer.from(console.Output ?? '', 'base64').toString()).toContain('Windows is Ready to use');

    const pages = paginateDescribeInstances(
      { client: east },
      {
        Filters: [
          { Name: 'tag:hephestus:run', Values: ['run-1'] },
          { Name: 'instance-state-name', Values: ['running'] },
          { Name: 'instance-state-code', Values: ['16'] },
        ],
      },
    );
    const found = [];
    for await (const page of pages)
      for (const r of page.Reservations ?? []) found.push(...(r.Instances ?? []));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      InstanceId: instanceId,
      State: { Name: 'running', Code: 16 },
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2 },
      IamInstanceProfile: { Arn: `arn:aws:iam::${SANDBOX_ACCOUNT_ID}:instance-profile/hephestus-validation` },
      Placement: { AvailabilityZone: 'us-east-1b' },
      Tags: [{ Key: 'hephestus:run', Value: 'run-1' }],
    });

    await east.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    const gone = await waitUntilInstanceTerminated(
      { client: east, ...fastWaiter },
      { InstanceIds: [instanceId] },
    );
    expect(gone.state).toBe('SUCCESS');
  });

  it('stops a running instance', async () => {
    const instanceId = await launch(east, base2022('us-east-1'));
    await waitUntilInstanceStatusOk({ client: east, ...fastWaiter }, { InstanceIds: [instanceId] });
    const { StoppingInstances } = await east.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    expect(StoppingInstances?.[0]).toMatchObject({
      CurrentState: { Name: 'stopping' },
      PreviousState: { Name: 'running' },
    });
    expect(
      (await waitUntilInstanceStopped({ client: east, ...fastWaiter }, { InstanceIds: [instanceId] })).state,
    ).toBe('SUCCESS');
  });

  it('never passes the instance status check under the instance-never-ok fault', async () => {
    aws.ec2.faults.instanceNeverOk = true;
    try {
      const instanceId = await launch(east, base2022('us-east-1'));
      await expect(
        waitUntilInstanceStatusOk(
          { client: east, ...fastWaiter, maxWaitTime: 1 },
          { InstanceIds: [instanceId] },
        ),
      ).rejects.toThrow(/TIMEOUT/);
      const { InstanceStatuses = [] } = await east.send(
        new DescribeInstanceStatusCommand({ InstanceIds: [instanceId] }),
      );
      expect(InstanceStatuses[0]?.InstanceStatus?.Status).toBe('impaired');
      expect(InstanceStatuses[0]?.SystemStatus?.Status).toBe('ok');
    } finally {
      aws.ec2.faults.instanceNeverOk = false;
    }
  });

  it('pages DescribeInstances with MaxResults and NextToken', async () => {
    const ids: string[] = [];
    const { Instances = [] } = await west.send(
      new RunInstancesCommand({
        ImageId: base2022('us-west-2'),
        MinCount: 12,
        MaxCount: 12,
        InstanceType: 't3.micro',
      }),
    );
    ids.push(...Instances.map((i) => i.InstanceId as string));
    const pageSizes: number[] = [];
    const seen: string[] = [];
    for await (const page of paginateDescribeInstances({ client: west, pageSize: 5 }, {})) {
      const instances = (page.Reservations ?? []).flatMap((r) => r.Instances ?? []);
      pageSizes.push(instances.length);
      seen.push(...instances.map((i) => i.InstanceId as string));
    }
    expect(pageSizes).toEqual([5, 5, 2]);
    expect(seen.sort()).toEqual(ids.sort());
    await expect(
      west.send(
        new RunInstancesCommand({
          ImageId: base2022('us-west-2'),
          MinCount: 1,
          MaxCount: 1,
          SubnetId: 'subnet-0nope',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidSubnetID.NotFound' });
  });
});

describe('key pairs and security groups', () => {
  it('creates, lists and deletes them as Packer does, refusing to delete a group in use', async () => {
    const key = await east.send(new CreateKeyPairCommand({ KeyName: 'packer_test' }));
    expect(key.KeyMaterial).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(key.KeyFingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    await expect(east.send(new CreateKeyPairCommand({ KeyName: 'packer_test' }))).rejects.toMatchObject({
      name: 'InvalidKeyPair.Duplicate',
    });
    const { KeyPairs } = await east.send(new DescribeKeyPairsCommand({ KeyNames: ['packer_test'] }));
    expect(KeyPairs?.[0]?.KeyFingerprint).toBe(key.KeyFingerprint);

    const { GroupId } = await east.send(
      new CreateSecurityGroupCommand({ GroupName: 'packer_sg', Description: 'Temporary group for Packer' }),
    );
    await east.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 5986, ToPort: 5986, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
        ],
      }),
    );
    const { SecurityGroups } = await east.send(
      new DescribeSecurityGroupsCommand({ GroupIds: [GroupId as string] }),
    );
    expect(SecurityGroups?.[0]?.IpPermissions).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 5986,
        ToPort: 5986,
        IpRanges: [{ CidrIp: '0.0.0.0/0' }],
        UserIdGroupPairs: [],
      },
    ]);
    const { Instances = [] } = await east.send(
      new RunInstancesCommand({
        ImageId: base2022('us-east-1'),
        MinCount: 1,
        MaxCount: 1,
        KeyName: 'packer_test',
        SecurityGroupIds: [GroupId as string],
      }),
    );
    await expect(east.send(new DeleteSecurityGroupCommand({ GroupId }))).rejects.toMatchObject({
      name: 'DependencyViolation',
    });
    await east.send(new TerminateInstancesCommand({ InstanceIds: [Instances[0]?.InstanceId as string] }));
    await waitUntilInstanceTerminated(
      { client: east, ...fastWaiter },
      { InstanceIds: [Instances[0]?.InstanceId as string] },
    );
    await east.send(new DeleteSecurityGroupCommand({ GroupId }));
    await east.send(new DeleteKeyPairCommand({ KeyName: 'packer_test' }));
    await expect(east.send(new DescribeKeyPairsCommand({ KeyNames: ['packer_test'] }))).rejects.toMatchObject(
      {
        name: 'InvalidKeyPair.NotFound',
      },
    );
  });
});

describe('throttling and unknown actions', () => {
  it('answers RequestLimitExceeded with 503, which the SDK retries', async () => {
    aws.ec2.throttle({ action: 'DescribeRegions', times: 1 });
    const patient = aws.ec2Client('us-east-1', 3);
    const before = aws.ec2.count('DescribeRegions');
    const { Regions = [] } = await patient.send(new DescribeRegionsCommand({}));
    expect(Regions.map((r) => r.RegionName)).toContain('eu-west-1');
    expect(aws.ec2.calls.slice(-2).map((c) => `${c.action} ${c.status}`)).toEqual([
      'DescribeRegions 503',
      'DescribeRegions 200',
    ]);
    expect(aws.ec2.count('DescribeRegions') - before).toBe(2);

    aws.ec2.throttle({ action: 'DescribeRegions', times: 1 });
    await expect(east.send(new DescribeRegionsCommand({}))).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
      $metadata: { httpStatusCode: 503 },
    });
  });

  it('answers an action it does not implement with InvalidAction and logs it', async () => {
    const response = await fetch(aws.ec2Url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=${SANDBOX_AWS_CREDENTIALS.accessKeyId}/20261122/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00`,
      },
      body: 'Action=DescribeFleets&Version=2016-11-15',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/<Code>InvalidAction<\/Code>/);
    expect(aws.logs).toContainEqual(expect.stringContaining('unsupported action "DescribeFleets"'));
  });
});
