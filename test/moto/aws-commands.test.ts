/**
 * Hephestus's AWS commands against moto (issue 15): latest, tag, promote, prune, sweep and validate through the
 * built CLI, the way a job runs them. Where moto cannot serve (console text, DescribeInstanceInformation), the
 * command must stop at that step with a message that says so; docs/sandbox.md lists each gap.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  type EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/ec2-client.js';
import { TAG } from '../../src/aws/image-tags.js';
import { runCliAsync } from '../cli/run-cli-async.js';
import { type Moto, motoInstalled, startMoto } from './moto-server.js';

const REGION = 'us-east-1';
/** One of the Windows AMIs moto ships, owned by Amazon's account. */
const MOTO_WINDOWS_2016 = 'ami-b7e93bce';

describe.skipIf(!motoInstalled())('AWS commands against moto', () => {
  let moto: Moto;
  let ec2: EC2Client;
  let scratch: string;
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCliAsync(args, { env: { ...moto.env, TMPDIR: scratch, ...extra } });

  beforeAll(async () => {
    moto = await startMoto();
    scratch = await mkdtemp(path.join(tmpdir(), 'hephestus-moto-'));
    // Our own client: a failure of moto itself then reads as clearly as one met by the CLI.
    ec2 = createAwsClients({ region: REGION, env: moto.env }).ec2;
  });
  afterAll(async () => {
    ec2?.destroy();
    await moto?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  /** An image of our own, made the way Packer makes one: an instance, then CreateImage. */
  /** `hephestus ami tag` marking `ami` a validated win2022, as build-validate would. */
  const tagValidated = (ami: string) =>
    cli(['ami', 'tag', '--ami', ami, '--region', REGION, '--status', 'validated', '--image', 'win2022']);

  async function builtImage(name: string): Promise<string> {
    const { Instances = [] } = await ec2.send(
      new RunInstancesCommand({
        ImageId: MOTO_WINDOWS_2016,
        InstanceType: 't3.large',
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    const { ImageId } = await ec2.send(
      new CreateImageCommand({ InstanceId: Instances[0]?.InstanceId, Name: name }),
    );
    return ImageId as string;
  }

  it('ami latest finds the newest of moto’s Windows base AMIs', async () => {
    const run = await cli([
      'ami',
      'latest',
      '--owners',
      '801119661308',
      '--filter',
      'name=Windows_Server-2016-English-Full-Base-*',
      '--region',
      REGION,
      '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(run.stdout))).toContain(MOTO_WINDOWS_2016);
  });

  it('ami tag puts the tags on the AMI (and moto keeps them)', async () => {
    const ami = await builtImage('hephestus-win2022-tag');
    const run = await tagValidated(ami);
    expect(run.status, run.stderr).toBe(0);
    const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [ami] }));
    const tags = Object.fromEntries((Images[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ [TAG.status]: 'validated', [TAG.image]: 'win2022' });
  });

  it('ami promote moves a validated image into a channel', async () => {
    const ami = await builtImage('hephestus-win2022-promote');
    const tagged = await tagValidated(ami);
    expect(tagged.status, tagged.stderr).toBe(0);
    // moto 5.2 answers EnableImageDeregistrationProtection with HTTP 500 (it does not implement the call), so
    // this configuration turns protection off, as a team on an EC2 without it would; the sandbox tests cover it.
    const config = path.join(scratch, 'no-protection.yml');
    await writeFile(config, 'version: 1\nderegistration_protection: false\n');
    const run = await cli([
      'ami',
      'promote',
      '--config',
      config,
      '--image',
      'win2022',
      '--channel',
      'canary',
      '--ami',
      ami,
      '--region',
      REGION,
      '--json',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [ami] }));
    expect(
      (Images[0]?.Tags ?? []).some((t) => t.Key?.startsWith('hephestus:') && t.Value?.includes('canary')),
    ).toBe(true);
  });

  it('ami prune and ami sweep run to the end (dry run), reading what moto answers', async () => {
    const prune = await cli(['ami', 'prune', '--region', REGION, '--dry-run', '--json']);
    expect(prune.status, prune.stderr).toBe(0);
    const sweep = await cli(['ami', 'sweep', '--region', REGION, '--dry-run', '--json']);
    expect(sweep.status, sweep.stderr).toBe(0);
  });

  it('ami validate of an unknown AMI stops at once with EC2’s InvalidAMIID.NotFound', async () => {
    const run = await cli([
      'ami',
      'validate',
      '--ami',
      'ami-0000000000000dead',
      '--region',
      REGION,
      '--no-tag',
    ]);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain('EC2: DescribeImages failed: InvalidAMIID.NotFound');
  });

  it('gap: moto’s console is canned Linux text, so validation stops at windows-ready naming what it saw', async () => {
    const ami = await builtImage('hephestus-win2022-validate');
    const smoke = path.join(scratch, 'smoke.ps1');
    await writeFile(smoke, 'Write-Output ok\n');
    const run = await cli([
      'ami',
      'validate',
      '--ami',
      ami,
      '--region',
      REGION,
      '--smoke-test',
      smoke,
      '--timeout-minutes',
      '1',
      '--no-tag',
    ]);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /failed at windows-ready: timed out after .* waiting for "Windows is Ready to use" in the console of i-\w+ \(\d+ checks, last seen: .+\)/,
    );
    // The instance is terminated all the same.
    const { Reservations = [] } = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG.validates}`, Values: [ami] }] }),
    );
    const states = Reservations.flatMap((r) => r.Instances ?? []).map((i) => i.State?.Name);
    expect(states.length).toBeGreaterThan(0);
    expect(states.every((s) => s === 'terminated' || s === 'shutting-down')).toBe(true);
  });

  it('gap: moto answers DescribeInstanceInformation with an HTML 500, so validation stops at ssm-online saying so', async () => {
    const ami = await builtImage('hephestus-win2022-ssm');
    const smoke = path.join(scratch, 'smoke.ps1');
    await writeFile(smoke, 'Write-Output ok\n');
    // moto's canned console text, as ready text, gets the validation past windows-ready.
    const config = path.join(scratch, 'hephestus.yml');
    await writeFile(
      config,
      [
        'version: 1',
        'images:',
        '  - name: win2022',
        '    template: packer/windows.pkr.hcl',
        `    regions: [${REGION}]`,
        'validation:',
        '  ready_text: "Kernel command line"',
        '',
      ].join('\n'),
    );
    const run = await cli(
      [
        'ami',
        'validate',
        '--config',
        config,
        '--ami',
        ami,
        '--region',
        REGION,
        '--smoke-test',
        smoke,
        '--timeout-minutes',
        '2',
        '--no-tag',
      ],
      { HEPHESTUS_AWS_MAX_ATTEMPTS: '2' },
    );
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /failed at ssm-online: SSM: DescribeInstanceInformation failed: the answer was not SSM's \(HTTP 500.*\), it began: "<!doctype html>/i,
    );
  });
});
