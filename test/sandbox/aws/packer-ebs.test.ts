/**
 * The real Packer 1.6.6 amazon-ebs builder against the sandbox's EC2, building the images-repo seed's
 * template unchanged. The clock runs at scale 0, so each AWS transition is done by Packer's next poll.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePackerLog } from '../../../src/packer/parse-log.js';
import { SANDBOX_AWS_CREDENTIALS } from '../../../src/sandbox/aws/aws-auth.js';
import { type Ec2Image, seedImageId } from '../../../src/sandbox/aws/ec2-state.js';
import { type AwsSandbox, startAws } from './aws-harness.js';

const seed = fileURLToPath(new URL('../../../src/sandbox/seeds/images-repo/', import.meta.url));
/** The seed pins the previous base AMIs, so "find the newest base AMI" has an update to find. */
const pinned = {
  win2022: seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.09.10'),
  win2019: seedImageId('us-east-1', 'Windows_Server-2019-English-Full-Base-2026.09.10'),
};

let aws: AwsSandbox;
let work: string;

beforeAll(async () => {
  aws = await startAws({ scale: 0 });
  work = await mkdtemp(join(tmpdir(), 'packer-ebs-'));
  await cp(seed, join(work, 'repo'), { recursive: true });
});
afterAll(async () => {
  await aws.close();
  await rm(work, { recursive: true, force: true });
});

interface PackerRun {
  code: number;
  stdout: string;
}

