import { RunInstancesCommand, waitUntilInstanceStatusOk } from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
  waitUntilCommandExecuted,
} from '@aws-sdk/client-ssm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_AWS_CREDENTIALS } from '../../../src/sandbox/aws/aws-auth.js';
import { seedImageId } from '../../../src/sandbox/aws/ec2-state.js';
import { SSM_STDOUT_LIMIT, simulatePowerShell } from '../../../src/sandbox/aws/ssm.js';
import { type AwsSandbox, fastWaiter, startAws } from './aws-harness.js';

let aws: AwsSandbox;
let ssm: SSMClient;

beforeAll(async () => {
  aws = await startAws();
  ssm = aws.ssmClient('us-east-1');
});
afterAll(() => aws.close());

async function launch(profile = true): Promise<string> {
  const ec2 = aws.ec2Client('us-east-1');
  const { Instances = [] } = await ec2.send(
    new RunInstancesCommand({
      ImageId: seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.10.15'),
      MinCount: 1,
      MaxCount: 1,
      IamInstanceProfile: profile ? { Name: 'hephestus-validation' } : undefined,
    }),
  );
  const instanceId = Instances[0]?.InstanceId as string;
  await waitUntilInstanceStatusOk({ client: ec2, ...fastWaiter }, { InstanceIds: [instanceId] });
  return instanceId;
}

async function online(instanceId: string): Promise<string | undefined> {
  const { InstanceInformationList = [] } = await ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }),
  );
  return InstanceInformationList[0]?.PingStatus;
}

async function runScript(instanceId: string, commands: string[]) {
  const { Command } = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunPowerShellScript',
      InstanceIds: [instanceId],
      Parameters: { commands },
    }),
  );
  const input = { CommandId: Command?.CommandId as string, InstanceId: instanceId };
  await waitUntilCommandExecuted({ client: ssm, ...fastWaiter }, input).catch(() => undefined);
  return ssm.send(new GetCommandInvocationCommand(input));
}

