/**
 * The IAM roles Hephestus needs, as data: the one source for docs/iam/*.json, the IAM section of
 * docs/setup.md (both written by `npm run iam`) and the test that replays the lifecycle against the
 * sandbox and checks every call against its role's policy.
 *
 * Four roles keep branch content away from the trust decisions:
 * - `packer`: Packer's amazon-ebs builder, which runs the branch's template. It may build, copy, encrypt
 *   and share images, and delete what it made, but never create or delete a `hephestus:*` tag, so nothing
 *   it does can make an image look built, validated or promoted by Hephestus.
 * - `release`: Hephestus itself (tagging, validation, promotion, pruning, sweeping). Only it writes
 *   `hephestus:*` tags, and it deregisters only images that carry its `hephestus:image` mark.
 * - `validation-instance`: the instance profile of the validation instances (the SSM agent, nothing else).
 * - `consumer`: the consumer repository's pipeline, which only reads images.
 */
import { TAG } from './image-tags.js';

export type ConditionValues = string | string[];
/** `{ operator: { key: value(s) } }`, as IAM writes it. */
export type Condition = Record<string, Record<string, ConditionValues>>;

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
  Condition?: Condition;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** A statement and why it is there (the reason goes to docs/setup.md, not into the JSON). */
export interface ExplainedStatement {
  statement: PolicyStatement;
  why: string;
}

export type RoleKey = 'packer' | 'release' | 'validation-instance' | 'consumer';

export interface IamRole {
  key: RoleKey;
  /** The role's name in the examples. */
  name: string;
  /** Who uses it, in one sentence. */
  usedBy: string;
  /** How a job gets its credentials. */
  credentials: string;
  trust: PolicyDocument;
  /** AWS-managed policies to attach. */
  managedPolicies: string[];
  statements: ExplainedStatement[];
}

/** What differs between accounts; the docs use the placeholders of {@link EXAMPLE_SETTINGS}. */
export interface IamSettings {
  accountId: string;
  /** CircleCI organization id (the OIDC provider is `oidc.circleci.com/org/<id>`). */
  circleciOrgId: string;
  imagesProjectId: string;
  consumerProjectIds: string[];
  /** Keys Packer may encrypt boot volumes and region copies with (`kms_key_id`, `region_kms_key_ids`). */
  kmsKeyArns: string[];
  /** `ssm_parameters.prefix` of hephestus.yml, under which channels are published (default `/hephestus`). */
  ssmParameterPrefix?: string;
}

export const EXAMPLE_SETTINGS: IamSettings = {
  accountId: '123456789012',
  circleciOrgId: 'ORG_ID',
  imagesProjectId: 'IMAGES_PROJECT_ID',
  consumerProjectIds: ['CONSUMER_PROJECT_ID'],
  kmsKeyArns: ['arn:aws:kms:*:123456789012:key/*'],
};

/** Role names, fixed because the release role passes the validation role by name. */
export const ROLE_NAMES: Record<RoleKey, string> = {
  packer: 'hephestus-packer',
  release: 'hephestus-tagging',
  'validation-instance': 'hephestus-validation',
  consumer: 'hephestus-consumer',
};

/** Every tag key Hephestus owns. */
export const HEPHESTUS_TAG_KEYS = 'hephestus:*';
/** The mark the release role puts on every image it accepts; pruning needs it. */
export const MARK_TAG = TAG.image;
/** The tag every validation instance carries from launch. */
export const VALIDATION_TAG = TAG.validates;
/** Packer's build instances are recognised by their `Name` (`run_tags`). */
export const PACKER_INSTANCE_NAME = 'packer-*';
export const SMOKE_TEST_DOCUMENT = 'AWS-RunPowerShellScript';
/** The document of the patch compliance gate's scan. */
export const PATCH_SCAN_DOCUMENT = 'AWS-RunPatchBaseline';

