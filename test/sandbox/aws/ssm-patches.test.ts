/**
 * The sandbox's Patch Manager through the real SSM client: AWS-RunPatchBaseline's parameters and its
 * PatchWindows step, the patch state a scan leaves per AMI profile (tag, test seed, lineage), the baseline per
 * patch group, and DescribeInstancePatches' filters and pages; and Inspector's ListFindings through the real
 * inspector2 client.
 */
import {
  CreateImageCommand,
  RunInstancesCommand,
  waitUntilImageAvailable,
  waitUntilInstanceStatusOk,
} from '@aws-sdk/client-ec2';
import { Inspector2Client, ListFindingsCommand, paginateListFindings } from '@aws-sdk/client-inspector2';
import {
  DescribeInstancePatchesCommand,
  DescribeInstancePatchStatesCommand,
  GetCommandInvocationCommand,
  paginateDescribeInstancePatches,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_AWS_CREDENTIALS } from '../../../src/sandbox/aws/aws-auth.js';
import { seedImageId } from '../../../src/sandbox/aws/ec2-state.js';
import { createInspectorService, type InspectorService } from '../../../src/sandbox/aws/inspector2.js';
import {
  DEFAULT_WINDOWS_BASELINE,
  PATCH_PROFILE_TAG,
  type SandboxPatch,
} from '../../../src/sandbox/aws/ssm-patches.js';
import { listen, type RunningServer } from '../../../src/sandbox/http.js';
import { type AwsSandbox, fastWaiter, startAws } from './aws-harness.js';

const region = 'us-east-1';
const BASE = seedImageId(region, 'Windows_Server-2022-English-Full-Base-2026.10.15');
let aws: AwsSandbox;
let ssm: SSMClient;
let inspector: InspectorService;
let inspectorServer: RunningServer;
let inspectorClient: Inspector2Client;

beforeAll(async () => {
  aws = await startAws();
  ssm = aws.ssmClient(region);
  inspector = createInspectorService({ accessKeyIds: [SANDBOX_AWS_CREDENTIALS.accessKeyId] }, aws.ec2);
  inspectorServer = await listen(inspector.router.listener);
  inspectorClient = new Inspector2Client({
    region,
    credentials: SANDBOX_AWS_CREDENTIALS,
    endpoint: inspectorServer.url,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  inspectorClient.destroy();
  await inspectorServer.close();
  await aws.close();
});

async function launch(imageId: string, tags: Record<string, string> = {}): Promise<string> {
  const ec2 = aws.ec2Client(region);
  const tagList = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  const { Instances = [] } = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      MinCount: 1,
      MaxCount: 1,
      IamInstanceProfile: { Name: 'hephestus-validation' },
      ...(tagList.length ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tagList }] } : {}),
    }),
  );
  const instanceId = Instances[0]?.InstanceId as string;
  await waitUntilInstanceStatusOk({ client: ec2, ...fastWaiter }, { InstanceIds: [instanceId] });
  aws.ec2.clock.advance(aws.ec2.clock.delay('ssmOnlineMs'));
  return instanceId;
}

/** Sends a scan and waits for the PatchWindows step to end; returns its invocation. */
async function scan(instanceId: string, parameters: Record<string, string[]> = { Operation: ['Scan'] }) {
  const { Command } = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunPatchBaseline',
      InstanceIds: [instanceId],
      Parameters: parameters,
    }),
  );
  const input = {
    CommandId: Command?.CommandId as string,
    InstanceId: instanceId,
    PluginName: 'PatchWindows',
  };
  for (let i = 0; i < 200; i++) {
    const invocation = await ssm.send(new GetCommandInvocationCommand(input));
    if (!['Pending', 'InProgress'].includes(invocation.Status ?? '')) return invocation;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the scan never ended');
}

async function stateOf(instanceId: string) {
  const { InstancePatchStates = [] } = await ssm.send(
    new DescribeInstancePatchStatesCommand({ InstanceIds: [instanceId] }),
  );
  return InstancePatchStates[0];
}

function addImage(tags: Record<string, string>, source = BASE): string {
  const image = aws.ec2.state.images.get(source);
  if (!image) throw new Error(`no ${source}`);
  const imageId = `ami-${Math.random().toString(16).slice(2, 10).padEnd(17, '0')}`;
  aws.ec2.state.images.set(imageId, {
    ...image,
    imageId,
    name: `win2022-${imageId}`,
    ownerId: aws.ec2.state.accountId,
    ownerAlias: undefined,
    isPublic: false,
    tags,
    sourceImageId: source,
  });
  return imageId;
}