describe('managed instances', () => {
  it('come online some time after running, only with an instance profile', async () => {
    const { timings } = aws.ec2.clock;
    const usual = timings.ssmOnlineMs;
    // An hour (3.6 s at this clock's scale) is far longer than the launch takes, so "not yet" is certain.
    timings.ssmOnlineMs = 3_600_000;
    let withProfile: string;
    let withoutProfile: string;
    try {
      withProfile = await launch(true);
      withoutProfile = await launch(false);
      expect(await online(withProfile)).toBeUndefined();
      aws.ec2.clock.advance(3_600_000);
    } finally {
      timings.ssmOnlineMs = usual;
    }
    expect(await online(withProfile)).toBe('Online');
    expect(await online(withoutProfile)).toBeUndefined();
    const { InstanceInformationList = [] } = await ssm.send(
      new DescribeInstanceInformationCommand({ Filters: [{ Key: 'PingStatus', Values: ['Online'] }] }),
    );
    expect(InstanceInformationList.find((i) => i.InstanceId === withProfile)).toMatchObject({
      PlatformType: 'Windows',
      ResourceType: 'EC2Instance',
    });
    await expect(
      ssm.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunPowerShellScript',
          InstanceIds: [withoutProfile],
          Parameters: { commands: ['hostname'] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInstanceId', message: expect.stringContaining(withoutProfile) });
  });

  it('never come online under the agent fault', async () => {
    aws.ssm.faults.agentNeverOnline = true;
    try {
      const instanceId = await launch();
      aws.ec2.clock.advance(3_600_000);
      expect(await online(instanceId)).toBeUndefined();
    } finally {
      aws.ssm.faults.agentNeverOnline = false;
    }
  });
});

describe('commands', () => {
  let instanceId: string;
  beforeAll(async () => {
    instanceId = await launch();
    aws.ec2.clock.advance(300_000);
  });

  it('run a PowerShell script InProgress -> Success with its output', async () => {
    const { Command } = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunPowerShellScript',
        InstanceIds: [instanceId],
        Parameters: {
          commands: ["Write-Output 'PASS web-server-installed'", 'Write-Output "smoke: all checks passed"'],
        },
      }),
    );
    expect(Command?.Status).toBe('Pending');
    const input = { CommandId: Command?.CommandId as string, InstanceId: instanceId };
    expect((await ssm.send(new GetCommandInvocationCommand(input))).Status).toBe('InProgress');
    const done = await waitUntilCommandExecuted({ client: ssm, ...fastWaiter }, input);
    expect(done.state).toBe('SUCCESS');
    const invocation = await ssm.send(new GetCommandInvocationCommand(input));
    expect(invocation).toMatchObject({
      Status: 'Success',
      ResponseCode: 0,
      PluginName: 'aws:runPowerShellScript',
      StandardOutputContent: 'PASS web-server-installed\nsmoke: all checks passed\n',
    });
  });

  it('fail with the exit code of a script that exits 1', async () => {
    const invocation = await runScript(instanceId, ['Write-Output "FAIL timezone-utc"', 'exit 1']);
    expect(invocation).toMatchObject({
      Status: 'Failed',
      ResponseCode: 1,
      StandardOutputContent: 'FAIL timezone-utc\n',
    });
    expect(invocation.StandardErrorContent).toContain('failed to run commands: exit status 1');
  });

  it('fail under the command fault', async () => {
    aws.ssm.faults.commandFails = true;
    try {
      expect((await runScript(instanceId, ['Write-Output ok'])).Status).toBe('Failed');
    } finally {
      aws.ssm.faults.commandFails = false;
    }
  });

  it('truncate standard output at 24,000 characters, as SSM does', async () => {
    const line = 'x'.repeat(999);
    const invocation = await runScript(
      instanceId,
      Array.from({ length: 30 }, () => `Write-Output ${line}`),
    );
    expect(invocation.StandardOutputContent).toHaveLength(SSM_STDOUT_LIMIT);
  });

  it('report an unknown invocation as InvocationDoesNotExist', async () => {
    await expect(
      ssm.send(
        new GetCommandInvocationCommand({
          CommandId: '00000000-0000-0000-0000-000000000000',
          InstanceId: instanceId,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
  });
});

describe('protocol errors', () => {
  it('throttles with ThrottlingException (400), which the SDK retries', async () => {
    aws.ssm.throttle({ action: 'DescribeInstanceInformation', times: 1 });
    const patient = aws.ssmClient('us-east-1', 3);
    await expect(patient.send(new DescribeInstanceInformationCommand({}))).resolves.toBeDefined();
    expect(aws.ssm.calls.slice(-2).map((c) => `${c.errorCode ?? c.status}`)).toEqual([
      'ThrottlingException',
      '200',
    ]);
    aws.ssm.throttle({ action: 'DescribeInstanceInformation', times: 1 });
    await expect(ssm.send(new DescribeInstanceInformationCommand({}))).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('rejects missing and unknown credentials', async () => {
    const unsigned = await fetch(aws.ssmUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonSSM.DescribeInstanceInformation',
      },
      body: '{}',
    });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    const stranger = new SSMClient({
      endpoint: aws.ssmUrl,
      region: 'us-east-1',
      credentials: { ...SANDBOX_AWS_CREDENTIALS, accessKeyId: 'AKIAUNKNOWNKEY000000' },
      maxAttempts: 1,
    });
    await expect(stranger.send(new DescribeInstanceInformationCommand({}))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
    });
  });
});

describe('simulatePowerShell', () => {
  it('prints Write-Output arguments and stops at exit N with that code', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Za-z0-9 :._-]{1,30}$/), { maxLength: 5 }),
        fc.integer({ min: 0, max: 255 }),
        (lines, code) => {
          const outcome = simulatePowerShell([
            ...lines.map((l) => `Write-Output '${l}'`),
            `exit ${code}`,
            "Write-Output 'after'",
          ]);
          expect(outcome.exitCode).toBe(code);
          expect(outcome.stdout).toBe(lines.map((l) => `${l}\n`).join(''));
        },
      ),
    );
  });

  it('treats throw as a failure with the message on standard error', () => {
    expect(simulatePowerShell(["throw 'IIS is missing'"])).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: 'IIS is missing\n',
    });
  });
});