/** Resource ARNs of one account; images and snapshots have no account in their ARN. */
function arns(accountId: string, parameterPrefix = '/hephestus') {
  const ec2 = (type: string, id = '*') => `arn:aws:ec2:*:${accountId}:${type}/${id}`;
  return {
    image: 'arn:aws:ec2:*::image/*',
    snapshot: 'arn:aws:ec2:*::snapshot/*',
    instance: ec2('instance'),
    volume: ec2('volume'),
    subnet: ec2('subnet'),
    securityGroup: ec2('security-group'),
    networkInterface: ec2('network-interface'),
    keyPair: ec2('key-pair'),
    packerKeyPair: ec2('key-pair', 'packer_*'),
    vpc: ec2('vpc'),
    document: `arn:aws:ssm:*::document/${SMOKE_TEST_DOCUMENT}`,
    patchDocument: `arn:aws:ssm:*::document/${PATCH_SCAN_DOCUMENT}`,
    // AWS's public parameters name no account.
    publicParameters: 'arn:aws:ssm:*::parameter/aws/service/*',
    validationRole: `arn:aws:iam::${accountId}:role/${ROLE_NAMES['validation-instance']}`,
    channelParameters: `arn:aws:ssm:*:${accountId}:parameter${parameterPrefix}/*`,
  };
}

const allow = (
  Sid: string,
  Action: string[],
  Resource: string[],
  why: string,
  Condition?: Condition,
): ExplainedStatement => ({
  statement: { Sid, Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) },
  why,
});

const deny = (
  Sid: string,
  Action: string[],
  Resource: string[],
  why: string,
  Condition: Condition,
): ExplainedStatement => ({ statement: { Sid, Effect: 'Deny', Action, Resource, Condition }, why });

/** No request tag key may be a Hephestus key (true as well when the request has no tags). */
const noHephestusTagKeys: Condition = {
  'ForAllValues:StringNotLike': { 'aws:TagKeys': [HEPHESTUS_TAG_KEYS] },
};
/** The resource carries no Hephestus mark / carries it (`Null` is true when the key is absent). */
const unmarked = { [`aws:ResourceTag/${MARK_TAG}`]: 'true' };
const marked = { [`aws:ResourceTag/${MARK_TAG}`]: 'false' };

type AccountArns = ReturnType<typeof arns>;

/** The packer role, in four groups: what it reads and launches, the images it makes, encryption, the deny. */
function packerStatements(settings: IamSettings): ExplainedStatement[] {
  const a = arns(settings.accountId);
  return [
    ...packerLaunchStatements(settings, a),
    ...packerImageStatements(a),
    ...packerEncryptionStatements(settings),
    packerNeverWritesHephestusTags,
  ];
}

function packerLaunchStatements(settings: IamSettings, a: AccountArns): ExplainedStatement[] {
  return [
    allow(
      'PackerReads',
      [
        'ec2:DescribeImages',
        'ec2:DescribeImageAttribute',
        'ec2:DescribeSnapshots',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeVolumes',
        'ec2:DescribeTags',
        'ec2:DescribeKeyPairs',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcs',
        'ec2:DescribeRegions',
        'ec2:DescribeAvailabilityZones',
      ],
      ['*'],
      'Describe calls support no resource-level permissions.',
    ),
    allow(
      'PackerLaunchesFromAmazonAndOwnImages',
      ['ec2:RunInstances'],
      [a.image],
      "The build instance starts from an Amazon base image or one of the account's own.",
      { StringEquals: { 'ec2:Owner': ['amazon', settings.accountId] } },
    ),
    allow(
      'PackerLaunchesIntoOwnNetwork',
      ['ec2:RunInstances'],
      [a.subnet, a.securityGroup, a.networkInterface, a.keyPair, a.volume],
      'The subnet, security group, key pair and root volume of the build instance.',
      noHephestusTagKeys,
    ),
    allow(
      'PackerBuildInstance',
      ['ec2:RunInstances'],
      [a.instance],
      'The build instance must be named `packer-*` at launch (`run_tags`), and no launch tag may be a `hephestus:*` key.',
      { StringLike: { 'aws:RequestTag/Name': PACKER_INSTANCE_NAME }, ...noHephestusTagKeys },
    ),
  ];
}

