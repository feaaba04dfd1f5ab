/**
 * EC2 instance actions. An instance moves pending -> running -> (stopping -> stopped) ->
 * shutting-down -> terminated on the clock; once running, its status checks go initializing -> ok
 * and EC2Launch writes `Windows is Ready to use` to the console.
 */
import { Ec2Error, matchesFilters, paginate, parseFilters, type QueryParams, tagsFor } from './ec2-query.js';
import { type Ec2Action, type Ec2Runtime, requireImage, requireInstance } from './ec2-runtime.js';
import type { Ec2Instance, Ec2Volume, InstanceStateName, MetadataOptions, StatusCheck } from './ec2-state.js';
import { newId } from './ec2-state.js';
import { instanceState, instanceStateCodes, instanceXml, isoDate, tagSet, type XmlValue } from './ec2-xml.js';

function instanceFilterValues(instance: Ec2Instance, name: string): Array<string | undefined> | undefined {
  switch (name) {
    case 'instance-id':
      return [instance.instanceId];
    case 'instance-state-name':
      return [instance.state];
    case 'instance-state-code':
      return [String(instanceStateCodes[instance.state])];
    case 'image-id':
      return [instance.imageId];
    case 'instance-type':
      return [instance.instanceType];
    case 'subnet-id':
      return [instance.subnetId];
    case 'vpc-id':
      return [instance.vpcId];
    case 'key-name':
      return [instance.keyName];
    case 'availability-zone':
      return [instance.availabilityZone];
    case 'launch-time':
      return [isoDate(instance.launchTime)];
    case 'private-ip-address':
      return [instance.privateIpAddress];
    case 'reservation-id':
      return [instance.reservationId];
    case 'iam-instance-profile.arn':
      return [instance.iamInstanceProfile?.arn];
    case 'metadata-options.http-tokens':
      return [instance.metadataOptions.httpTokens];
    case 'instance.group-id':
      return instance.securityGroupIds;
    case 'platform':
      return [instance.platform];
    default:
      return undefined;
  }
}

function volumeFilterValues(volume: Ec2Volume, name: string): Array<string | undefined> | undefined {
  switch (name) {
    case 'volume-id':
      return [volume.volumeId];
    case 'attachment.instance-id':
      return [volume.instanceId];
    case 'status':
      return [volume.instanceId ? 'in-use' : 'available'];
    case 'availability-zone':
      return [volume.availabilityZone];
    case 'snapshot-id':
      return [volume.snapshotId];
    default:
      return undefined;
  }
}

function statusFilterValues(instance: Ec2Instance, name: string): Array<string | undefined> | undefined {
  switch (name) {
    case 'instance-state-name':
      return [instance.state];
    case 'instance-status.status':
      return [shownStatus(instance, instance.instanceStatus)];
    case 'system-status.status':
      return [shownStatus(instance, instance.systemStatus)];
    case 'availability-zone':
      return [instance.availabilityZone];
    default:
      return undefined;
  }
}

function shownStatus(instance: Ec2Instance, status: StatusCheck): StatusCheck {
  return instance.state === 'running' ? status : 'not-applicable';
}

