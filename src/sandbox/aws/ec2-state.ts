/**
 * What the sandbox's EC2 holds, as plain typed objects keyed by id, and the seed: a default VPC
 * per region and Amazon's Windows Server base images, so "find the newest base AMI" finds one.
 */
import { createHash, randomBytes } from 'node:crypto';

/** `disabled` is DisableImage's: kept, owner-only, hidden from DescribeImages unless `IncludeDisabled`. */
export type ImageState = 'pending' | 'available' | 'failed' | 'disabled';

/**
 * Deregistration protection while on (optionally `WithCooldown`), or after a cooldown protection was
 * disabled: still enforced until `until`, 24 hours later. No value means off.
 */
export type DeregistrationProtection =
  | { state: 'enabled'; withCooldown: boolean }
  | { state: 'cooling-down'; until: number };
export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped';
export type StatusCheck = 'initializing' | 'ok' | 'impaired' | 'not-applicable';

export interface BlockDevice {
  deviceName: string;
  snapshotId: string;
  volumeSize: number;
  volumeType: string;
  deleteOnTermination: boolean;
}

export interface Ec2Image {
  imageId: string;
  region: string;
  name: string;
  description?: string;
  state: ImageState;
  stateReason?: { code: string; message: string };
  ownerId: string;
  ownerAlias?: string;
  isPublic: boolean;
  /** Account ids this image is shared with (launchPermission). */
  sharedWith: string[];
  creationDate: number;
  deprecationTime?: number;
  deregistrationProtection?: DeregistrationProtection;
  platform?: 'windows';
  platformDetails: string;
  architecture: 'x86_64' | 'arm64';
  rootDeviceName: string;
  blockDevices: BlockDevice[];
  tags: Record<string, string>;
  /** For images made by CreateImage or CopyImage. */
  sourceInstanceId?: string;
  sourceImageId?: string;
  sourceRegion?: string;
}

export interface Ec2Snapshot {
  snapshotId: string;
  region: string;
  ownerId: string;
  volumeId: string;
  volumeSize: number;
  state: 'pending' | 'completed' | 'error';
  startTime: number;
  description: string;
  tags: Record<string, string>;
  /** Accounts given `createVolumePermission` (ModifySnapshotAttribute). */
  sharedWith?: string[];
}

export interface Ec2Volume {
  volumeId: string;
  region: string;
  availabilityZone: string;
  size: number;
  volumeType: string;
  snapshotId?: string;
  instanceId?: string;
  deviceName?: string;
  deleteOnTermination: boolean;
  tags: Record<string, string>;
}

export interface MetadataOptions {
  httpTokens: 'optional' | 'required';
  httpEndpoint: 'enabled' | 'disabled';
  httpPutResponseHopLimit: number;
}

export interface Ec2Instance {
  instanceId: string;
  region: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  state: InstanceStateName;
  stateTransitionReason: string;
  launchTime: number;
  /** When it last reached `running`; the SSM agent comes online some time after. */
  runningSince?: number;
  /** Bumped on every start and stop, so transitions scheduled for an earlier boot are dropped. */
  generation: number;
  availabilityZone: string;
  subnetId: string;
  vpcId: string;
  privateIpAddress: string;
  securityGroupIds: string[];
  keyName?: string;
  iamInstanceProfile?: { arn: string; id: string };
  metadataOptions: MetadataOptions;
  userData?: string;
  rootDeviceName: string;
  volumeIds: string[];
  systemStatus: StatusCheck;
  instanceStatus: StatusCheck;
  consoleOutput: string;
  platform?: 'windows';
  tags: Record<string, string>;
}

export interface Ec2KeyPair {
  keyPairId: string;
  keyName: string;
  region: string;
  fingerprint: string;
  tags: Record<string, string>;
}

export interface IpPermission {
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIps: string[];
}

export interface Ec2SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  region: string;
  vpcId: string;
  ownerId: string;
  ingress: IpPermission[];
  tags: Record<string, string>;
}

export interface Ec2Vpc {
  vpcId: string;
  region: string;
  cidrBlock: string;
  isDefault: boolean;
  tags: Record<string, string>;
}

export interface Ec2Subnet {
  subnetId: string;
  region: string;
  vpcId: string;
  availabilityZone: string;
  cidrBlock: string;
  defaultForAz: boolean;
  tags: Record<string, string>;
}

export interface Ec2State {
  accountId: string;
  regions: string[];
  images: Map<string, Ec2Image>;
  snapshots: Map<string, Ec2Snapshot>;
  volumes: Map<string, Ec2Volume>;
  instances: Map<string, Ec2Instance>;
  keyPairs: Map<string, Ec2KeyPair>;
  securityGroups: Map<string, Ec2SecurityGroup>;
  vpcs: Map<string, Ec2Vpc>;
  subnets: Map<string, Ec2Subnet>;
}

/** Amazon's account for its public Windows AMIs. */
export const AMAZON_OWNER_ID = '801119661308';

/** A new resource id such as `ami-0a1b2c3d4e5f67890`: the prefix and 17 hex digits, as EC2 makes them. */
export function newId(prefix: string): string {
  return `${prefix}-0${randomBytes(9).toString('hex').slice(0, 16)}`;
}

