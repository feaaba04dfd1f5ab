/**
 * Replays the lifecycle against the sandbox with one set of credentials per role, the way docs/setup.md sets
 * them up: Hephestus with the release role, Packer (real Packer 1.6.6) with the packer role through
 * HEPHESTUS_PACKER_AWS_*, bump-consumer and announce with the consumer role. Every EC2 and SSM call the
 * sandbox saw is then checked against the policy of the role that made it (told by access key id), with
 * the evaluator in policy-evaluator.ts. Packer is also run on its own with `encrypt_boot`, a customer KMS
 * key, a region copy, sharing and a failed build (cleanup), and once with a template that forges
 * `hephestus:*` tags, which must be refused. The sandbox enforces the policies while the lifecycle runs (an
 * authorizer built on the same evaluator), so the split holds in practice, not only on paper.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBaseAmisBySsm } from '../../src/aws/base-ami-ssm.js';
import { publishChannel } from '../../src/aws/channel-parameters.js';
import { awsClientsPerRegion } from '../../src/aws/ec2-client.js';
import {
  hephestusRoles,
  type PolicyDocument,
  type PolicyStatement,
  type RoleKey,
  rolePolicy,
} from '../../src/aws/iam-policies.js';
import { type PruneOptions, prune } from '../../src/aws/prune.js';
import { sweep } from '../../src/aws/sweep.js';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import type { PromoteReport } from '../../src/flows/promote.js';
import { GitHubClient } from '../../src/github/github-client.js';
import {
  SANDBOX_ACCOUNT_ID,
  SANDBOX_AWS_CREDENTIALS,
  SANDBOX_PACKER_AWS_CREDENTIALS,
} from '../../src/sandbox/aws/aws-auth.js';
import { seedImageId } from '../../src/sandbox/aws/ec2-state.js';
import { IMAGES_REPO, type Sandbox, SERVICE_REPO, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runSandboxFlow } from '../flows/flow-harness.js';
import { authorizationsFor, fromEc2Call, fromSsmCall, type RecordedCall } from './aws-requests.js';
import { evaluate } from './policy-evaluator.js';

const CONSUMER_CREDENTIALS = {
  accessKeyId: 'AKIASANDBOXCONSUMER1',
  secretAccessKey: 'sandbox/consumer/secret/key/not/checked0',
};
const ROLE_BY_KEY: Record<string, RoleKey> = {
  [SANDBOX_AWS_CREDENTIALS.accessKeyId]: 'release',
  [SANDBOX_PACKER_AWS_CREDENTIALS.accessKeyId]: 'packer',
  [CONSUMER_CREDENTIALS.accessKeyId]: 'consumer',
};
const KMS_KEY = `arn:aws:kms:us-east-1:${SANDBOX_ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const KMS_KEY_WEST = `arn:aws:kms:us-west-2:${SANDBOX_ACCOUNT_ID}:key/5678abcd-12ab-34cd-56ef-1234567890ab`;
const SHARED_WITH = '444455556666';
const BASE_AMI = seedImageId('us-east-1', 'Windows_Server-2022-English-Full-Base-2026.09.10');
const BRANCH = 'windows-update/win2019-win2022';
const consumerEnv = {
  AWS_ACCESS_KEY_ID: CONSUMER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CONSUMER_CREDENTIALS.secretAccessKey,
};

const policies = Object.fromEntries(
  hephestusRoles({
    accountId: SANDBOX_ACCOUNT_ID,
    circleciOrgId: 'org',
    imagesProjectId: 'images',
    consumerProjectIds: ['consumer'],
    kmsKeyArns: [`arn:aws:kms:*:${SANDBOX_ACCOUNT_ID}:key/*`],
  }).map((role) => [role.key, rolePolicy(role)]),
) as Record<RoleKey, PolicyDocument | undefined>;

let sandbox: Sandbox;
let scratch: string;

beforeAll(async () => {
  sandbox = await startSandbox({
    ec2: {
      scale: 0,
      accessKeyIds: [
        SANDBOX_AWS_CREDENTIALS.accessKeyId,
        SANDBOX_PACKER_AWS_CREDENTIALS.accessKeyId,
        CONSUMER_CREDENTIALS.accessKeyId,
      ],
      // The sandbox refuses what the caller's role does not allow, as IAM would.
      authorize: (call) =>
        refusals(call)
          .map((finding) => `${finding.decision}: ${finding.request}`)
          .join('; ') || undefined,
    },
  });
  scratch = await mkdtemp(join(tmpdir(), 'iam-replay-'));
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** Every call so far, in one shape; calls refused before authorization (unsigned, unknown action) are left out. */
/** The calls recorded since `since` (each service's count of calls then), EC2's first. */
function recordedCalls(since = { ec2: 0, ssm: 0 }): RecordedCall[] {
  return [
    ...sandbox.ec2.calls
      .slice(since.ec2)
      .filter((call) => call.resources !== undefined)
      .map(fromEc2Call),
    ...sandbox.ssm.calls
      .slice(since.ssm)
      .filter((call) => call.resources !== undefined)
      .map(fromSsmCall),
  ];
}