function statusXml(instance: Ec2Instance, status: StatusCheck): XmlValue {
  const shown = shownStatus(instance, status);
  const detail = {
    ok: 'passed',
    initializing: 'initializing',
    impaired: 'failed',
    'not-applicable': 'not-applicable',
  }[shown];
  return { status: shown, details: [{ name: 'reachability', status: detail }] };
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

function consoleLine(at: number, text: string): string {
  return `${new Date(at).toISOString().replace('T', ' ').slice(0, 19)}Z: ${text}\r\n`;
}

/** Instance actions over `runtime`. */
export function instanceActions(runtime: Ec2Runtime): Record<string, Ec2Action> {
  const { state, clock, faults } = runtime;

  const groupName = (groupId: string) => state.securityGroups.get(groupId)?.groupName ?? '';
  const render = (instance: Ec2Instance) => instanceXml(instance, state, groupName);

  function boot(instance: Ec2Instance): void {
    const generation = ++instance.generation;
    const current = () => instance.generation === generation;
    instance.state = 'pending';
    instance.stateTransitionReason = '';
    clock.schedule('instanceRunningMs', () => {
      if (!current()) return;
      instance.state = 'running';
      instance.runningSince = clock.now();
      instance.systemStatus = 'initializing';
      instance.instanceStatus = 'initializing';
      instance.consoleOutput = [
        consoleLine(
          clock.now(),
          `Windows sandbox instance ${instance.instanceId} booting from ${instance.imageId}`,
        ),
        consoleLine(clock.now(), 'EC2Launch: Waiting for meta-data accessibility...'),
        consoleLine(clock.now(), 'EC2Launch: Meta-data is now available.'),
      ].join('');
      clock.schedule('instanceStatusOkMs', () => {
        if (!current()) return;
        instance.systemStatus = 'ok';
        instance.instanceStatus = faults.instanceNeverOk ? 'impaired' : 'ok';
      });
      clock.schedule('consoleReadyMs', () => {
        if (!current() || faults.windowsNeverReady) return;
        instance.consoleOutput += consoleLine(clock.now(), `AMI Origin ID: ${instance.imageId}`);
        instance.consoleOutput += consoleLine(clock.now(), 'Message: Windows is Ready to use');
      });
    });
  }

  function transition(
    instance: Ec2Instance,
    next: InstanceStateName,
    then: InstanceStateName,
    timing: 'instanceStoppedMs' | 'instanceTerminatedMs',
  ): void {
    const generation = ++instance.generation;
    instance.state = next;
    instance.stateTransitionReason = `User initiated (${isoDate(clock.now()).replace('T', ' ').slice(0, 19)} GMT)`;
    clock.schedule(timing, () => {
      if (instance.generation !== generation) return;
      instance.state = then;
      if (then !== 'terminated') return;
      for (const volumeId of instance.volumeIds) {
        const volume = state.volumes.get(volumeId);
        if (volume?.deleteOnTermination) state.volumes.delete(volumeId);
        else if (volume) volume.instanceId = undefined;
      }
    });
  }

  function stateChange(instance: Ec2Instance, previous: InstanceStateName): XmlValue {
    return {
      instanceId: instance.instanceId,
      currentState: instanceState(instance.state),
      previousState: instanceState(previous),
    };
  }

  function launch(params: QueryParams, region: string, reservationId: string, index: number): Ec2Instance {
    const image = requireImage(runtime, region, params.require('ImageId'));
    if (image.state !== 'available') {
      throw new Ec2Error('InvalidAMIID.Unavailable', `The image id '[${image.imageId}]' is not available`);
    }
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
    const groupIds = [
      ...params.list('SecurityGroupId'),
      ...params.list('NetworkInterface.1.SecurityGroupId'),
    ];
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
    const keyName = params.get('KeyName');
    if (
      keyName &&
      ![...state.keyPairs.values()].some((key) => key.region === region && key.keyName === keyName)
    ) {
      throw new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`);
    }
    const profileName = params.get('IamInstanceProfile.Name');
    const profileArn = params.get('IamInstanceProfile.Arn');
    const instanceId = newId('i');
    const overrides = params.structs('BlockDeviceMapping');
    const volumeTags = tagsFor(params, 'volume');
    const volumeIds = image.blockDevices.map((device) => {
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
    boot(instance);
    return instance;
  }

  function requireInstances(params: QueryParams, region: string): Ec2Instance[] {
    const ids = params.list('InstanceId');
    if (ids.length === 0)
      throw new Ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
    return ids.map((id) => requireInstance(runtime, region, id));
  }

  return {
    RunInstances({ params, region }) {
      const minCount = params.int('MinCount') ?? 1;
      const maxCount = params.int('MaxCount') ?? minCount;
      if (minCount < 1 || maxCount < minCount) {
        throw new Ec2Error('InvalidParameterValue', `Invalid MinCount/MaxCount: ${minCount}/${maxCount}`);
      }
      const reservationId = newId('r');
      const instances = Array.from({ length: maxCount }, (_, index) =>
        launch(params, region, reservationId, index),
      );
      return { reservationId, ownerId: state.accountId, groupSet: [], instancesSet: instances.map(render) };
    },

    DescribeInstances({ params, region }) {
      const ids = params.list('InstanceId');
      if (ids.length > 0 && params.get('MaxResults') !== undefined) {
        throw new Ec2Error(
          'InvalidParameterCombination',
          'The parameter instancesSet cannot be used with the parameter maxResults',
        );
      }
      const filters = parseFilters(params);
      const candidates = ids.length
        ? ids.map((id) => requireInstance(runtime, region, id))
        : [...state.instances.values()].filter((instance) => instance.region === region);
      const matching = candidates.filter((instance) =>
        matchesFilters(filters, instance.tags, (name) => instanceFilterValues(instance, name)),
      );
      const { page, nextToken } = paginate(matching, params);
      const reservations = new Map<string, Ec2Instance[]>();
      for (const instance of page) {
        reservations.set(instance.reservationId, [
          ...(reservations.get(instance.reservationId) ?? []),
          instance,
        ]);
      }
      return {
        reservationSet: [...reservations].map(([reservationId, members]) => ({
          reservationId,
          ownerId: state.accountId,
          groupSet: [],
          instancesSet: members.map(render),
        })),
        nextToken,
      };
    },

    DescribeInstanceStatus({ params, region }) {
      const ids = params.list('InstanceId');
      const includeAll = params.bool('IncludeAllInstances') ?? false;
      const filters = parseFilters(params);
      const candidates = ids.length
        ? ids.map((id) => requireInstance(runtime, region, id))
        : [...state.instances.values()].filter((instance) => instance.region === region);
      const matching = candidates.filter(
        (instance) =>
          (includeAll || instance.state === 'running') &&
          matchesFilters(filters, instance.tags, (name) => statusFilterValues(instance, name)),
      );
      const { page, nextToken } = paginate(matching, params);
      return {
        instanceStatusSet: page.map((instance) => ({
          instanceId: instance.instanceId,
          availabilityZone: instance.availabilityZone,
          instanceState: instanceState(instance.state),
          systemStatus: statusXml(instance, instance.systemStatus),
          instanceStatus: statusXml(instance, instance.instanceStatus),
        })),
        nextToken,
      };
    },

    StopInstances({ params, region }) {
      const instances = requireInstances(params, region);
      for (const instance of instances) {
        if (
          instance.state === 'pending' ||
          instance.state === 'shutting-down' ||
          instance.state === 'terminated'
        ) {
          throw new Ec2Error(
            'IncorrectInstanceState',
            `This instance '${instance.instanceId}' is not in a state from which it can be stopped.`,
          );
        }
      }
      return {
        instancesSet: instances.map((instance) => {
          const previous = instance.state;
          if (previous === 'running') transition(instance, 'stopping', 'stopped', 'instanceStoppedMs');
          return stateChange(instance, previous);
        }),
      };
    },

    StartInstances({ params, region }) {
      const instances = requireInstances(params, region);
      for (const instance of instances) {
        if (
          instance.state === 'stopping' ||
          instance.state === 'shutting-down' ||
          instance.state === 'terminated'
        ) {
          throw new Ec2Error(
            'IncorrectInstanceState',
            `The instance '${instance.instanceId}' is not in a state from which it can be started.`,
          );
        }
      }
      return {
        instancesSet: instances.map((instance) => {
          const previous = instance.state;
          if (previous === 'stopped') boot(instance);
          return stateChange(instance, previous);
        }),
      };
    },

    TerminateInstances({ params, region }) {
      const instances = requireInstances(params, region);
      return {
        instancesSet: instances.map((instance) => {
          const previous = instance.state;
          if (previous !== 'terminated' && previous !== 'shutting-down') {
            transition(instance, 'shutting-down', 'terminated', 'instanceTerminatedMs');
          }
          return stateChange(instance, previous);
        }),
      };
    },

    DescribeVolumes({ params, region }) {
      const ids = params.list('VolumeId');
      const filters = parseFilters(params);
      const volumes = [...state.volumes.values()].filter((volume) => volume.region === region);
      for (const id of ids) {
        if (!volumes.some((volume) => volume.volumeId === id)) {
          throw new Ec2Error('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
        }
      }
      const matching = volumes.filter(
        (volume) =>
          (ids.length === 0 || ids.includes(volume.volumeId)) &&
          matchesFilters(filters, volume.tags, (name) => volumeFilterValues(volume, name)),
      );
      const { page, nextToken } = paginate(matching, params);
      return {
        volumeSet: page.map((volume) => ({
          volumeId: volume.volumeId,
          size: volume.size,
          snapshotId: volume.snapshotId ?? '',
          availabilityZone: volume.availabilityZone,
          status: volume.instanceId ? 'in-use' : 'available',
          createTime: isoDate(state.instances.get(volume.instanceId ?? '')?.launchTime ?? clock.now()),
          attachmentSet: volume.instanceId
            ? [
                {
                  volumeId: volume.volumeId,
                  instanceId: volume.instanceId,
                  device: volume.deviceName,
                  status: 'attached',
                  deleteOnTermination: volume.deleteOnTermination,
                },
              ]
            : [],
          tagSet: tagSet(volume.tags),
          volumeType: volume.volumeType,
          encrypted: false,
          multiAttachEnabled: false,
        })),
        nextToken,
      };
    },

    DeleteVolume({ params, region }) {
      const volumeId = params.require('VolumeId');
      const volume = state.volumes.get(volumeId);
      if (!volume || volume.region !== region) {
        throw new Ec2Error('InvalidVolume.NotFound', `The volume '${volumeId}' does not exist.`);
      }
      if (volume.instanceId) {
        throw new Ec2Error('VolumeInUse', `Volume ${volumeId} is currently attached to ${volume.instanceId}`);
      }
      state.volumes.delete(volumeId);
      return { return: true };
    },

    GetConsoleOutput({ params, region }) {
      const instance = requireInstance(runtime, region, params.require('InstanceId'));
      return {
        instanceId: instance.instanceId,
        timestamp: isoDate(clock.now()),
        output: instance.consoleOutput ? Buffer.from(instance.consoleOutput).toString('base64') : undefined,
      };
    },
  };
}
