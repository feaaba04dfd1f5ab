/**
 * EC2 Query-protocol XML: responses in the 2016-11-15 namespace, lists as `<item>` children,
 * errors as `Response/Errors/Error`. A dozen lines of rendering; an XML library would add a
 * dependency to write what is a fixed, simple shape.
 */

import type {
  DeregistrationProtection,
  Ec2Image,
  Ec2Instance,
  Ec2SecurityGroup,
  Ec2Snapshot,
  Ec2State,
  InstanceStateName,
} from './ec2-state.js';

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** A response field: scalars become text, arrays `<item>` lists, objects nested elements; `undefined` is left out. */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [key: string]: XmlValue };

/** Escapes text for an XML element. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

function renderValue(value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item) => `<item>${renderValue(item)}</item>`).join('');
  if (typeof value === 'object') return renderFields(value);
  return escapeXml(String(value));
}

function renderFields(fields: { [key: string]: XmlValue }): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `<${key}>${renderValue(value)}</${key}>`)
    .join('');
}

/** A successful `<ActionResponse>` document. */
export function renderResponse(
  action: string,
  requestId: string,
  fields: { [key: string]: XmlValue },
): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NAMESPACE}">${renderFields({ requestId, ...fields })}</${action}Response>`;
}

/** An EC2 error document, as the SDKs parse it (note the capitalised `RequestID`). */
export function renderError(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
}

/** EC2's tag list shape. */
export function tagSet(tags: Record<string, string>): XmlValue {
  const entries = Object.entries(tags);
  return entries.length ? entries.map(([key, value]) => ({ key, value })) : undefined;
}

/** EC2 timestamps: ISO 8601 with milliseconds, UTC. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** EC2's numeric codes for instance states. */
export const instanceStateCodes: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** `instanceState` / `currentState` / `previousState`. */
export function instanceState(name: InstanceStateName): XmlValue {
  return { code: instanceStateCodes[name], name };
}

/**
 * `deregistrationProtection` as EC2 renders it: `enabled-with-cooldown`, `enabled-without-cooldown`,
 * `disabled`, or `disabled-until <time>` while a cooldown still holds.
 */
export function deregistrationProtectionText(
  protection: DeregistrationProtection | undefined,
  now: number,
): string {
  if (!protection) return 'disabled';
  if (protection.state === 'enabled') {
    return protection.withCooldown ? 'enabled-with-cooldown' : 'enabled-without-cooldown';
  }
  return protection.until > now ? `disabled-until ${isoDate(protection.until)}` : 'disabled';
}

/** An `imagesSet` item as seen at `now` (a cooldown may have run out). */
export function imageXml(image: Ec2Image, now: number): XmlValue {
  return {
    imageId: image.imageId,
    imageLocation: `${image.ownerAlias ?? image.ownerId}/${image.name}`,
    imageState: image.state,
    imageOwnerId: image.ownerId,
    creationDate: isoDate(image.creationDate),
    isPublic: image.isPublic,
    architecture: image.architecture,
    imageType: 'machine',
    platform: image.platform,
    platformDetails: image.platformDetails,
    usageOperation: image.platform === 'windows' ? 'RunInstances:0002' : 'RunInstances',
    imageOwnerAlias: image.ownerAlias,
    name: image.name,
    description: image.description,
    rootDeviceType: 'ebs',
    rootDeviceName: image.rootDeviceName,
    blockDeviceMapping: image.blockDevices.map((device) => ({
      deviceName: device.deviceName,
      ebs: {
        snapshotId: device.snapshotId,
        volumeSize: device.volumeSize,
        deleteOnTermination: device.deleteOnTermination,
        volumeType: device.volumeType,
        encrypted: false,
      },
    })),
    virtualizationType: 'hvm',
    tagSet: tagSet(image.tags),
    hypervisor: 'xen',
    enaSupport: true,
    sriovNetSupport: 'simple',
    stateReason: image.stateReason,
    deprecationTime: image.deprecationTime === undefined ? undefined : isoDate(image.deprecationTime),
    sourceInstanceId: image.sourceInstanceId,
    deregistrationProtection: deregistrationProtectionText(image.deregistrationProtection, now),
  };
}