/** A stable id for seeded resources, so fixtures can pin the base AMIs by id. */
export function seededId(prefix: string, ...parts: string[]): string {
  return `${prefix}-0${createHash('sha256')
    .update([prefix, ...parts].join('/'))
    .digest('hex')
    .slice(0, 16)}`;
}

/** The Windows base images seeded in every region: newest first per family. */
export const SEED_BASE_IMAGES = [
  { name: 'Windows_Server-2022-English-Full-Base-2026.10.15', created: '2026-10-15T06:12:44.000Z' },
  { name: 'Windows_Server-2022-English-Full-Base-2026.09.10', created: '2026-09-10T05:58:12.000Z' },
  { name: 'Windows_Server-2019-English-Full-Base-2026.10.15', created: '2026-10-15T06:40:03.000Z' },
  { name: 'Windows_Server-2019-English-Full-Base-2026.09.10', created: '2026-09-10T06:21:37.000Z' },
] as const;

/** The id a seeded base image has in `region`. */
export function seedImageId(region: string, name: string): string {
  return seededId('ami', region, name);
}

/** An empty state with a default VPC, two subnets and a default security group per region, and the base images. */
export function seedEc2State(accountId: string, regions: string[], seedImages: boolean): Ec2State {
  const state: Ec2State = {
    accountId,
    regions,
    images: new Map(),
    snapshots: new Map(),
    volumes: new Map(),
    instances: new Map(),
    keyPairs: new Map(),
    securityGroups: new Map(),
    vpcs: new Map(),
    subnets: new Map(),
  };
  for (const region of regions) {
    const vpcId = seededId('vpc', region, 'default');
    state.vpcs.set(vpcId, { vpcId, region, cidrBlock: '172.31.0.0/16', isDefault: true, tags: {} });
    ['a', 'b'].forEach((az, i) => {
      const subnetId = seededId('subnet', region, az);
      state.subnets.set(subnetId, {
        subnetId,
        region,
        vpcId,
        availabilityZone: `${region}${az}`,
        cidrBlock: `172.31.${i * 16}.0/20`,
        defaultForAz: true,
        tags: {},
      });
    });
    const groupId = seededId('sg', region, 'default');
    state.securityGroups.set(groupId, {
      groupId,
      groupName: 'default',
      description: 'default VPC security group',
      region,
      vpcId,
      ownerId: accountId,
      ingress: [],
      tags: {},
    });
    if (!seedImages) continue;
    for (const seed of SEED_BASE_IMAGES) {
      const snapshotId = seededId('snap', region, seed.name);
      const created = Date.parse(seed.created);
      state.snapshots.set(snapshotId, {
        snapshotId,
        region,
        ownerId: AMAZON_OWNER_ID,
        volumeId: 'vol-ffffffff',
        volumeSize: 30,
        state: 'completed',
        startTime: created,
        description: '',
        tags: {},
      });
      const imageId = seedImageId(region, seed.name);
      state.images.set(imageId, {
        imageId,
        region,
        name: seed.name,
        description: `Microsoft Windows Server ${seed.name.includes('2022') ? '2022' : '2019'} Full Locale English AMI provided by Amazon`,
        state: 'available',
        ownerId: AMAZON_OWNER_ID,
        ownerAlias: 'amazon',
        isPublic: true,
        sharedWith: [],
        creationDate: created,
        // Amazon deprecates its Windows AMIs two years after release.
        deprecationTime: created + 2 * 365 * 86_400_000,
        platform: 'windows',
        platformDetails: 'Windows',
        architecture: 'x86_64',
        rootDeviceName: '/dev/sda1',
        blockDevices: [
          {
            deviceName: '/dev/sda1',
            snapshotId,
            volumeSize: 30,
            volumeType: 'gp2',
            deleteOnTermination: true,
          },
        ],
        tags: {},
      });
    }
  }
  return state;
}

/** A resource as a call found it: its tags and, for images and snapshots, its owner. */
export interface ResourceSnapshot {
  region: string;
  tags: Record<string, string>;
  ownerId?: string;
  ownerAlias?: string;
}

/** Every resource whose id is a value in `params` (images, snapshots, instances, volumes, groups, subnets, VPCs). */
export function referencedResources(
  state: Ec2State,
  params: Record<string, string>,
): Record<string, ResourceSnapshot> {
  const found: Record<string, ResourceSnapshot> = {};
  const maps: Array<
    Map<string, { region: string; tags: Record<string, string>; ownerId?: string; ownerAlias?: string }>
  > = [
    state.images,
    state.snapshots,
    state.instances,
    state.volumes,
    state.securityGroups,
    state.subnets,
    state.vpcs,
  ];
  for (const value of Object.values(params)) {
    for (const map of maps) {
      const resource = map.get(value);
      if (!resource) continue;
      found[value] = {
        region: resource.region,
        tags: { ...resource.tags },
        ...(resource.ownerId === undefined ? {} : { ownerId: resource.ownerId }),
        ...(resource.ownerAlias === undefined ? {} : { ownerAlias: resource.ownerAlias }),
      };
    }
  }
  return found;
}
