/**
 * What IAM authorizes for one recorded EC2 or SSM call: each resource the action touches (as AWS's
 * service authorization reference lists them) with its condition keys, plus the implied requests
 * (tags at launch need ec2:CreateTags with ec2:CreateAction; an instance profile needs iam:PassRole;
 * an encrypted copy with a customer key has EC2 call KMS with the caller's permissions). An action
 * this table does not know fails the test, so a new call cannot slip past unchecked.
 */
import type { AwsCallView } from '../../src/sandbox/aws/aws-auth.js';
import type { Ec2Call } from '../../src/sandbox/aws/ec2.js';
import type { ResourceSnapshot } from '../../src/sandbox/aws/ec2-state.js';
import { flattenBody, type SsmCall } from '../../src/sandbox/aws/ssm.js';
import type { AuthorizationRequest, ContextValue } from './policy-evaluator.js';

type Context = Record<string, ContextValue>;

/** A recorded call in one shape for both services (what the sandbox hands its authorizer). */
export type RecordedCall = AwsCallView;

export function fromEc2Call(call: Ec2Call): RecordedCall {
  return {
    service: 'ec2',
    action: call.action,
    region: call.region ?? '',
    accessKeyId: call.accessKeyId ?? '',
    params: call.params ?? {},
    resources: call.resources ?? {},
  };
}

export function fromSsmCall(call: SsmCall): RecordedCall {
  return {
    service: 'ssm',
    action: call.action,
    region: call.region ?? '',
    accessKeyId: call.accessKeyId ?? '',
    params: flattenBody(call.body ?? {}),
    resources: call.resources ?? {},
  };
}

/** Flattened list parameter `prefix.1`, `prefix.2`, ... */
function list(params: Record<string, string>, prefix: string): string[] {
  return Object.keys(params)
    .filter((key) => new RegExp(`^${prefix.replace('.', '\\.')}\\.\\d+$`).test(key))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
    .map((key) => params[key] as string);
}

/** Tags of a request's `Tag.N` or `TagSpecification.N.Tag.M` (for one resource type, or all). */
function requestTags(params: Record<string, string>, resourceType?: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const plain = /^Tag\.(\d+)\.Key$/.exec(key);
    if (plain) tags[value] = params[`Tag.${plain[1]}.Value`] ?? '';
    const spec = /^TagSpecification\.(\d+)\.Tag\.(\d+)\.Key$/.exec(key);
    if (spec && (!resourceType || params[`TagSpecification.${spec[1]}.ResourceType`] === resourceType)) {
      tags[value] = params[`TagSpecification.${spec[1]}.Tag.${spec[2]}.Value`] ?? '';
    }
  }
  return tags;
}

function tagContext(tags: Record<string, string>): Context {
  const keys = Object.keys(tags);
  if (keys.length === 0) return {};
  return {
    'aws:TagKeys': keys,
    ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
  };
}

function resourceContext(snapshot: ResourceSnapshot | undefined, prefix = 'aws:ResourceTag/'): Context {
  if (!snapshot) return {};
  const context: Context = Object.fromEntries(
    Object.entries(snapshot.tags).map(([k, v]) => [`${prefix}${k}`, v]),
  );
  const owner = snapshot.ownerAlias ?? snapshot.ownerId;
  if (owner && prefix === 'aws:ResourceTag/') context['ec2:Owner'] = owner;
  return context;
}

const RESOURCE_TYPES: Record<string, string> = {
  ami: 'image',
  snap: 'snapshot',
  i: 'instance',
  vol: 'volume',
  sg: 'security-group',
  subnet: 'subnet',
  vpc: 'vpc',
  key: 'key-pair',
};