interface Finding {
  role: RoleKey | 'unknown';
  call: string;
  request: string;
  decision: string;
}

/** The requests of `call` that its caller's role does not allow. */
function refusals(call: RecordedCall): Finding[] {
  const role = ROLE_BY_KEY[call.accessKeyId];
  const describe = `${call.service}:${call.action} ${call.region}`;
  if (!role) return [{ role: 'unknown', call: describe, request: call.accessKeyId, decision: 'no role' }];
  const policy = policies[role];
  return authorizationsFor(call, SANDBOX_ACCOUNT_ID).flatMap((request) => {
    const decision = policy ? evaluate(policy, request) : { effect: 'implicit-deny' as const };
    return decision.effect === 'allow'
      ? []
      : [
          {
            role,
            call: describe,
            request: `${request.action} ${request.resource} ${JSON.stringify(request.context)}`,
            decision: 'sid' in decision ? `${decision.effect} (${decision.sid})` : decision.effect,
          },
        ];
  });
}

/** The requests of `calls` that their caller's role does not allow. */
function refused(calls: RecordedCall[]): Finding[] {
  return calls.flatMap(refusals);
}

function packerTemplate(extra: string, tags = '"Name" = "hephestus-enc"\n    "built-by" = "packer"'): string {
  return `
variable "aws_endpoint_ec2" {
  type = string
}

source "amazon-ebs" "enc" {
  region                     = "us-east-1"
  source_ami                 = "${BASE_AMI}"
  instance_type              = "t3.large"
  ami_name                   = "hephestus-enc-\${uuidv4()}"
  ami_description            = "encrypted, copied and shared"
  communicator               = "none"
  user_data                  = "<powershell></powershell>"
  custom_endpoint_ec2        = var.aws_endpoint_ec2
  skip_region_validation     = true
  skip_credential_validation = true
  skip_metadata_api_check    = true
  run_tags                   = { "Name" = "packer-enc" }
  tags = {
    ${tags}
  }
${extra}
}

build {
  sources = ["source.amazon-ebs.enc"]
}
`;
}