function packerBuild(args: string[]): Promise<PackerRun> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: work,
    CHECKPOINT_DISABLE: '1',
    AWS_ACCESS_KEY_ID: SANDBOX_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SANDBOX_AWS_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    // Packer 1.6's amazon waiters honour these; the first poll already sees the new state at scale 0.
    AWS_POLL_DELAY_SECONDS: '1',
    AWS_MAX_ATTEMPTS: '10',
  };
  const argv = [
    'build',
    '-machine-readable',
    '-color=false',
    `-var=aws_endpoint_ec2=${aws.ec2Url}`,
    ...args,
    '.',
  ];
  return new Promise((resolve) => {
    execFile('packer', argv, { cwd: join(work, 'repo', 'packer'), env, timeout: 60_000 }, (error, stdout) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

async function* chunks(text: string) {
  yield text;
}

function image(id: string): Ec2Image {
  const found = aws.ec2.state.images.get(id);
  if (!found) throw new Error(`no image ${id} in the sandbox`);
  return found;
}

function packerLeftovers(): string[] {
  const groups = [...aws.ec2.state.securityGroups.values()]
    .filter((g) => g.groupName.startsWith('packer_'))
    .map((g) => g.groupId);
  const keys = [...aws.ec2.state.keyPairs.values()].map((k) => k.keyName);
  const live = [...aws.ec2.state.instances.values()]
    .filter((i) => i.state !== 'terminated')
    .map((i) => i.instanceId);
  return [...groups, ...keys, ...live];
}

describe('packer build (amazon-ebs) against the sandbox', () => {
  it("starts from a seed whose pins are the sandbox's previous base AMIs", async () => {
    const pins = await readFile(join(seed, 'packer', 'windows.auto.pkrvars.hcl'), 'utf8');
    expect(pins).toContain(`win2022_source_ami = "${pinned.win2022}"`);
    expect(pins).toContain(`win2019_source_ami = "${pinned.win2019}"`);
    const config = parse(await readFile(join(seed, 'hephestus.yml'), 'utf8')) as {
      validation: { subnet_id: string };
    };
    expect(aws.ec2.state.subnets.get(config.validation.subnet_id)?.availabilityZone).toBe('us-east-1a');
  });

  it('builds one image in one region and names it in the artifact line', async () => {
    const run = await packerBuild(['-only=amazon-ebs.win2022', '-var=ami_regions=[]']);
    expect(run.code, run.stdout).toBe(0);
    const line = run.stdout.split('\n').find((l) => l.includes(',artifact,0,id,'));
    expect(line).toMatch(/^\d+,amazon-ebs\.win2022,artifact,0,id,us-east-1:ami-[0-9a-f]{17}$/);

    const result = await parsePackerLog(chunks(run.stdout));
    expect(result.errors).toEqual([]);
    const images = result.builds.find((b) => b.name === 'amazon-ebs.win2022')?.artifacts[0]?.images ?? [];
    expect(images.map((i) => i.region)).toEqual(['us-east-1']);
    const built = image(images[0]?.ami as string);
    expect(built).toMatchObject({
      region: 'us-east-1',
      state: 'available',
      description: 'Windows Server 2022 built by Hephestus',
    });
    expect(built.name).toMatch(/^hephestus-win2022-\d{14}-[0-9a-f]{8}$/);
    expect(built.tags).toMatchObject({
      Name: 'hephestus-win2022',
      'built-by': 'packer',
      'base-ami': pinned.win2022,
    });
    // hephestus:* tags are written by Hephestus after the build, never by the template (the Packer role may not).
    expect(Object.keys(built.tags).filter((key) => key.startsWith('hephestus:'))).toEqual([]);
    const snapshot = aws.ec2.state.snapshots.get(built.blockDevices[0]?.snapshotId as string);
    expect(snapshot?.tags).toMatchObject({ 'built-by': 'packer', 'git-sha': 'unknown' });

    const source = aws.ec2.state.instances.get(built.sourceInstanceId as string);
    expect(source).toMatchObject({
      imageId: pinned.win2022,
      state: 'terminated',
      tags: { Name: 'packer-win2022' },
    });
    expect(Buffer.from(source?.userData ?? '', 'base64').toString()).toMatch(
      /^<powershell>\n# Installs the Windows features/,
    );
    expect(packerLeftovers()).toEqual([]);
  });

  it('builds both images and copies each to ami_regions', async () => {
    const run = await packerBuild([]);
    expect(run.code, run.stdout).toBe(0);
    const result = await parsePackerLog(chunks(run.stdout));
    expect(result.builds.map((b) => b.name).sort()).toEqual(['amazon-ebs.win2019', 'amazon-ebs.win2022']);
    for (const build of result.builds) {
      const name = build.name.replace('amazon-ebs.', '');
      const artifact = build.artifacts[0];
      const rawLine = run.stdout.split('\n').find((l) => l.includes(`,${build.name},artifact,0,id,`));
      expect(rawLine).toMatch(/,id,us-east-1:ami-[0-9a-f]{17}%!\(PACKER_COMMA\)us-west-2:ami-[0-9a-f]{17}$/);
      expect(artifact?.images?.map((i) => i.region)).toEqual(['us-east-1', 'us-west-2']);
      for (const { region, ami } of artifact?.images ?? []) {
        expect(image(ami)).toMatchObject({ region, state: 'available', tags: { Name: `hephestus-${name}` } });
      }
      const copy = image(artifact?.images?.[1]?.ami as string);
      expect(copy.sourceImageId).toBe(artifact?.images?.[0]?.ami);
      expect(aws.ec2.state.snapshots.get(copy.blockDevices[0]?.snapshotId as string)?.tags).toMatchObject({
        'built-by': 'packer',
      });
    }
    expect(packerLeftovers()).toEqual([]);
  });

  it('fails the build, and still cleans up, when the region fails', async () => {
    aws.ec2.faults.buildFailsIn = ['us-east-1'];
    try {
      const run = await packerBuild(['-only=amazon-ebs.win2019', '-var=ami_regions=[]']);
      expect(run.code).toBe(1);
      const result = await parsePackerLog(chunks(run.stdout));
      expect(result.builds.flatMap((b) => b.artifacts)).toEqual([]);
      expect(result.errors.map((e) => e.build)).toContain('amazon-ebs.win2019');
      expect(packerLeftovers()).toEqual([]);
    } finally {
      aws.ec2.faults.buildFailsIn = [];
    }
  });
});