describe('AWS-RunPatchBaseline', () => {
  it('checks its parameters as the document does', async () => {
    const instanceId = await launch(BASE);
    const send = (Parameters: Record<string, string[]>) =>
      ssm.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunPatchBaseline',
          InstanceIds: [instanceId],
          Parameters,
        }),
      );
    await expect(send({})).rejects.toMatchObject({ name: 'InvalidParameters' });
    await expect(send({ Operation: ['Audit'] })).rejects.toMatchObject({ name: 'InvalidParameters' });
    await expect(send({ Operation: ['Scan'], commands: ['dir'] })).rejects.toMatchObject({
      name: 'InvalidParameters',
    });
    await expect(send({ Operation: ['Scan'], RebootOption: ['NoReboot'] })).resolves.toMatchObject({
      Command: { DocumentName: 'AWS-RunPatchBaseline', Parameters: { Operation: ['Scan'] } },
    });
  });

  it('reports its PatchWindows step, which must be named', async () => {
    const instanceId = await launch(BASE);
    const invocation = await scan(instanceId);
    expect(invocation).toMatchObject({ Status: 'Success', ResponseCode: 0, PluginName: 'PatchWindows' });
    expect(invocation.StandardOutputContent).toContain('Operation type: Scan');
    await expect(
      ssm.send(new GetCommandInvocationCommand({ CommandId: invocation.CommandId, InstanceId: instanceId })),
    ).rejects.toMatchObject({ name: 'InvalidPluginName' });
  });

  it('fails as the agent reports a failed step when Windows Update cannot be reached', async () => {
    const instanceId = await launch(BASE);
    aws.ssm.faults.patchScanFails = true;
    try {
      const invocation = await scan(instanceId);
      expect(invocation).toMatchObject({ Status: 'Failed', ResponseCode: 1 });
      expect(invocation.StandardErrorContent).toContain('WU_E_PT_WINHTTP_NAME_NOT_RESOLVED');
      expect(await stateOf(instanceId)).toBeUndefined();
    } finally {
      aws.ssm.faults.patchScanFails = false;
    }
  });
});

