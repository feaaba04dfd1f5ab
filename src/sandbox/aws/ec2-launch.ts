/** RunInstances' one instance: its subnet, security groups, key pair, volumes and metadata options checked as EC2 does. */
import { bootInstance } from './ec2-instance-states.js';
import { Ec2Error, type QueryParams, tagsFor } from './ec2-query.js';
import { type Ec2Runtime, requireImage } from './ec2-runtime.js';
import {
  type Ec2Image,
  type Ec2Instance,
  type Ec2State,
  type Ec2Subnet,
  type MetadataOptions,
  newId,
} from './ec2-state.js';

/** Launches one instance of a RunInstances call (the `index`th of its reservation) and boots it. */
export function launchInstance(
  runtime: Ec2Runtime,
  params: QueryParams,
  region: string,
  reservationId: string,
  index: number,
): Ec2Instance {
  const { state, clock } = runtime;
  const image = requireImage(runtime, region, params.require('ImageId'));
  if (image.state !== 'available') {
    throw new Ec2Error('InvalidAMIID.Unavailable', `The image id '[${image.imageId}]' is not available`);
  }
  const subnet = launchSubnet(state, params, region);
  const groupIds = launchSecurityGroups(state, params, region, subnet);
  const keyName = params.get('KeyName');
  requireKeyPair(state, region, keyName);
  const profileName = params.get('IamInstanceProfile.Name');
  const profileArn = params.get('IamInstanceProfile.Arn');
  const instanceId = newId('i');
  const volumeIds = launchVolumes(state, params, { region, subnet, image, instanceId });
  const octet = (n: number) => (n % 250) + 4;
  const instance: Ec2Instance = {
    instanceId,
    region,
    reservationId,
    imageId: image.imageId,
    instanceType: params.get('InstanceType') ?? 'm1.small',
    state: 'pending',
    stateTransitionReason: '',
    launchTime: clock.now(),
    generation: 0,
    availabilityZone: subnet.availabilityZone,
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    privateIpAddress: `${subnet.cidrBlock.split('.').slice(0, 2).join('.')}.${octet(state.instances.size + index)}.${octet(state.instances.size * 7 + index + 1)}`,
    securityGroupIds: groupIds,
    keyName,
    iamInstanceProfile:
      profileName || profileArn
        ? {
            arn: profileArn ?? `arn:aws:iam::${state.accountId}:instance-profile/${profileName}`,
            id: `AIPA${instanceId.slice(2, 19).toUpperCase()}`,
          }
        : undefined,
    metadataOptions: metadataOptions(params),
    userData: params.get('UserData'),
    rootDeviceName: image.rootDeviceName,
    volumeIds,
    systemStatus: 'initializing',
    instanceStatus: 'initializing',
    consoleOutput: '',
    platform: image.platform,
    tags: tagsFor(params, 'instance'),
  };
  state.instances.set(instanceId, instance);
  bootInstance(runtime, instance);
  return instance;
}

/** The subnet asked for (`SubnetId`), else the region's default subnet (in the asked zone, if any). */
function launchSubnet(state: Ec2State, params: QueryParams, region: string): Ec2Subnet {
  const subnetId = params.get('SubnetId') || params.get('NetworkInterface.1.SubnetId') || undefined;
  const zone = params.get('Placement.AvailabilityZone') || undefined;
  const subnet = subnetId
    ? state.subnets.get(subnetId)
    : [...state.subnets.values()].find(
        (candidate) =>
          candidate.region === region &&
          candidate.defaultForAz &&
          (!zone || candidate.availabilityZone === zone),
      );
  if (!subnet || subnet.region !== region) {
    throw new Ec2Error(
      'InvalidSubnetID.NotFound',
      `The subnet ID '${subnetId ?? zone ?? ''}' does not exist`,
    );
  }
  return subnet;
}

/** Security groups by id and by name (in the subnet's VPC), else the VPC's `default` group. */
function launchSecurityGroups(
  state: Ec2State,
  params: QueryParams,
  region: string,
  subnet: Ec2Subnet,
): string[] {
  const groupIds = [...params.list('SecurityGroupId'), ...params.list('NetworkInterface.1.SecurityGroupId')];
  for (const name of params.list('SecurityGroup')) {
    const group = [...state.securityGroups.values()].find(
      (g) => g.region === region && g.groupName === name && g.vpcId === subnet.vpcId,
    );
    if (!group)
      throw new Ec2Error(
        'InvalidGroup.NotFound',
        `The security group '${name}' does not exist in VPC '${subnet.vpcId}'`,
      );
    groupIds.push(group.groupId);
  }
  for (const groupId of groupIds) {
    if (state.securityGroups.get(groupId)?.region !== region) {
      throw new Ec2Error('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
    }
  }
  if (groupIds.length === 0) {
    const fallback = [...state.securityGroups.values()].find(
      (g) => g.vpcId === subnet.vpcId && g.groupName === 'default',
    );
    if (fallback) groupIds.push(fallback.groupId);
  }
  return groupIds;
}

function requireKeyPair(state: Ec2State, region: string, keyName: string | undefined): void {
  if (
    keyName &&
    ![...state.keyPairs.values()].some((key) => key.region === region && key.keyName === keyName)
  ) {
    throw new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`);
  }
}

interface VolumePlacement {
  region: string;
  subnet: Ec2Subnet;
  image: Ec2Image;
  instanceId: string;
}

/** One volume per block device of the image, as `BlockDeviceMapping` overrides it; returns their ids. */
function launchVolumes(
  state: Ec2State,
  params: QueryParams,
  { region, subnet, image, instanceId }: VolumePlacement,
): string[] {
  const overrides = params.structs('BlockDeviceMapping');
  const volumeTags = tagsFor(params, 'volume');
  return image.blockDevices.map((device) => {
    const override = overrides.find((o) => o.get('DeviceName') === device.deviceName);
    const volumeId = newId('vol');
    state.volumes.set(volumeId, {
      volumeId,
      region,
      availabilityZone: subnet.availabilityZone,
      size: override?.int('Ebs.VolumeSize') ?? device.volumeSize,
      volumeType: override?.get('Ebs.VolumeType') ?? device.volumeType,
      snapshotId: device.snapshotId,
      instanceId,
      deviceName: device.deviceName,
      deleteOnTermination: override?.bool('Ebs.DeleteOnTermination') ?? device.deleteOnTermination,
      tags: { ...volumeTags },
    });
    return volumeId;
  });
}

function metadataOptions(params: QueryParams): MetadataOptions {
  const tokens = params.get('MetadataOptions.HttpTokens') ?? 'optional';
  const endpoint = params.get('MetadataOptions.HttpEndpoint') ?? 'enabled';
  const hopLimit = params.int('MetadataOptions.HttpPutResponseHopLimit') ?? 1;
  if (tokens !== 'optional' && tokens !== 'required') {
    throw new Ec2Error('InvalidParameterValue', `The value '${tokens}' is not valid for HttpTokens.`);
  }
  if (endpoint !== 'enabled' && endpoint !== 'disabled') {
    throw new Ec2Error('InvalidParameterValue', `The value '${endpoint}' is not valid for HttpEndpoint.`);
  }
  if (hopLimit < 1 || hopLimit > 64) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `The value '${hopLimit}' is not valid for HttpPutResponseHopLimit.`,
    );
  }
  return { httpTokens: tokens, httpEndpoint: endpoint, httpPutResponseHopLimit: hopLimit };
}