function packerImageStatements(a: AccountArns): ExplainedStatement[] {
  return [
    allow(
      'PackerControlsItsBuildInstance',
      ['ec2:StopInstances', 'ec2:TerminateInstances', 'ec2:GetPasswordData', 'ec2:CreateImage'],
      [a.instance],
      'Only instances named `packer-*` may be stopped, imaged or terminated, or have their Windows password read (a WinRM communicator needs it).',
      { StringLike: { 'aws:ResourceTag/Name': PACKER_INSTANCE_NAME } },
    ),
    allow(
      'PackerCreatesAndCopiesImages',
      ['ec2:CreateImage', 'ec2:CopyImage'],
      [a.image, a.snapshot],
      'New images, their region copies and encrypted copies (`encrypt_boot`); none may be created with a `hephestus:*` tag.',
      noHephestusTagKeys,
    ),
    allow(
      'PackerTagsWhatItMade',
      ['ec2:CreateTags'],
      [a.image, a.snapshot, a.instance, a.volume],
      "Packer's own tags (`tags`, `snapshot_tags`, `run_tags`): never a `hephestus:*` key, and never on an image or snapshot Hephestus has marked.",
      { ...noHephestusTagKeys, Null: unmarked },
    ),
    allow(
      'PackerDescribesAndSharesItsImages',
      ['ec2:ModifyImageAttribute', 'ec2:ModifySnapshotAttribute'],
      [a.image, a.snapshot],
      '`ami_description`, `ami_users`, `ami_groups` and `snapshot_users` on images Hephestus has not marked (before tagging).',
      { Null: unmarked },
    ),
    allow(
      'PackerDeletesItsTemporaryAndFailedImages',
      ['ec2:DeregisterImage', 'ec2:DeleteSnapshot'],
      [a.image, a.snapshot],
      "Packer deletes the unencrypted intermediate of `encrypt_boot` and the images of a failed build; it can never delete an image Hephestus has marked (`hephestus:image`). Other unmarked images of the account are reachable: build in an account (or with a permissions boundary) that holds only Hephestus's images.",
      { Null: unmarked },
    ),
    allow(
      'PackerDeletesLeftoverVolumes',
      ['ec2:DeleteVolume'],
      [a.volume],
      "Volumes that outlive the build instance (a base image mapping with `delete_on_termination = false`), which Packer deletes when it cleans up; never a validation instance's.",
      { Null: { [`aws:ResourceTag/${VALIDATION_TAG}`]: 'true' } },
    ),
    allow(
      'PackerTemporaryKeyPairAndSecurityGroup',
      [
        'ec2:CreateKeyPair',
        'ec2:DeleteKeyPair',
        'ec2:CreateSecurityGroup',
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:DeleteSecurityGroup',
      ],
      [a.packerKeyPair, a.securityGroup, a.vpc],
      'The temporary key pair (`packer_*`) and security group of a build with a communicator.',
    ),
  ];
}

function packerEncryptionStatements(settings: IamSettings): ExplainedStatement[] {
  return [
    allow(
      'PackerEncryptsThroughEc2',
      [
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:Decrypt',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
        'kms:GenerateDataKeyWithoutPlaintext',
      ],
      settings.kmsKeyArns,
      "EC2 uses the customer-managed key of `kms_key_id` / `region_kms_key_ids` on the caller's behalf; only through EC2.",
      { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } },
    ),
    allow(
      'PackerGrantsEc2TheKey',
      ['kms:CreateGrant'],
      settings.kmsKeyArns,
      'EC2 needs a grant on the key for the encrypted snapshots; only for AWS resources, only through EC2.',
      {
        StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    ),
  ];
}

const packerNeverWritesHephestusTags = deny(
  'PackerNeverWritesHephestusTags',
  ['ec2:CreateTags', 'ec2:DeleteTags', 'ec2:RunInstances', 'ec2:CreateImage', 'ec2:CopyImage'],
  ['*'],
  'Belt and braces: even if a broader policy is attached to this role, no `hephestus:*` tag is written or removed by it.',
  { 'ForAnyValue:StringLike': { 'aws:TagKeys': [HEPHESTUS_TAG_KEYS] } },
);

/** The release role: its own tags and pruning, then the validation instances it launches. */
function releaseStatements(settings: IamSettings): ExplainedStatement[] {
  const a = arns(settings.accountId, settings.ssmParameterPrefix);
  return [
    ...releaseTagStatements(settings, a),
    ...lifecycleStatements(a),
    ...validationStatements(settings, a),
  ];
}