/** The ARN of an EC2 resource id in `region`; images and snapshots have no account in theirs. */
export function ec2Arn(region: string, accountId: string, id: string): string {
  const type = RESOURCE_TYPES[id.split('-')[0] ?? ''];
  if (!type) throw new Error(`no ARN type for ${id}`);
  const account = type === 'image' || type === 'snapshot' ? '' : accountId;
  return `arn:aws:ec2:${region}:${account}:${type}/${id}`;
}

/** Every authorization IAM makes for `call`. */
export function authorizationsFor(call: RecordedCall, accountId: string): AuthorizationRequest[] {
  const { params, region, resources } = call;
  const action = `${call.service}:${call.action}`;
  const arn = (id: string) => ec2Arn(region, accountId, id);
  const newArn = (type: string) =>
    type === 'image' || type === 'snapshot'
      ? `arn:aws:ec2:${region}::${type}/*`
      : `arn:aws:ec2:${region}:${accountId}:${type}/*`;
  const on = (id: string, context: Context = {}): AuthorizationRequest => ({
    action,
    resource: arn(id),
    context: { ...resourceContext(resources[id]), ...context },
  });
  const tagsAtCreate = (createAction: string): AuthorizationRequest[] => {
    const types = [
      ...new Set(
        Object.entries(params)
          .filter(([key]) => /^TagSpecification\.\d+\.ResourceType$/.test(key))
          .map(([, type]) => type),
      ),
    ];
    return types.map((type) => ({
      action: 'ec2:CreateTags',
      resource: newArn(type),
      context: { 'ec2:CreateAction': createAction, ...tagContext(requestTags(params, type)) },
    }));
  };

  if (call.service === 'ec2' && call.action.startsWith('Describe'))
    return [{ action, resource: '*', context: {} }];
  if (
    call.service === 'ssm' &&
    [
      'DescribeInstanceInformation',
      'GetCommandInvocation',
      'DescribeInstancePatchStates',
      'DescribeInstancePatches',
    ].includes(call.action)
  ) {
    return [{ action, resource: '*', context: {} }];
  }

  switch (action) {
    case 'ec2:RunInstances': {
      const allTags = tagContext(requestTags(params));
      const image = params.ImageId as string;
      const groups = [
        ...list(params, 'SecurityGroupId'),
        ...list(params, 'NetworkInterface.1.SecurityGroupId'),
      ];
      const subnet = params.SubnetId || params['NetworkInterface.1.SubnetId'];
      const requests: AuthorizationRequest[] = [
        on(image, allTags),
        { action, resource: subnet ? arn(subnet) : newArn('subnet'), context: allTags },
        ...groups.map((group) => on(group, allTags)),
        { action, resource: newArn('network-interface'), context: allTags },
        { action, resource: newArn('volume'), context: tagContext(requestTags(params, 'volume')) },
        {
          action,
          resource: newArn('instance'),
          context: {
            ...tagContext(requestTags(params, 'instance')),
            ...(allTags['aws:TagKeys'] ? { 'aws:TagKeys': allTags['aws:TagKeys'] } : {}),
            'ec2:MetadataHttpTokens': params['MetadataOptions.HttpTokens'] ?? 'optional',
          },
        },
        ...tagsAtCreate('RunInstances'),
      ];
      if (params.KeyName) {
        requests.push({
          action,
          resource: `arn:aws:ec2:${region}:${accountId}:key-pair/${params.KeyName}`,
          context: {},
        });
      }
      const profile = params['IamInstanceProfile.Name'] ?? params['IamInstanceProfile.Arn']?.split('/').pop();
      if (profile) {
        requests.push({
          action: 'iam:PassRole',
          // The profile's role, by the convention that both share a name.
          resource: `arn:aws:iam::${accountId}:role/${profile}`,
          context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
        });
      }
      return requests;
    }
    case 'ec2:CreateImage': {
      const tags = tagContext(requestTags(params));
      return [
        on(params.InstanceId as string),
        { action, resource: newArn('image'), context: tags },
        { action, resource: newArn('snapshot'), context: tags },
        ...tagsAtCreate('CreateImage'),
      ];
    }
    case 'ec2:CopyImage': {
      const requests: AuthorizationRequest[] = [
        { action, resource: newArn('image'), context: tagContext(requestTags(params)) },
        ...tagsAtCreate('CopyImage'),
      ];
      const key = params.KmsKeyId;
      if (params.Encrypted === 'true' && key) requests.push(...kmsThroughEc2(region, accountId, key));
      return requests;
    }
    case 'ec2:CreateTags':
    case 'ec2:DeleteTags': {
      const tags = requestTags(params);
      return list(params, 'ResourceId').map((id) => on(id, tagContext(tags)));
    }
    case 'ec2:DeregisterImage':
    case 'ec2:ModifyImageAttribute':
    case 'ec2:EnableImageDeprecation':
    case 'ec2:DisableImageDeprecation':
    case 'ec2:EnableImageDeregistrationProtection':
    case 'ec2:DisableImageDeregistrationProtection':
    case 'ec2:DisableImage':
    case 'ec2:EnableImage':
      return [on(params.ImageId as string)];
    case 'ec2:DeleteSnapshot':
    case 'ec2:ModifySnapshotAttribute':
      return [on(params.SnapshotId as string)];
    case 'ec2:StopInstances':
    case 'ec2:StartInstances':
    case 'ec2:TerminateInstances':
      return list(params, 'InstanceId').map((id) => on(id));
    case 'ec2:GetConsoleOutput':
    case 'ec2:GetPasswordData':
      return [on(params.InstanceId as string)];
    case 'ec2:DeleteVolume':
      return [on(params.VolumeId as string)];
    case 'ec2:CreateKeyPair':
    case 'ec2:DeleteKeyPair':
      return [
        { action, resource: `arn:aws:ec2:${region}:${accountId}:key-pair/${params.KeyName}`, context: {} },
      ];
    case 'ec2:CreateSecurityGroup':
      return [
        { action, resource: newArn('security-group'), context: {} },
        { action, resource: params.VpcId ? arn(params.VpcId) : newArn('vpc'), context: {} },
      ];
    case 'ec2:AuthorizeSecurityGroupIngress':
    case 'ec2:DeleteSecurityGroup':
      return [on(params.GroupId as string)];
    case 'ssm:SendCommand':
      return [
        { action, resource: `arn:aws:ssm:${region}::document/${params.DocumentName}`, context: {} },
        ...list(params, 'InstanceIds').map((id) => ({
          action,
          resource: arn(id),
          context: resourceContext(resources[id], 'ssm:resourceTag/'),
        })),
      ];
    case 'ssm:GetParameter':
    case 'ssm:PutParameter':
      return [{ action, resource: parameterArn(region, accountId, params.Name as string), context: {} }];
    case 'ssm:GetParameters':
      return list(params, 'Names').map((name) => ({
        action,
        resource: parameterArn(region, accountId, name),
        context: {},
      }));
    default:
      throw new Error(`no authorization model for ${action}: add it to test/iam/aws-requests.ts`);
  }
}

/** A parameter's ARN; AWS's public `/aws/service/...` parameters name no account. */
function parameterArn(region: string, accountId: string, name: string): string {
  const account = name.startsWith('/aws/') ? '' : accountId;
  return `arn:aws:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
}

/** What EC2 asks of KMS, with the caller's permissions, to write a snapshot encrypted with a customer key. */
function kmsThroughEc2(region: string, accountId: string, keyId: string): AuthorizationRequest[] {
  const resource = keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
  const viaService = { 'kms:ViaService': `ec2.${region}.amazonaws.com` };
  return [
    ...[
      'kms:DescribeKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:Decrypt',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
    ].map((action) => ({ action, resource, context: viaService })),
    { action: 'kms:CreateGrant', resource, context: { ...viaService, 'kms:GrantIsForAWSResource': 'true' } },
  ];
}