describe('patch states', () => {
  it('are absent before a scan and compliant for the seeded images, against the default baseline', async () => {
    const instanceId = await launch(BASE);
    expect(await stateOf(instanceId)).toBeUndefined();
    await scan(instanceId);
    const state = await stateOf(instanceId);
    expect(state).toMatchObject({
      InstanceId: instanceId,
      PatchGroup: '',
      Operation: 'Scan',
      InstalledCount: 4,
      MissingCount: 0,
      FailedCount: 0,
      CriticalNonCompliantCount: 0,
      SecurityNonCompliantCount: 0,
      OtherNonCompliantCount: 0,
    });
    expect(state?.BaselineId).toMatch(
      new RegExp(`^arn:aws:ssm:${region}:\\d{12}:patchbaseline/${DEFAULT_WINDOWS_BASELINE}$`),
    );
    expect(state?.OperationEndTime).toBeInstanceOf(Date);
  });

  it("follow the AMI's profile tag, inherited by images built from it", async () => {
    const marked = addImage({ [PATCH_PROFILE_TAG]: 'missing-critical' });
    // A built image: CreateImage from an instance of the marked AMI carries no tag of its own.
    const builder = await launch(marked);
    const { ImageId } = await aws
      .ec2Client(region)
      .send(new CreateImageCommand({ InstanceId: builder, Name: `built-${builder}` }));
    await waitUntilImageAvailable(
      { client: aws.ec2Client(region), ...fastWaiter },
      { ImageIds: [ImageId as string] },
    );
    const instanceId = await launch(ImageId as string);
    await scan(instanceId);
    expect(await stateOf(instanceId)).toMatchObject({
      InstalledCount: 3,
      MissingCount: 1,
      CriticalNonCompliantCount: 1,
      SecurityNonCompliantCount: 0,
    });
    const { Patches = [] } = await ssm.send(
      new DescribeInstancePatchesCommand({
        InstanceId: instanceId,
        Filters: [{ Key: 'State', Values: ['Missing'] }],
      }),
    );
    expect(Patches).toEqual([
      expect.objectContaining({
        KBId: 'KB5044281',
        Classification: 'SecurityUpdates',
        Severity: 'Critical',
        State: 'MISSING',
      }),
    ]);
  });

  it('count failed security updates apart from critical ones, and an install scan installs what is missing', async () => {
    const failing = addImage({ [PATCH_PROFILE_TAG]: 'failed-install' });
    const instanceId = await launch(failing);
    await scan(instanceId);
    expect(await stateOf(instanceId)).toMatchObject({
      FailedCount: 1,
      SecurityNonCompliantCount: 1,
      CriticalNonCompliantCount: 0,
    });
    const missing = await launch(addImage({ [PATCH_PROFILE_TAG]: 'missing-critical' }));
    await scan(missing, { Operation: ['Install'] });
    expect(await stateOf(missing)).toMatchObject({
      Operation: 'Install',
      MissingCount: 0,
      InstalledCount: 4,
    });
  });

  it("use the baseline registered for the instance's patch group", async () => {
    aws.ssm.state.patches.patchGroups.set(`${region}/windows-validation`, 'pb-0123456789abcdef0');
    const instanceId = await launch(BASE, { PatchGroup: 'windows-validation' });
    await scan(instanceId);
    expect(await stateOf(instanceId)).toMatchObject({
      PatchGroup: 'windows-validation',
      BaselineId: 'pb-0123456789abcdef0',
    });
  });

  it('page DescribeInstancePatches and filter by classification, severity and KB', async () => {
    const many: SandboxPatch[] = Array.from({ length: 23 }, (_, i) => ({
      kbId: `KB50${String(i).padStart(5, '0')}`,
      title: `Update ${i}`,
      classification: i % 2 ? 'SecurityUpdates' : 'Updates',
      severity: i % 3 ? 'Important' : 'Critical',
      state: i % 5 ? 'INSTALLED' : 'MISSING',
    }));
    const imageId = addImage({});
    aws.ssm.state.patches.imageProfiles.set(imageId, many);
    const instanceId = await launch(imageId);
    await scan(instanceId);
    const pages = [];
    for await (const page of paginateDescribeInstancePatches(
      { client: ssm, pageSize: 10 },
      { InstanceId: instanceId },
    )) {
      pages.push(page.Patches?.length);
    }
    expect(pages).toEqual([10, 10, 3]);
    const { Patches = [] } = await ssm.send(
      new DescribeInstancePatchesCommand({
        InstanceId: instanceId,
        Filters: [
          { Key: 'Classification', Values: ['SecurityUpdates'] },
          { Key: 'Severity', Values: ['Critical'] },
        ],
      }),
    );
    expect(Patches.map((p) => p.KBId)).toEqual(['KB5000003', 'KB5000009', 'KB5000015', 'KB5000021']);
    await expect(
      ssm.send(
        new DescribeInstancePatchesCommand({
          InstanceId: instanceId,
          Filters: [{ Key: 'Vendor', Values: ['x'] }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidFilter' });
    await expect(
      ssm.send(new DescribeInstancePatchesCommand({ InstanceId: instanceId, MaxResults: 5 })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(
      ssm.send(new DescribeInstancePatchesCommand({ InstanceId: 'i-0000000000000dead' })),
    ).rejects.toMatchObject({
      name: 'InvalidInstanceId',
    });
  });
});

describe('inspector2 ListFindings', () => {
  it('lists the findings of an instance whose image lineage carries them, filtered and paged', async () => {
    const vulnerable = addImage({});
    inspector.seedImageFindings(vulnerable, [
      {
        vulnerabilityId: 'CVE-2026-21001',
        title: 'Windows Kerberos elevation of privilege',
        severity: 'CRITICAL',
      },
      { vulnerabilityId: 'CVE-2026-21002', title: 'Windows SMB information disclosure', severity: 'MEDIUM' },
      { vulnerabilityId: 'CVE-2026-21003', title: 'Suppressed', severity: 'HIGH', status: 'SUPPRESSED' },
    ]);
    const instanceId = await launch(vulnerable);
    const clean = await launch(BASE);
    const byInstance = (id: string) => ({ resourceId: [{ comparison: 'EQUALS' as const, value: id }] });
    const { findings = [] } = await inspectorClient.send(
      new ListFindingsCommand({ filterCriteria: byInstance(instanceId) }),
    );
    expect(
      findings.map((f) => [f.packageVulnerabilityDetails?.vulnerabilityId, f.severity, f.status]),
    ).toEqual([
      ['CVE-2026-21001', 'CRITICAL', 'ACTIVE'],
      ['CVE-2026-21002', 'MEDIUM', 'ACTIVE'],
      ['CVE-2026-21003', 'HIGH', 'SUPPRESSED'],
    ]);
    expect(findings[0]?.resources?.[0]).toMatchObject({
      type: 'AWS_EC2_INSTANCE',
      id: instanceId,
      details: { awsEc2Instance: { imageId: vulnerable } },
    });
    const active = await inspectorClient.send(
      new ListFindingsCommand({
        filterCriteria: {
          ...byInstance(instanceId),
          findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }],
          severity: [
            { comparison: 'EQUALS', value: 'CRITICAL' },
            { comparison: 'EQUALS', value: 'HIGH' },
          ],
        },
      }),
    );
    expect(active.findings?.map((f) => f.severity)).toEqual(['CRITICAL']);
    const byImage = await inspectorClient.send(
      new ListFindingsCommand({
        filterCriteria: { ec2InstanceImageId: [{ comparison: 'EQUALS', value: vulnerable }] },
      }),
    );
    expect(byImage.findings).toHaveLength(3);
    expect(
      (await inspectorClient.send(new ListFindingsCommand({ filterCriteria: byInstance(clean) }))).findings,
    ).toEqual([]);
    const sizes = [];
    for await (const page of paginateListFindings(
      { client: inspectorClient, pageSize: 2 },
      { filterCriteria: byInstance(instanceId) },
    )) {
      sizes.push(page.findings?.length);
    }
    expect(sizes).toEqual([2, 1]);
    await expect(inspectorClient.send(new ListFindingsCommand({ maxResults: 101 }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });
});