/** Runs real Packer on `template` with the packer role's credentials only. */
async function packerBuild(name: string, template: string): Promise<{ code: number; stdout: string }> {
  const dir = join(scratch, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'build.pkr.hcl'), template);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    CHECKPOINT_DISABLE: '1',
    AWS_ACCESS_KEY_ID: SANDBOX_PACKER_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SANDBOX_PACKER_AWS_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_POLL_DELAY_SECONDS: '1',
    AWS_MAX_ATTEMPTS: '10',
  };
  const argv = [
    'build',
    '-machine-readable',
    '-color=false',
    `-var=aws_endpoint_ec2=${sandbox.urls.ec2}`,
    '.',
  ];
  return new Promise((resolve) => {
    execFile('packer', argv, { cwd: dir, env, timeout: 60_000 }, (error, stdout) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

const callsOf = (role: RoleKey, action: string, calls = recordedCalls()) =>
  calls.filter((call) => ROLE_BY_KEY[call.accessKeyId] === role && call.action === action);

describe('every AWS call of the lifecycle is allowed by its role', () => {
  const github = () =>
    new GitHubClient({ token: sandbox.tokens.github, baseUrl: sandbox.urls.github, pacing: false });
  const [owner, imagesName] = IMAGES_REPO.split('/') as [string, string];
  const serviceName = SERVICE_REPO.split('/')[1] as string;
  const openPull = async (repo: string) =>
    (await github().octokit.rest.pulls.list({ owner, repo, state: 'open' })).data[0];

  it('runs the lifecycle with one set of credentials per role', async () => {
    const repo = { repo: IMAGES_REPO };
    expect((await runSandboxFlow(sandbox, 'open-update', repo)).exitCode).toBe(0);
    sandbox.ssm.faults.commandFails = true;
    try {
      const failing = await runSandboxFlow(sandbox, 'build-validate', { ...repo, branch: BRANCH });
      expect(failing.exitCode, failing.log).toBe(1);
    } finally {
      sandbox.ssm.faults.commandFails = false;
    }
    const build = await runSandboxFlow<BuildValidateReport>(sandbox, 'build-validate', {
      ...repo,
      branch: BRANCH,
    });
    expect(build.report?.outcome, build.log).toBe('validated');
    expect(build.log).not.toContain("Packer runs with the job's own AWS credentials");

    const pull = await openPull(imagesName);
    const merged = await github().octokit.rest.pulls.merge({
      owner,
      repo: imagesName,
      pull_number: pull?.number ?? 0,
    });
    const promote = await runSandboxFlow<PromoteReport>(sandbox, 'promote', {
      ...repo,
      sha: merged.data.sha,
    });
    expect(promote.exitCode, promote.log).toBe(0);
    const images = sandbox.circleci.state.triggers[0]?.parameters.images as string;

    const bump = await runSandboxFlow(sandbox, 'bump-consumer', { repo: SERVICE_REPO, images }, consumerEnv);
    expect(bump.exitCode, bump.log).toBe(0);
    const consumerPull = await openPull(serviceName);
    const consumerMerge = await github().octokit.rest.pulls.merge({
      owner,
      repo: serviceName,
      pull_number: consumerPull?.number ?? 0,
    });
    const announce = await runSandboxFlow(
      sandbox,
      'announce',
      { repo: SERVICE_REPO, sha: consumerMerge.data.sha },
      consumerEnv,
    );
    expect(announce.exitCode, announce.log).toBe(0);

    const release = awsClientsPerRegion({ env: sandbox.env });
    const ec2For = (region: string) => release(region).ec2;
    const pruneOptions: PruneOptions = {
      regions: ['us-east-1', 'us-west-2'],
      keep: 0,
      protectDays: 0,
      graceDays: 0,
      dryRun: false,
      launchTemplates: 'skip',
      now: () => sandbox.ec2.clock.now(),
    };
    const deprecated = await prune(ec2For, pruneOptions);
    expect(deprecated.decisions.filter((d) => d.action === 'deprecate').length).toBeGreaterThan(0);
    sandbox.ec2.clock.advance(60_000);
    const pruned = await prune(ec2For, pruneOptions);
    expect(pruned.decisions.filter((d) => d.action === 'delete').length).toBeGreaterThan(0);
    // base_ami.ssm_parameter and ssm_parameters.publish, with the release role.
    const clients = (region: string) => release(region);
    await findBaseAmisBySsm(clients, [
      {
        image: 'win2022',
        region: 'us-east-1',
        parameter: '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base',
      },
    ]);
    const publish = { ssmFor: (region: string) => release(region).ssm, prefix: '/hephestus' };
    const holder = promote.report?.images[0];
    const [region, imageId] = Object.entries(holder?.amis ?? {})[0] ?? [];
    await publishChannel(
      publish,
      { region: region as string, image: holder?.image as string, channel: 'canary' },
      imageId as string,
    );
    await sweep(ec2For, { regions: ['us-east-1'], graceMinutes: 0, defaultTimeoutMinutes: 1, dryRun: false });
  });

  it('runs Packer with encrypt_boot, a customer key, a region copy, sharing, and a failed build that leaves a volume', async () => {
    const encrypted = await packerBuild(
      'encrypted',
      packerTemplate(`
  encrypt_boot       = true
  kms_key_id         = "${KMS_KEY}"
  ami_regions        = ["us-west-2"]
  region_kms_key_ids = { "us-west-2" = "${KMS_KEY_WEST}" }
  ami_users          = ["${SHARED_WITH}"]
  snapshot_users     = ["${SHARED_WITH}"]
  snapshot_tags      = { "built-by" = "packer" }
`),
    );
    expect(encrypted.code, encrypted.stdout).toBe(0);
    // A base image whose root volume outlives the instance: Packer deletes the volume itself when it cleans up.
    const root = sandbox.ec2.state.images.get(BASE_AMI)?.blockDevices[0];
    if (!root) throw new Error(`no ${BASE_AMI} in the sandbox`);
    root.deleteOnTermination = false;
    sandbox.ec2.faults.buildFailsIn = ['us-east-1'];
    try {
      const failed = await packerBuild('failed', packerTemplate(''));
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/Destroying volume \(vol-[0-9a-f]+\)/);
      // Packer 1.6.6 leaves the failed image behind, unmarked: prune (the release role) cannot delete it.
      const left = [...sandbox.ec2.state.images.values()].filter((image) => image.state === 'failed');
      expect(
        left.map((image) => Object.keys(image.tags).filter((key) => key.startsWith('hephestus:'))),
      ).toEqual([[]]);
    } finally {
      sandbox.ec2.faults.buildFailsIn = [];
      root.deleteOnTermination = true;
    }
  });

  it('finds no call its role does not allow', () => {
    const calls = recordedCalls();
    expect(calls.length).toBeGreaterThan(100);
    expect(refused(calls)).toEqual([]);
  });

  it('saw each role do what the policies are about, so the check above is not vacuous', () => {
    const calls = recordedCalls();
    const actions = (role: RoleKey) =>
      new Set(calls.filter((c) => ROLE_BY_KEY[c.accessKeyId] === role).map((c) => c.action));
    expect([...actions('packer')]).toEqual(
      expect.arrayContaining([
        'RunInstances',
        'CreateImage',
        'CopyImage',
        'CreateTags',
        'ModifyImageAttribute',
        'ModifySnapshotAttribute',
        'DeregisterImage',
        'DeleteSnapshot',
        'TerminateInstances',
        'DeleteVolume',
      ]),
    );
    expect([...actions('release')]).toEqual(
      expect.arrayContaining([
        'CreateTags',
        'DeleteTags',
        'RunInstances',
        'GetConsoleOutput',
        'TerminateInstances',
        'SendCommand',
        'DeregisterImage',
        'DeleteSnapshot',
        'DescribeInstancePatchStates',
        'DescribeInstancePatches',
        'EnableImageDeprecation',
        'EnableImageDeregistrationProtection',
        'GetParameters',
        'PutParameter',
      ]),
    );
    // The patch gate's scan went through its own document, allowed by its own statement.
    expect(
      callsOf('release', 'SendCommand', calls).some((c) => c.params.DocumentName === 'AWS-RunPatchBaseline'),
    ).toBe(true);
    expect([...actions('consumer')]).toEqual(
      expect.arrayContaining(['DescribeImages', 'CreateTags', 'DeleteTags']),
    );
    // announce's move found its images protected by promote already; what a displacing move would ask:
    const consumerAsks = (action: string, status?: string) =>
      evaluate(policies.consumer as PolicyDocument, {
        action,
        resource: 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0',
        context: status ? { 'aws:ResourceTag/hephestus:status': status } : {},
      }).effect;
    for (const action of [
      'ec2:EnableImageDeregistrationProtection',
      'ec2:DisableImageDeregistrationProtection',
      'ec2:DisableImageDeprecation',
    ]) {
      expect(consumerAsks(action, 'validated')).toBe('allow');
      expect(consumerAsks(action, 'built')).toBe('implicit-deny');
    }
    expect(consumerAsks('ec2:EnableImageDeprecation', 'validated')).toBe('implicit-deny');
    // encrypt_boot: an encrypted copy with the customer key, then the unencrypted intermediate deleted.
    expect(
      callsOf('packer', 'CopyImage', calls).some(
        (c) => c.params.Encrypted === 'true' && c.params.KmsKeyId === KMS_KEY,
      ),
    ).toBe(true);
    // Packer never wrote a hephestus:* tag; the release role wrote them all.
    const tagKeys = (role: RoleKey) =>
      callsOf(role, 'CreateTags', calls).flatMap((c) =>
        Object.entries(c.params).flatMap(([k, v]) => (/^Tag\.\d+\.Key$/.test(k) ? [v] : [])),
      );
    expect(tagKeys('packer').filter((k) => k.startsWith('hephestus:'))).toEqual([]);
    expect(tagKeys('release')).toContain('hephestus:status');
  });

  it('shows what the single policy of the setup guide before the split got wrong (issue 14)', async () => {
    const raw = JSON.parse(
      await readFile(new URL('../fixtures/iam/single-policy-before-split.json', import.meta.url), 'utf8'),
    ) as {
      Statement: Array<
        Omit<PolicyStatement, 'Action' | 'Resource'> & {
          Action: string | string[];
          Resource: string | string[];
        }
      >;
    };
    const before: PolicyDocument = {
      Version: '2012-10-17',
      Statement: raw.Statement.map((s) => ({
        ...s,
        Action: [s.Action].flat(),
        Resource: [s.Resource].flat(),
      })),
    };
    const refusedActions = new Set(
      recordedCalls().flatMap((call) =>
        authorizationsFor(call, SANDBOX_ACCOUNT_ID)
          .filter((request) => evaluate(before, request).effect !== 'allow')
          .map((request) => request.action),
      ),
    );
    // encrypt_boot, sharing and cleanup could not work: the intermediate image is not tagged hephestus:managed;
    // snapshot sharing, volume deletion and KMS were missing.
    expect([...refusedActions]).toEqual(
      expect.arrayContaining([
        'ec2:DeregisterImage',
        'ec2:DeleteSnapshot',
        'ec2:ModifySnapshotAttribute',
        'kms:CreateGrant',
      ]),
    );
    // And CreateTags had no condition: a template could mark its image validated.
    const forgedTag = {
      action: 'ec2:CreateTags',
      resource: 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0',
      context: { 'aws:TagKeys': ['hephestus:status'], 'aws:RequestTag/hephestus:status': 'validated' },
    };
    expect(evaluate(before, forgedTag).effect).toBe('allow');
    expect(evaluate(policies.packer as PolicyDocument, forgedTag).effect).toBe('explicit-deny');
  });

  it('refuses a template that tags its own AMI hephestus:status=validated, and Packer cleans up', async () => {
    // Per service: one offset into EC2's and SSM's calls together would skip new EC2 calls when SSM had more.
    const before = { ec2: sandbox.ec2.calls.length, ssm: sandbox.ssm.calls.length };
    const images = new Set(sandbox.ec2.state.images.keys());
    const forged = await packerBuild(
      'forged',
      packerTemplate(
        '',
        '"Name" = "forged"\n    "hephestus:status" = "validated"\n    "hephestus:image" = "win2022"',
      ),
    );
    expect(forged.code, forged.stdout).toBe(1);
    expect(forged.stdout).toContain('UnauthorizedOperation');
    const calls = recordedCalls(before);
    // One call refused: CreateTags (one authorization per resource it names); the rest of the build was allowed.
    expect(calls.filter((call) => refusals(call).length > 0).map((call) => call.action)).toEqual([
      'CreateTags',
    ]);
    const findings = refused(calls);
    expect(new Set(findings.map((f) => `${f.role} ${f.decision}`))).toEqual(
      new Set(['packer explicit-deny (PackerNeverWritesHephestusTags)']),
    );
    expect(findings[0]?.request).toContain('"aws:RequestTag/hephestus:status":"validated"');
    // Packer deregistered the image it could not tag; nothing new carries a hephestus:* tag.
    const added = [...sandbox.ec2.state.images.values()].filter((image) => !images.has(image.imageId));
    expect(
      added.filter((image) => Object.keys(image.tags).some((key) => key.startsWith('hephestus:'))),
    ).toEqual([]);
    expect(callsOf('packer', 'DeregisterImage', recordedCalls(before))).toHaveLength(1);
  });
});