/** EC2's image lifecycle (deprecation, deregistration protection) and the SSM parameters of base AMIs and channels. */
function lifecycleStatements(a: AccountArns): ExplainedStatement[] {
  return [
    allow(
      'ReleaseRetiresAndProtectsOnlyMarkedImages',
      [
        'ec2:EnableImageDeprecation',
        'ec2:DisableImageDeprecation',
        'ec2:EnableImageDeregistrationProtection',
        'ec2:DisableImageDeregistrationProtection',
      ],
      [a.image],
      'prune deprecates a superseded image before it deregisters it; a channel move protects the image taking the channel from deregistration (lifting a deprecation) and unprotects the one leaving it. Only images carrying the `hephestus:image` mark.',
      { Null: marked },
    ),
    allow(
      'ReleaseReadsPublicBaseAmiParameters',
      ['ssm:GetParameters'],
      [a.publicParameters],
      "`base_ami.ssm_parameter`: AWS's public parameters such as `/aws/service/ami-windows-latest/...` name the newest base AMI per region.",
    ),
    ...channelParameterStatements('Release', a),
  ];
}

/** Writing the channels' SSM parameters (`ssm_parameters.publish`): read first, so a re-run writes no new version. */
function channelParameterStatements(role: string, a: AccountArns): ExplainedStatement[] {
  return [
    allow(
      `${role}PublishesChannelParameters`,
      ['ssm:GetParameters', 'ssm:PutParameter'],
      [a.channelParameters],
      'With `ssm_parameters.publish`, a channel move points `<prefix>/<image>/<channel>` at the new holder; only parameters under the prefix.',
    ),
  ];
}

function releaseTagStatements(settings: IamSettings, a: AccountArns): ExplainedStatement[] {
  return [
    allow(
      'ReleaseReads',
      [
        'ec2:DescribeImages',
        'ec2:DescribeSnapshots',
        'ec2:DescribeInstances',
        'ec2:DescribeInstanceStatus',
        'ec2:DescribeTags',
        'ec2:DescribeLaunchTemplateVersions',
        'ssm:DescribeInstanceInformation',
        'ssm:GetCommandInvocation',
      ],
      ['*'],
      'Describe calls support no resource-level permissions; `DescribeLaunchTemplateVersions` lets prune keep images a launch template uses.',
    ),
    allow(
      'ReleaseWritesOnlyHephestusTags',
      ['ec2:CreateTags'],
      [a.image, a.snapshot],
      'Marks built images and their snapshots (`hephestus:image`, `hephestus:status`, channels); every key must be a `hephestus:*` key.',
      {
        'ForAllValues:StringLike': { 'aws:TagKeys': [HEPHESTUS_TAG_KEYS] },
        StringEquals: { 'ec2:Owner': settings.accountId },
      },
    ),
    allow(
      'ReleaseRemovesOnlyHephestusTagsOfMarkedImages',
      ['ec2:DeleteTags'],
      [a.image, a.snapshot],
      'Moving a channel removes `hephestus:*` tags, only from images and snapshots it marked.',
      { 'ForAllValues:StringLike': { 'aws:TagKeys': [HEPHESTUS_TAG_KEYS] }, Null: marked },
    ),
    allow(
      'ReleasePrunesOnlyMarkedImages',
      ['ec2:DeregisterImage', 'ec2:DeleteSnapshot'],
      [a.image, a.snapshot],
      'prune deregisters only images (and deletes only snapshots) that carry its `hephestus:image` mark, which Packer cannot set.',
      { Null: marked },
    ),
    allow(
      'ReleaseRevokesOnlyMarkedImages',
      ['ec2:DisableImage'],
      [a.image],
      'revoke takes a bad image out of service with `DisableImage`, only on images that carry its `hephestus:image` mark (with `revoke.ec2_action: deprecate` it deprecates them through `ReleaseRetiresAndProtectsOnlyMarkedImages`); its `hephestus:status=revoked` tags go through `ReleaseWritesOnlyHephestusTags`.',
      { Null: marked },
    ),
  ];
}

