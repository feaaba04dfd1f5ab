/**
 * The AMI lifecycle calls (issue 17) through the real `@aws-sdk/client-ec2`: DisableImage/EnableImage,
 * deprecation and deregistration protection, with the DescribeImages fields they change, EC2's
 * refusals, and re-runs.
 */
import {
  CreateImageCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DisableImageCommand,
  DisableImageDeprecationCommand,
  DisableImageDeregistrationProtectionCommand,
  type EC2Client,
  EnableImageCommand,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  ModifyImageAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEREGISTRATION_COOLDOWN_MS } from '../../../src/sandbox/aws/ec2-image-lifecycle.js';
import { seedImageId } from '../../../src/sandbox/aws/ec2-state.js';
import { type AwsSandbox, startAws } from './aws-harness.js';

let aws: AwsSandbox;
let ec2: EC2Client;

// Scale 0: every AWS transition has happened by the next request, so an image is ready at once.
beforeAll(async () => {
  aws = await startAws({ scale: 0 });
  ec2 = aws.ec2Client('us-east-1');
});
afterAll(() => aws.close());

const base2022 = seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.10.15');
const base2019 = seedImageId('us-east-1', 'Windows_Server-2019-English-Full-Base-2026.10.15');
let built = 0;

/** An available image of our own, built from an instance as Packer builds one. */
async function ownImage(): Promise<string> {
  const { Instances = [] } = await ec2.send(
    new RunInstancesCommand({ ImageId: base2022, MinCount: 1, MaxCount: 1, InstanceType: 'm5.large' }),
  );
  const { ImageId } = await ec2.send(
    new CreateImageCommand({ InstanceId: Instances[0]?.InstanceId, Name: `lifecycle-${++built}` }),
  );
  await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId as string] }));
  return ImageId as string;
}

async function describe1(
  imageId: string,
  extra: { IncludeDisabled?: boolean; IncludeDeprecated?: boolean } = {},
) {
  const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId], ...extra }));
  return Images[0];
}

describe('DisableImage and EnableImage', () => {
  it('disables an image: state disabled, launch permissions gone, hidden unless IncludeDisabled', async () => {
    const imageId = await ownImage();
    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: '444455556666' }, { Group: 'all' }] },
      }),
    );
    expect(await ec2.send(new DisableImageCommand({ ImageId: imageId }))).toMatchObject({ Return: true });

    expect(await describe1(imageId)).toBeUndefined();
    const { Images: own = [] } = await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(own.map((image) => image.ImageId)).not.toContain(imageId);
    expect(await describe1(imageId, { IncludeDisabled: true })).toMatchObject({
      ImageId: imageId,
      State: 'disabled',
      Public: false,
    });
    const { Images: filtered = [] } = await ec2.send(
      new DescribeImagesCommand({
        IncludeDisabled: true,
        Filters: [{ Name: 'state', Values: ['disabled'] }],
      }),
    );
    expect(filtered.map((image) => image.ImageId)).toEqual([imageId]);
    const permissions = await ec2.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
    );
    expect(permissions.LaunchPermissions).toEqual([]);
    await expect(
      ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 })),
    ).rejects.toMatchObject({ name: 'InvalidAMIID.Unavailable' });

    // A re-run (a revoke run again) changes nothing and succeeds.
    expect(await ec2.send(new DisableImageCommand({ ImageId: imageId }))).toMatchObject({ Return: true });
    expect((await describe1(imageId, { IncludeDisabled: true }))?.State).toBe('disabled');
  });

  it('enables it again as available but keeps it private, as EC2 does', async () => {
    const imageId = await ownImage();
    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: '444455556666' }] },
      }),
    );
    await ec2.send(new DisableImageCommand({ ImageId: imageId }));
    expect(await ec2.send(new EnableImageCommand({ ImageId: imageId }))).toMatchObject({ Return: true });
    expect(await describe1(imageId)).toMatchObject({ State: 'available', Public: false });
    const permissions = await ec2.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
    );
    expect(permissions.LaunchPermissions).toEqual([]);
    expect(await ec2.send(new EnableImageCommand({ ImageId: imageId }))).toMatchObject({ Return: true });
  });

  it('refuses images the caller does not own, unknown and malformed ids', async () => {
    await expect(ec2.send(new DisableImageCommand({ ImageId: base2022 }))).rejects.toMatchObject({
      name: 'AuthFailure',
    });
    await expect(
      ec2.send(new EnableImageCommand({ ImageId: 'ami-0123456789abcdef0' })),
    ).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound', $metadata: { httpStatusCode: 400 } });
    await expect(ec2.send(new DisableImageCommand({ ImageId: 'image-1' }))).rejects.toMatchObject({
      name: 'InvalidAMIID.Malformed',
    });
  });

  it('hides another account’s disabled image even with IncludeDisabled, and by id', async () => {
    const amazon = aws.ec2.state.images.get(base2019);
    if (!amazon) throw new Error('seed image missing');
    amazon.state = 'disabled';
    try {
      const { Images = [] } = await ec2.send(
        new DescribeImagesCommand({ Owners: ['amazon'], IncludeDisabled: true }),
      );
      expect(Images.map((image) => image.ImageId)).not.toContain(base2019);
      await expect(
        ec2.send(new DescribeImagesCommand({ ImageIds: [base2019], IncludeDisabled: true })),
      ).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    } finally {
      amazon.state = 'available';
    }
  });
});