/** A `snapshotSet` item. */
export function snapshotXml(snapshot: Ec2Snapshot): XmlValue {
  return {
    snapshotId: snapshot.snapshotId,
    volumeId: snapshot.volumeId,
    status: snapshot.state,
    startTime: isoDate(snapshot.startTime),
    progress: snapshot.state === 'completed' ? '100%' : '0%',
    ownerId: snapshot.ownerId,
    volumeSize: snapshot.volumeSize,
    description: snapshot.description,
    encrypted: false,
    storageTier: 'standard',
    tagSet: tagSet(snapshot.tags),
  };
}

/** An `instancesSet` item. */
export function instanceXml(
  instance: Ec2Instance,
  state: Ec2State,
  securityGroupName: (id: string) => string,
): XmlValue {
  const groups = instance.securityGroupIds.map((groupId) => ({
    groupId,
    groupName: securityGroupName(groupId),
  }));
  const live = instance.state !== 'terminated';
  const privateDnsName = live ? `ip-${instance.privateIpAddress.replaceAll('.', '-')}.ec2.internal` : '';
  return {
    instanceId: instance.instanceId,
    imageId: instance.imageId,
    instanceState: instanceState(instance.state),
    privateDnsName,
    dnsName: '',
    reason: instance.stateTransitionReason,
    keyName: instance.keyName,
    amiLaunchIndex: 0,
    instanceType: instance.instanceType,
    launchTime: isoDate(instance.launchTime),
    placement: { availabilityZone: instance.availabilityZone, groupName: '', tenancy: 'default' },
    platform: instance.platform,
    monitoring: { state: 'disabled' },
    subnetId: live ? instance.subnetId : undefined,
    vpcId: live ? instance.vpcId : undefined,
    privateIpAddress: live ? instance.privateIpAddress : undefined,
    sourceDestCheck: true,
    groupSet: groups,
    stateReason:
      instance.state === 'pending' || instance.state === 'terminated' || instance.state === 'stopped'
        ? {
            code: instance.state === 'pending' ? 'pending' : 'Client.UserInitiatedShutdown',
            message:
              instance.state === 'pending'
                ? 'pending'
                : 'Client.UserInitiatedShutdown: User initiated shutdown',
          }
        : undefined,
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: instance.rootDeviceName,
    blockDeviceMapping: live
      ? instance.volumeIds.flatMap((volumeId) => {
          const volume = state.volumes.get(volumeId);
          if (!volume) return [];
          return [
            {
              deviceName: volume.deviceName ?? instance.rootDeviceName,
              ebs: {
                volumeId,
                status: 'attached',
                attachTime: isoDate(instance.launchTime),
                deleteOnTermination: volume.deleteOnTermination,
              },
            },
          ];
        })
      : undefined,
    virtualizationType: 'hvm',
    tagSet: tagSet(instance.tags),
    hypervisor: 'xen',
    iamInstanceProfile: instance.iamInstanceProfile,
    ebsOptimized: false,
    enaSupport: true,
    metadataOptions: {
      state: instance.state === 'pending' ? 'pending' : 'applied',
      httpTokens: instance.metadataOptions.httpTokens,
      httpPutResponseHopLimit: instance.metadataOptions.httpPutResponseHopLimit,
      httpEndpoint: instance.metadataOptions.httpEndpoint,
    },
  };
}

/** A `securityGroupInfo` item. */
export function securityGroupXml(group: Ec2SecurityGroup): XmlValue {
  return {
    ownerId: group.ownerId,
    groupId: group.groupId,
    groupName: group.groupName,
    groupDescription: group.description,
    vpcId: group.vpcId,
    ipPermissions: group.ingress.map((permission) => ({
      ipProtocol: permission.ipProtocol,
      fromPort: permission.fromPort,
      toPort: permission.toPort,
      groups: [],
      ipRanges: permission.cidrIps.map((cidrIp) => ({ cidrIp })),
    })),
    ipPermissionsEgress: [{ ipProtocol: '-1', groups: [], ipRanges: [{ cidrIp: '0.0.0.0/0' }] }],
    tagSet: tagSet(group.tags),
  };
}
