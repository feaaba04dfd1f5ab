import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithPin, findBaseAmi, findBaseAmis } from '../../src/aws/base-ami.js';
import { findBaseAmisBySsm } from '../../src/aws/base-ami-ssm.js';
import { readParameters } from '../../src/aws/ssm-parameters.js';
import { InputError } from '../../src/errors.js';
import { AMAZON_OWNER_ID, seedImageId } from '../../src/sandbox/aws/ec2-state.js';
import { type Sandbox, startSandbox } from './aws-sandbox.js';

let aws: Sandbox;
beforeAll(async () => {
  aws = await startSandbox();
});
afterAll(() => aws.close());

const win2022 = { owners: ['amazon'], filters: { name: 'Windows_Server-2022-English-Full-Base-*' } };

describe('findBaseAmi against the sandbox', () => {
  it("finds the newest base AMI in each region, with that region's id", async () => {
    const regions = ['us-east-1', 'eu-west-1'];
    const found = await findBaseAmis(aws.ec2For, regions, win2022);
    expect(found).toEqual(
      regions.map((region) => ({
        region,
        imageId: seedImageId(region, 'Windows_Server-2022-English-Full-Base-2026.10.15'),
        name: 'Windows_Server-2022-English-Full-Base-2026.10.15',
        creationDate: '2026-10-15T06:12:44.000Z',
      })),
    );
  });

  it('takes owners as account ids as well as aliases', async () => {
    const found = await findBaseAmi(aws.ec2For('us-west-2'), 'us-west-2', {
      owners: [AMAZON_OWNER_ID],
      filters: { name: 'Windows_Server-*' },
    });
    expect(found.name).toBe('Windows_Server-2019-English-Full-Base-2026.10.15');
  });

  it('fails with an InputError naming the owners, filters and region when nothing matches', async () => {
    const error = await findBaseAmi(aws.ec2For('us-east-1'), 'us-east-1', {
      owners: ['amazon'],
      filters: { name: 'Windows_Server-2025-*', architecture: ['arm64'] },
      location: { file: 'hephestus.yml', setting: 'images[0].base_ami' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).describe()).toBe(
      'hephestus.yml: images[0].base_ami: no AMI matches owners amazon and filters name=Windows_Server-2025-* architecture=arm64 in us-east-1',
    );
  });

  it('demands exactly one match without mostRecent, and owners always', async () => {
    await expect(
      findBaseAmi(aws.ec2For('us-east-1'), 'us-east-1', { ...win2022, mostRecent: false }),
    ).rejects.toThrow(
      /^2 AMIs match owners amazon and filters name=Windows_Server-2022-English-Full-Base-\* in us-east-1/,
    );
    await expect(
      findBaseAmi(aws.ec2For('us-east-1'), 'us-east-1', { owners: [], filters: {} }),
    ).rejects.toThrow(InputError);
  });

  it('compares with the pin: current, newer available, or a newer hand-made pin', async () => {
    const ec2 = aws.ec2For('us-east-1');
    const latest = await findBaseAmi(ec2, 'us-east-1', win2022);
    expect((await compareWithPin(ec2, latest, latest.imageId)).outcome).toBe('current');
    const older = seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.09.10');
    expect(await compareWithPin(ec2, latest, older)).toMatchObject({
      outcome: 'newer-available',
      pinnedImage: { name: 'Windows_Server-2022-English-Full-Base-2026.09.10' },
    });
    const mine = aws.addImage('us-east-1', {
      name: 'golden-2026-11',
      creationDate: Date.parse('2026-11-01T00:00:00Z'),
    });
    expect((await compareWithPin(ec2, latest, mine.imageId)).outcome).toBe('pinned-is-newer');
    expect((await compareWithPin(ec2, latest, 'ami-0000000000000dead')).outcome).toBe('newer-available');
  });
});

const WINDOWS_2022 = '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base';
const WINDOWS_2019 = '/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-Base';

describe('findBaseAmisBySsm against the sandbox', () => {
  it("reads AWS's public windows-latest parameters with one GetParameters call per region", async () => {
    const before = aws.ssm.calls.length;
    const requests = [
      { image: 'win2022', region: 'us-east-1', parameter: WINDOWS_2022 },
      { image: 'win2019', region: 'us-east-1', parameter: WINDOWS_2019 },
      { image: 'win2022', region: 'eu-west-1', parameter: WINDOWS_2022 },
    ];
    const found = await findBaseAmisBySsm(aws.clients, requests);
    expect(found).toEqual([
      {
        region: 'us-east-1',
        imageId: seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.10.15'),
        name: 'Windows_Server-2022-English-Full-Base-2026.10.15',
        creationDate: '2026-10-15T06:12:44.000Z',
      },
      expect.objectContaining({
        region: 'us-east-1',
        imageId: seedImageId('us-east-1', 'Windows_Server-2019-English-Full-Base-2026.10.15'),
      }),
      expect.objectContaining({
        region: 'eu-west-1',
        imageId: seedImageId('eu-west-1', 'Windows_Server-2022-English-Full-Base-2026.10.15'),
      }),
    ]);
    const calls = aws.ssm.calls.slice(before);
    expect(calls.map((c) => [c.action, c.region]).sort()).toEqual([
      ['GetParameters', 'eu-west-1'],
      ['GetParameters', 'us-east-1'],
    ]);
  });

  it('batches more than ten names of a region into calls of ten', async () => {
    const before = aws.ssm.calls.length;
    const names = Array.from({ length: 11 }, (_, i) => `/hephestus/batch/${i}`);
    const { values, missing } = await readParameters(aws.clients('us-west-2').ssm, [...names, WINDOWS_2022]);
    expect(values.get(WINDOWS_2022)).toMatch(/^ami-/);
    expect(missing.sort()).toEqual([...names].sort());
    expect(aws.ssm.calls.slice(before).map((c) => (c.body?.Names as string[] | undefined)?.length)).toEqual([
      10, 2,
    ]);
  });

  it('fails with an InputError naming the image, parameter, region and setting when a parameter does not exist', async () => {
    const error = await findBaseAmisBySsm(aws.clients, [
      { image: 'win2022', region: 'us-east-1', parameter: WINDOWS_2022 },
      {
        image: 'win2025',
        region: 'eu-west-1',
        parameter: '/aws/service/ami-windows-latest/Windows_Server-2025-English-Full-Typo',
        location: { setting: 'images.win2025.base_ami.ssm_parameter' },
      },
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).describe()).toBe(
      'images.win2025.base_ami.ssm_parameter: image win2025: SSM parameter /aws/service/ami-windows-latest/Windows_Server-2025-English-Full-Typo does not exist in eu-west-1',
    );
  });
});