describe('deprecation', () => {
  it('rounds DeprecateAt to the minute, clears it, and accepts re-runs', async () => {
    const imageId = await ownImage();
    const now = aws.ec2.clock.now();
    const hourAhead = Math.floor(now / 60_000) * 60_000 + 3_600_000;
    await ec2.send(
      new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: new Date(hourAhead + 40_000) }),
    );
    expect((await describe1(imageId))?.DeprecationTime).toBe(new Date(hourAhead + 60_000).toISOString());
    await ec2.send(
      new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: new Date(hourAhead + 40_000) }),
    );
    expect((await describe1(imageId))?.DeprecationTime).toBe(new Date(hourAhead + 60_000).toISOString());

    expect(await ec2.send(new DisableImageDeprecationCommand({ ImageId: imageId }))).toMatchObject({
      Return: true,
    });
    expect((await describe1(imageId))?.DeprecationTime).toBeUndefined();
    expect(await ec2.send(new DisableImageDeprecationCommand({ ImageId: imageId }))).toMatchObject({
      Return: true,
    });
  });

  it('accepts deprecating now, refuses a time in the past or more than ten years ahead', async () => {
    const imageId = await ownImage();
    const now = aws.ec2.clock.now();
    await ec2.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: new Date(now) }));
    // The owner still sees its deprecated image without IncludeDeprecated.
    expect((await describe1(imageId))?.DeprecationTime).toBeDefined();
    await expect(
      ec2.send(
        new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: new Date(now - 3_600_000) }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/in the past/) });
    await expect(
      ec2.send(
        new EnableImageDeprecationCommand({
          ImageId: imageId,
          DeprecateAt: new Date(now + 11 * 365 * 86_400_000),
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('hides another account’s deprecated image unless asked for by id or with IncludeDeprecated', async () => {
    const amazon = aws.ec2.state.images.get(base2019);
    if (!amazon) throw new Error('seed image missing');
    const usual = amazon.deprecationTime;
    amazon.deprecationTime = aws.ec2.clock.now() - 60_000;
    try {
      const listed = async (includeDeprecated?: boolean) =>
        (
          (
            await ec2.send(
              new DescribeImagesCommand({ Owners: ['amazon'], IncludeDeprecated: includeDeprecated }),
            )
          ).Images ?? []
        ).map((image) => image.ImageId);
      expect(await listed()).not.toContain(base2019);
      expect(await listed(true)).toContain(base2019);
      expect((await describe1(base2019))?.ImageId).toBe(base2019);
    } finally {
      amazon.deprecationTime = usual;
    }
  });
});

describe('deregistration protection', () => {
  it('without cooldown: shown, refuses DeregisterImage, and lifts at once', async () => {
    const imageId = await ownImage();
    expect((await describe1(imageId))?.DeregistrationProtection).toBe('disabled');
    const enabled = await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    expect(enabled.Return).toBe('enabled-without-cooldown');
    expect((await describe1(imageId))?.DeregistrationProtection).toBe('enabled-without-cooldown');
    const attribute = await ec2.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'deregistrationProtection' }),
    );
    expect(attribute.DeregistrationProtection).toEqual({ Value: 'enabled-without-cooldown' });
    // Re-run: still on, same answer.
    expect(
      (await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId }))).Return,
    ).toBe('enabled-without-cooldown');

    await expect(ec2.send(new DeregisterImageCommand({ ImageId: imageId }))).rejects.toMatchObject({
      name: 'OperationNotPermitted',
      $metadata: { httpStatusCode: 400 },
    });
    expect((await describe1(imageId))?.State).toBe('available');

    const disabled = await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    expect(disabled.Return).toBe('disabled');
    expect(
      (await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }))).Return,
    ).toBe('disabled');
    await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
    await expect(describe1(imageId)).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
  });

  it('with cooldown: still protected for 24 hours after it is disabled', async () => {
    const imageId = await ownImage();
    const enabled = await ec2.send(
      new EnableImageDeregistrationProtectionCommand({ ImageId: imageId, WithCooldown: true }),
    );
    expect(enabled.Return).toBe('enabled-with-cooldown');
    const before = aws.ec2.clock.now();
    const disabled = await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    const until = Date.parse((disabled.Return ?? '').replace(/^disabled-until /, ''));
    expect(disabled.Return).toMatch(/^disabled-until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(until - before).toBeGreaterThanOrEqual(DEREGISTRATION_COOLDOWN_MS);
    expect(until - before).toBeLessThan(DEREGISTRATION_COOLDOWN_MS + 60_000);
    expect((await describe1(imageId))?.DeregistrationProtection).toBe(disabled.Return);
    // Disabling again does not restart the cooldown.
    expect(
      (await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }))).Return,
    ).toBe(disabled.Return);
    await expect(ec2.send(new DeregisterImageCommand({ ImageId: imageId }))).rejects.toMatchObject({
      name: 'OperationNotPermitted',
    });

    aws.ec2.clock.advance(DEREGISTRATION_COOLDOWN_MS + 60_000);
    expect((await describe1(imageId))?.DeregistrationProtection).toBe('disabled');
    await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
  });

  it('protects a disabled image too, and is the owner’s alone', async () => {
    const imageId = await ownImage();
    await ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    await ec2.send(new DisableImageCommand({ ImageId: imageId }));
    await expect(ec2.send(new DeregisterImageCommand({ ImageId: imageId }))).rejects.toMatchObject({
      name: 'OperationNotPermitted',
    });
    await ec2.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
    await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
    await expect(
      ec2.send(new EnableImageDeregistrationProtectionCommand({ ImageId: base2022 })),
    ).rejects.toMatchObject({ name: 'AuthFailure' });
  });
});
