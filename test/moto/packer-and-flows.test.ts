/**
 * Real Packer (amazon-ebs through `custom_endpoint_ec2`) and the open-update flow with EC2 from moto and
 * GitHub, git, Slack and CircleCI from the sandbox (issue 15): the seed repository's own template and
 * configuration, unchanged, against an EC2 nobody here wrote.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateImageCommand,
  DescribeImagesCommand,
  type EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/ec2-client.js';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import type { PackerResult } from '../../src/packer/artifacts.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runCliAsync } from '../cli/run-cli-async.js';
import { runFlowOnSandbox } from '../reliability/sandbox-flow.js';
import { type Moto, motoInstalled, startMoto } from './moto-server.js';

const REGION = 'us-east-1';
const MOTO_WINDOWS_2016 = 'ami-b7e93bce';
const SEEDS = path.resolve(import.meta.dirname, '../../src/sandbox/seeds/images-repo');

describe.skipIf(!motoInstalled())('Packer and the flows against moto', () => {
  let moto: Moto;
  let ec2: EC2Client;
  let scratch: string;

  beforeAll(async () => {
    moto = await startMoto();
    scratch = await mkdtemp(path.join(tmpdir(), 'hephestus-moto-flows-'));
    ec2 = createAwsClients({ region: REGION, env: moto.env }).ec2;
  });
  afterAll(async () => {
    await moto?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('real Packer amazon-ebs builds the seed template on moto and Hephestus reads the AMI ids it made', async () => {
    const repo = path.join(scratch, 'images-repo');
    await cp(SEEDS, repo, { recursive: true });
    const out = path.join(scratch, 'artifacts.json');
    const run = await runCliAsync(
      [
        'packer',
        'build',
        path.join(repo, 'packer/windows.pkr.hcl'),
        '--var-file',
        path.join(repo, 'packer/windows.auto.pkrvars.hcl'),
        '--var',
        `aws_endpoint_ec2=${moto.url}`,
        '--var',
        `win2022_source_ami=${MOTO_WINDOWS_2016}`,
        '--var',
        `win2019_source_ami=${MOTO_WINDOWS_2016}`,
        '--only',
        'amazon-ebs.win2022',
        '--out',
        out,
        '--log',
        path.join(scratch, 'packer.log'),
      ],
      {
        cwd: repo,
        env: { ...moto.env, TMPDIR: scratch, AWS_POLL_DELAY_SECONDS: '1', AWS_MAX_ATTEMPTS: '60' },
      },
    );
    expect(
      run.status,
      `${run.stderr}\n${await readFile(path.join(scratch, 'packer.log'), 'utf8').catch(() => '')}`,
    ).toBe(0);
    const artifacts = JSON.parse(await readFile(out, 'utf8')) as PackerResult;
    const amis = artifacts.builds.flatMap((b) => b.artifacts.flatMap((a) => a.images ?? []));
    expect(amis.map((a) => a.region).sort()).toEqual(['us-east-1', 'us-west-2']);
    const east = amis.find((a) => a.region === REGION)?.ami as string;
    const { Images = [] } = await ec2.send(new DescribeImagesCommand({ ImageIds: [east] }));
    expect(Images[0]?.Name).toMatch(/^hephestus-win2022-/);
  });

  describe('open-update with EC2 from moto', () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await startSandbox();
      // Newer base AMIs than the seed's pins, published under Amazon's account (moto answers as it).
      for (const name of [
        'Windows_Server-2022-English-Full-Base-2099.01.10',
        'Windows_Server-2019-English-Full-Base-2099.01.10',
      ]) {
        const { Instances = [] } = await ec2.send(
          new RunInstancesCommand({
            ImageId: MOTO_WINDOWS_2016,
            InstanceType: 't3.large',
            MinCount: 1,
            MaxCount: 1,
          }),
        );
        await ec2.send(new CreateImageCommand({ InstanceId: Instances[0]?.InstanceId, Name: name }));
      }
    });
    afterAll(async () => {
      await sandbox?.stop();
    });

    it('finds moto’s newer base AMIs and opens the update pull request on the sandbox', async () => {
      Object.assign(sandbox.env, moto.env);
      const run = await runFlowOnSandbox<OpenUpdateReport>(sandbox, 'open-update', { repo: IMAGES_REPO });
      expect(run.exitCode, run.output).toBe(0);
      const pulls = sandbox.github.state.pulls.filter((p) => p.repo === IMAGES_REPO && p.state === 'open');
      expect(pulls).toHaveLength(1);
      expect(pulls[0]?.body).toContain('Windows_Server-2022-English-Full-Base-2099.01.10');
    });
  });
});