function validationStatements(settings: IamSettings, a: AccountArns): ExplainedStatement[] {
  return [
    allow(
      'ValidationLaunchesMarkedImages',
      ['ec2:RunInstances'],
      [a.image],
      "A validation instance starts only from the account's own images that Hephestus marked.",
      { StringEquals: { 'ec2:Owner': settings.accountId }, Null: marked },
    ),
    allow(
      'ValidationLaunchesIntoOwnNetwork',
      ['ec2:RunInstances'],
      [a.subnet, a.securityGroup, a.networkInterface, a.keyPair, a.volume],
      'The subnet, security groups and root volume of the validation instance.',
    ),
    allow(
      'ValidationInstances',
      ['ec2:RunInstances'],
      [a.instance],
      'Validation instances carry `hephestus:validates` from launch and require IMDSv2.',
      {
        StringLike: { [`aws:RequestTag/${VALIDATION_TAG}`]: 'ami-*' },
        StringEquals: { 'ec2:MetadataHttpTokens': 'required' },
      },
    ),
    allow(
      'ValidationTagsAtLaunch',
      ['ec2:CreateTags'],
      [a.instance, a.volume],
      'The run tags on the validation instance and its volume, only as part of the launch.',
      { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    ),
    allow(
      'ValidationKeepsFailedInstances',
      ['ec2:CreateTags'],
      [a.instance],
      'With `validation.keep_on_failure_minutes`, a failed validation instance gets its expiry (`hephestus:keep-until`) for sweep: that one key, only on validation instances.',
      {
        StringLike: { [`aws:ResourceTag/${VALIDATION_TAG}`]: 'ami-*' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG.keepUntil] },
      },
    ),
    allow(
      'ValidationInstanceLifecycle',
      ['ec2:TerminateInstances', 'ec2:GetConsoleOutput'],
      [a.instance],
      'Reads the boot console and terminates (validation, sweep) only validation instances.',
      { StringLike: { [`aws:ResourceTag/${VALIDATION_TAG}`]: 'ami-*' } },
    ),
    allow(
      'SmokeTestsOnValidationInstances',
      ['ssm:SendCommand'],
      [a.instance],
      'Smoke tests run only on validation instances...',
      { StringLike: { [`ssm:resourceTag/${VALIDATION_TAG}`]: 'ami-*' } },
    ),
    allow(
      'SmokeTestsWithRunPowerShellOnly',
      ['ssm:SendCommand'],
      [a.document],
      `...and only through \`${SMOKE_TEST_DOCUMENT}\`.`,
    ),
    allow(
      'PatchScanWithRunPatchBaseline',
      ['ssm:SendCommand'],
      [a.patchDocument],
      `The patch compliance gate scans validation instances through \`${PATCH_SCAN_DOCUMENT}\` (\`Operation=Scan\`: it installs nothing).`,
    ),
    allow(
      'PatchComplianceReads',
      ['ssm:DescribeInstancePatchStates', 'ssm:DescribeInstancePatches'],
      ['*'],
      "The scan's counts and the patches not installed; these calls support no resource-level permissions.",
    ),
    allow(
      'InspectorFindingsReads',
      ['inspector2:ListFindings'],
      ['*'],
      "Inspector's findings for the validation instance, read only when `validation.inspector` is enabled; ListFindings supports no resource-level permissions.",
    ),
    allow(
      'PassTheValidationRole',
      ['iam:PassRole'],
      [a.validationRole],
      'The validation instance profile, to EC2 only.',
      { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    ),
  ];
}

/** The tags that say which channel an image holds; announce moves them, nothing else. */
export const CHANNEL_TAG_KEYS = [TAG.channel, TAG.previousChannel, TAG.replaces, TAG.rolledBackFrom];

function consumerStatements(settings: IamSettings): ExplainedStatement[] {
  const a = arns(settings.accountId, settings.ssmParameterPrefix);
  return [
    allow(
      'ConsumerReadsImages',
      ['ec2:DescribeImages', 'ec2:DescribeTags'],
      ['*'],
      'bump-consumer and announce read the images and their tags.',
    ),
    allow(
      'ConsumerMovesChannelsOfValidatedImages',
      ['ec2:CreateTags', 'ec2:DeleteTags'],
      [a.image, a.snapshot],
      'announce moves an image to the next channel: only the channel tags, only on images (and snapshots) the release role tagged `validated`. It can never set `hephestus:status`, so it cannot make an image validated.',
      {
        'ForAllValues:StringEquals': { 'aws:TagKeys': CHANNEL_TAG_KEYS },
        StringEquals: { [`aws:ResourceTag/${TAG.status}`]: 'validated' },
      },
    ),
    allow(
      'ConsumerProtectsChannelHolders',
      [
        'ec2:EnableImageDeregistrationProtection',
        'ec2:DisableImageDeregistrationProtection',
        'ec2:DisableImageDeprecation',
      ],
      [a.image],
      "announce's channel move protects the image taking the channel from deregistration (lifting a deprecation) and unprotects the one leaving it: only images the release role tagged `validated`. It cannot deprecate.",
      { StringEquals: { [`aws:ResourceTag/${TAG.status}`]: 'validated' } },
    ),
    ...channelParameterStatements('Consumer', a),
  ];
}

/** Trust in CircleCI's OIDC tokens of the given projects. */
function circleciTrust(settings: IamSettings, projectIds: string[]): PolicyDocument {
  const provider = `oidc.circleci.com/org/${settings.circleciOrgId}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CircleCIProjects',
        Effect: 'Allow',
        Action: ['sts:AssumeRoleWithWebIdentity'],
        Resource: ['*'],
        Condition: {
          StringEquals: { [`${provider}:aud`]: settings.circleciOrgId },
          StringLike: {
            [`${provider}:sub`]: projectIds.map((id) => `org/${settings.circleciOrgId}/project/${id}/user/*`),
          },
        },
      },
    ],
  };
}

function withPrincipal(document: PolicyDocument, principal: Record<string, string>): unknown {
  return {
    Version: document.Version,
    Statement: document.Statement.map(({ Resource: _resource, ...statement }) => ({
      ...statement,
      Principal: principal,
    })),
  };
}

/** The trust policy as IAM takes it (a principal instead of a resource). */
export function trustPolicyJson(role: IamRole, settings: IamSettings): unknown {
  if (role.key === 'validation-instance') {
    return withPrincipal(role.trust, { Service: 'ec2.amazonaws.com' });
  }
  return withPrincipal(role.trust, {
    Federated: `arn:aws:iam::${settings.accountId}:oidc-provider/oidc.circleci.com/org/${settings.circleciOrgId}`,
  });
}

/** Every role with its statements, for `settings`. */
export function hephestusRoles(settings: IamSettings = EXAMPLE_SETTINGS): IamRole[] {
  const images = [settings.imagesProjectId];
  return [
    {
      key: 'packer',
      name: ROLE_NAMES.packer,
      usedBy: "Packer's amazon-ebs builder in build-validate (the branch's template runs with it).",
      credentials:
        'Given to Packer only: `HEPHESTUS_PACKER_AWS_ROLE_ARN` (web identity) or `HEPHESTUS_PACKER_AWS_ACCESS_KEY_ID` / `_SECRET_ACCESS_KEY` / `_SESSION_TOKEN`.',
      trust: circleciTrust(settings, images),
      managedPolicies: [],
      statements: packerStatements(settings),
    },
    {
      key: 'release',
      name: ROLE_NAMES.release,
      usedBy: 'Hephestus itself in the images repository: tagging, validation, promote, prune and sweep.',
      credentials:
        "The job's own AWS credentials (`AWS_ROLE_ARN` by OIDC, or `AWS_ACCESS_KEY_ID`); never handed to Packer.",
      trust: circleciTrust(settings, images),
      managedPolicies: [],
      statements: releaseStatements(settings),
    },
    {
      key: 'validation-instance',
      name: ROLE_NAMES['validation-instance'],
      usedBy:
        'The validation instances (`validation.instance_profile`): the SSM agent registers, runs the smoke tests and the patch scan (the managed policy covers `AWS-RunPatchBaseline`: nothing more is needed).',
      credentials: 'An instance profile of the same name; passed by the release role only.',
      trust: {
        Version: '2012-10-17',
        Statement: [{ Sid: 'Ec2', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ['*'] }],
      },
      managedPolicies: ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'],
      statements: [],
    },
    {
      key: 'consumer',
      name: ROLE_NAMES.consumer,
      usedBy: "bump-consumer and announce in each consumer repository's pipeline.",
      credentials: "The consumer job's own AWS credentials.",
      trust: circleciTrust(settings, settings.consumerProjectIds),
      managedPolicies: [],
      statements: consumerStatements(settings),
    },
  ];
}

/** The role's inline policy document, or undefined for a role with managed policies only. */
export function rolePolicy(role: IamRole): PolicyDocument | undefined {
  if (role.statements.length === 0) return undefined;
  return { Version: '2012-10-17', Statement: role.statements.map((s) => s.statement) };
}
