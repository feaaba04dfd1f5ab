/** EC2 actions around the instances: tags, key pairs, security groups, VPCs, subnets, regions and zones. */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { Ec2Error, matchesFilters, paginate, parseFilters, type QueryParams, tagsFor } from './ec2-query.js';
import type { Ec2Action, Ec2Runtime } from './ec2-runtime.js';
import { type Ec2SecurityGroup, type IpPermission, newId } from './ec2-state.js';
import { securityGroupXml, tagSet } from './ec2-xml.js';

interface Taggable {
  resourceType: string;
  tags: Record<string, string>;
}

const tagPrefixes: Record<string, { resourceType: string; notFound: (id: string) => Ec2Error }> = {
  ami: {
    resourceType: 'image',
    notFound: (id) => new Ec2Error('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`),
  },
  snap: {
    resourceType: 'snapshot',
    notFound: (id) => new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`),
  },
  i: {
    resourceType: 'instance',
    notFound: (id) => new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`),
  },
  vol: {
    resourceType: 'volume',
    notFound: (id) => new Ec2Error('InvalidVolume.NotFound', `The volume '${id}' does not exist.`),
  },
  sg: {
    resourceType: 'security-group',
    notFound: (id) => new Ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`),
  },
  key: {
    resourceType: 'key-pair',
    notFound: (id) => new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${id}' does not exist`),
  },
  vpc: {
    resourceType: 'vpc',
    notFound: (id) => new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`),
  },
  subnet: {
    resourceType: 'subnet',
    notFound: (id) => new Ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`),
  },
};

function ingressRules(params: QueryParams): IpPermission[] {
  const structured = params.structs('IpPermissions').map((permission) => ({
    ipProtocol: permission.require('IpProtocol'),
    fromPort: permission.int('FromPort'),
    toPort: permission.int('ToPort'),
    cidrIps: permission.structs('IpRanges').map((range) => range.require('CidrIp')),
  }));
  const legacy = params.get('IpProtocol')
    ? [
        {
          ipProtocol: params.get('IpProtocol') as string,
          fromPort: params.int('FromPort'),
          toPort: params.int('ToPort'),
          cidrIps: params.get('CidrIp') ? [params.get('CidrIp') as string] : [],
        },
      ]
    : [];
  return [...structured, ...legacy];
}

/** Tag, key pair, security group, VPC, subnet, region and zone actions over `runtime`. */
export function networkActions(runtime: Ec2Runtime): Record<string, Ec2Action> {
  const { state } = runtime;

  function taggable(region: string, id: string): Taggable {
    const prefix = tagPrefixes[id.split('-')[0] ?? ''];
    if (!prefix || !id.includes('-')) throw new Ec2Error('InvalidID', `The ID '${id}' is not valid`);
    const maps: Record<
      string,
      Map<string, { region: string; tags: Record<string, string>; ownerId?: string }>
    > = {
      image: state.images,
      snapshot: state.snapshots,
      instance: state.instances,
      volume: state.volumes,
      'security-group': state.securityGroups,
      'key-pair': new Map([...state.keyPairs.values()].map((key) => [key.keyPairId, key])),
      vpc: state.vpcs,
      subnet: state.subnets,
    };
    const resource = maps[prefix.resourceType]?.get(id);
    if (
      !resource ||
      resource.region !== region ||
      (resource.ownerId !== undefined && resource.ownerId !== state.accountId)
    ) {
      throw prefix.notFound(id);
    }
    return { resourceType: prefix.resourceType, tags: resource.tags };
  }

  function allTaggables(region: string): Array<Taggable & { resourceId: string }> {
    const rows: Array<Taggable & { resourceId: string }> = [];
    const add = (resourceType: string, resourceId: string, tags: Record<string, string>) =>
      rows.push({ resourceType, resourceId, tags });
    for (const image of state.images.values()) {
      if (image.region === region && image.ownerId === state.accountId)
        add('image', image.imageId, image.tags);
    }
    for (const snapshot of state.snapshots.values()) {
      if (snapshot.region === region && snapshot.ownerId === state.accountId)
        add('snapshot', snapshot.snapshotId, snapshot.tags);
    }
    for (const instance of state.instances.values())
      if (instance.region === region) add('instance', instance.instanceId, instance.tags);
    for (const volume of state.volumes.values())
      if (volume.region === region) add('volume', volume.volumeId, volume.tags);
    for (const group of state.securityGroups.values())
      if (group.region === region) add('security-group', group.groupId, group.tags);
    for (const key of state.keyPairs.values())
      if (key.region === region) add('key-pair', key.keyPairId, key.tags);
    for (const vpc of state.vpcs.values()) if (vpc.region === region) add('vpc', vpc.vpcId, vpc.tags);
    for (const subnet of state.subnets.values())
      if (subnet.region === region) add('subnet', subnet.subnetId, subnet.tags);
    return rows;
  }

  function findGroup(params: QueryParams, region: string): Ec2SecurityGroup {
    const groupId = params.get('GroupId');
    const groupName = params.get('GroupName');
    const group = groupId
      ? state.securityGroups.get(groupId)
      : [...state.securityGroups.values()].find((g) => g.region === region && g.groupName === groupName);
    if (!group || group.region !== region) {
      throw new Ec2Error(
        'InvalidGroup.NotFound',
        `The security group '${groupId ?? groupName ?? ''}' does not exist`,
      );
    }
    return group;
  }

  return {
    CreateTags({ params, region }) {
      const resources = params.list('ResourceId').map((id) => taggable(region, id));
      const tags = params
        .structs('Tag')
        .map((tag) => ({ key: tag.require('Key'), value: tag.get('Value') ?? '' }));
      for (const { key, value } of tags) {
        if (key.toLowerCase().startsWith('aws:')) {
          throw new Ec2Error(
            'InvalidParameterValue',
            `Tag keys starting with 'aws:' are reserved for internal use`,
          );
        }
        if (key.length > 128 || value.length > 256) {
          throw new Ec2Error('InvalidParameterValue', `Tag key or value too long: ${key.slice(0, 40)}`);
        }
      }
      for (const resource of resources) {
        const merged = { ...resource.tags, ...Object.fromEntries(tags.map((tag) => [tag.key, tag.value])) };
        if (Object.keys(merged).length > 50) {
          throw new Ec2Error(
            'TagLimitExceeded',
            'The maximum number of Tags for a resource has been reached.',
          );
        }
      }
      for (const resource of resources) for (const { key, value } of tags) resource.tags[key] = value;
      return { return: true };
    },

    DeleteTags({ params, region }) {
      const resources = params.list('ResourceId').map((id) => taggable(region, id));
      const tags = params.structs('Tag').map((tag) => ({ key: tag.require('Key'), value: tag.get('Value') }));
      for (const resource of resources) {
        if (tags.length === 0) for (const key of Object.keys(resource.tags)) delete resource.tags[key];
        for (const { key, value } of tags) {
          if (value === undefined || resource.tags[key] === value) delete resource.tags[key];
        }
      }
      return { return: true };
    },

    DescribeTags({ params, region }) {
      const filters = parseFilters(params);
      const rows = allTaggables(region).flatMap(({ resourceId, resourceType, tags }) =>
        Object.entries(tags).map(([key, value]) => ({ resourceId, resourceType, key, value })),
      );
      const matching = rows.filter((row) =>
        matchesFilters(filters, { [row.key]: row.value }, (name) => {
          if (name === 'resource-id') return [row.resourceId];
          if (name === 'resource-type') return [row.resourceType];
          if (name === 'key') return [row.key];
          if (name === 'value') return [row.value];
          return undefined;
        }),
      );
      const { page, nextToken } = paginate(matching, params);
      return { tagSet: page, nextToken };
    },

    CreateKeyPair({ params, region }) {
      const keyName = params.require('KeyName');
      if ([...state.keyPairs.values()].some((key) => key.region === region && key.keyName === keyName)) {
        throw new Ec2Error('InvalidKeyPair.Duplicate', `The keypair '${keyName}' already exists.`);
      }
      // A real key, because Packer's ssh communicator parses the material it is given.
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const der = privateKey.export({ type: 'pkcs8', format: 'der' });
      const material = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const fingerprint = (createHash('sha1').update(der).digest('hex').match(/../g) ?? []).join(':');
      const keyPairId = newId('key');
      state.keyPairs.set(keyPairId, {
        keyPairId,
        keyName,
        region,
        fingerprint,
        tags: tagsFor(params, 'key-pair'),
      });
      return { keyName, keyFingerprint: fingerprint, keyMaterial: material.trim(), keyPairId };
    },

    DeleteKeyPair({ params, region }) {
      const keyName = params.get('KeyName');
      const keyPairId = params.get('KeyPairId');
      for (const key of state.keyPairs.values()) {
        if (key.region === region && (key.keyName === keyName || key.keyPairId === keyPairId))
          state.keyPairs.delete(key.keyPairId);
      }
      return { return: true };
    },

    DescribeKeyPairs({ params, region }) {
      const names = params.list('KeyName');
      const ids = params.list('KeyPairId');
      const filters = parseFilters(params);
      const keys = [...state.keyPairs.values()].filter((key) => key.region === region);
      for (const name of names) {
        if (!keys.some((key) => key.keyName === name)) {
          throw new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${name}' does not exist`);
        }
      }
      const matching = keys.filter(
        (key) =>
          (names.length === 0 || names.includes(key.keyName)) &&
          (ids.length === 0 || ids.includes(key.keyPairId)) &&
          matchesFilters(filters, key.tags, (name) =>
            name === 'key-name'
              ? [key.keyName]
              : name === 'key-pair-id'
                ? [key.keyPairId]
                : name === 'fingerprint'
                  ? [key.fingerprint]
                  : undefined,
          ),
      );
      return {
        keySet: matching.map((key) => ({
          keyPairId: key.keyPairId,
          keyName: key.keyName,
          keyFingerprint: key.fingerprint,
          keyType: 'rsa',
          tagSet: tagSet(key.tags),
        })),
      };
    },

    CreateSecurityGroup({ params, region }) {
      const groupName = params.require('GroupName');
      const description = params.require('GroupDescription');
      const vpcId =
        params.get('VpcId') ||
        ([...state.vpcs.values()].find((vpc) => vpc.region === region && vpc.isDefault)?.vpcId ?? '');
      const vpc = state.vpcs.get(vpcId);
      if (!vpc || vpc.region !== region)
        throw new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
      if ([...state.securityGroups.values()].some((g) => g.vpcId === vpcId && g.groupName === groupName)) {
        throw new Ec2Error(
          'InvalidGroup.Duplicate',
          `The security group '${groupName}' already exists for VPC '${vpcId}'`,
        );
      }
      const groupId = newId('sg');
      state.securityGroups.set(groupId, {
        groupId,
        groupName,
        description,
        region,
        vpcId,
        ownerId: state.accountId,
        ingress: [],
        tags: tagsFor(params, 'security-group'),
      });
      return { return: true, groupId };
    },

    AuthorizeSecurityGroupIngress({ params, region }) {
      const group = findGroup(params, region);
      for (const rule of ingressRules(params)) {
        const same = group.ingress.find(
          (r) => r.ipProtocol === rule.ipProtocol && r.fromPort === rule.fromPort && r.toPort === rule.toPort,
        );
        const duplicate = same && rule.cidrIps.find((cidr) => same.cidrIps.includes(cidr));
        if (duplicate) {
          throw new Ec2Error(
            'InvalidPermission.Duplicate',
            `the specified rule "peer: ${duplicate}, ${rule.ipProtocol.toUpperCase()}, from port: ${rule.fromPort}, to port: ${rule.toPort}, ALLOW" already exists`,
          );
        }
        if (same) same.cidrIps.push(...rule.cidrIps);
        else group.ingress.push(rule);
      }
      return { return: true };
    },

    DeleteSecurityGroup({ params, region }) {
      const group = findGroup(params, region);
      if (group.groupName === 'default') {
        throw new Ec2Error(
          'CannotDelete',
          `the specified group: "${group.groupId}" name: "default" cannot be deleted by a user`,
        );
      }
      const user = [...state.instances.values()].find(
        (instance) => instance.state !== 'terminated' && instance.securityGroupIds.includes(group.groupId),
      );
      if (user) throw new Ec2Error('DependencyViolation', `resource ${group.groupId} has a dependent object`);
      state.securityGroups.delete(group.groupId);
      return { return: true };
    },

    DescribeSecurityGroups({ params, region }) {
      const ids = params.list('GroupId');
      const names = params.list('GroupName');
      const filters = parseFilters(params);
      const groups = [...state.securityGroups.values()].filter((group) => group.region === region);
      for (const id of ids) {
        if (!groups.some((group) => group.groupId === id)) {
          throw new Ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
        }
      }
      const matching = groups.filter(
        (group) =>
          (ids.length === 0 || ids.includes(group.groupId)) &&
          (names.length === 0 || names.includes(group.groupName)) &&
          matchesFilters(filters, group.tags, (name) => {
            if (name === 'group-id') return [group.groupId];
            if (name === 'group-name') return [group.groupName];
            if (name === 'vpc-id') return [group.vpcId];
            if (name === 'description') return [group.description];
            if (name === 'owner-id') return [group.ownerId];
            return undefined;
          }),
      );
      const { page, nextToken } = paginate(matching, params);
      return { securityGroupInfo: page.map(securityGroupXml), nextToken };
    },

    DescribeVpcs({ params, region }) {
      const ids = params.list('VpcId');
      const filters = parseFilters(params);
      const vpcs = [...state.vpcs.values()].filter(
        (vpc) =>
          vpc.region === region &&
          (ids.length === 0 || ids.includes(vpc.vpcId)) &&
          matchesFilters(filters, vpc.tags, (name) => {
            if (name === 'vpc-id') return [vpc.vpcId];
            if (name === 'is-default' || name === 'isDefault') return [String(vpc.isDefault)];
            if (name === 'state') return ['available'];
            if (name === 'cidr' || name === 'cidr-block') return [vpc.cidrBlock];
            return undefined;
          }),
      );
      for (const id of ids) {
        if (!vpcs.some((vpc) => vpc.vpcId === id))
          throw new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);
      }
      return {
        vpcSet: vpcs.map((vpc) => ({
          vpcId: vpc.vpcId,
          ownerId: state.accountId,
          state: 'available',
          cidrBlock: vpc.cidrBlock,
          dhcpOptionsId: 'dopt-0sandbox',
          instanceTenancy: 'default',
          isDefault: vpc.isDefault,
          tagSet: tagSet(vpc.tags),
        })),
      };
    },

    DescribeSubnets({ params, region }) {
      const ids = params.list('SubnetId');
      const filters = parseFilters(params);
      const subnets = [...state.subnets.values()].filter(
        (subnet) =>
          subnet.region === region &&
          (ids.length === 0 || ids.includes(subnet.subnetId)) &&
          matchesFilters(filters, subnet.tags, (name) => {
            if (name === 'subnet-id') return [subnet.subnetId];
            if (name === 'vpc-id') return [subnet.vpcId];
            if (name === 'availability-zone' || name === 'availabilityZone') return [subnet.availabilityZone];
            if (name === 'default-for-az' || name === 'defaultForAz') return [String(subnet.defaultForAz)];
            if (name === 'state') return ['available'];
            if (name === 'cidr-block') return [subnet.cidrBlock];
            return undefined;
          }),
      );
      for (const id of ids) {
        if (!subnets.some((subnet) => subnet.subnetId === id)) {
          throw new Ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
        }
      }
      return {
        subnetSet: subnets.map((subnet) => ({
          subnetId: subnet.subnetId,
          subnetArn: `arn:aws:ec2:${region}:${state.accountId}:subnet/${subnet.subnetId}`,
          state: 'available',
          ownerId: state.accountId,
          vpcId: subnet.vpcId,
          cidrBlock: subnet.cidrBlock,
          availableIpAddressCount: 4091,
          availabilityZone: subnet.availabilityZone,
          defaultForAz: subnet.defaultForAz,
          mapPublicIpOnLaunch: true,
          tagSet: tagSet(subnet.tags),
        })),
      };
    },

    DescribeRegions({ params }) {
      const names = params.list('RegionName');
      const filters = parseFilters(params);
      for (const name of names) {
        if (!state.regions.includes(name))
          throw new Ec2Error('InvalidParameterValue', `Invalid region: ${name}`);
      }
      const regions = state.regions.filter(
        (name) =>
          (names.length === 0 || names.includes(name)) &&
          matchesFilters(filters, {}, (filter) =>
            filter === 'region-name'
              ? [name]
              : filter === 'opt-in-status'
                ? ['opt-in-not-required']
                : undefined,
          ),
      );
      return {
        regionInfo: regions.map((regionName) => ({
          regionName,
          regionEndpoint: `ec2.${regionName}.amazonaws.com`,
          optInStatus: 'opt-in-not-required',
        })),
      };
    },

    DescribeAvailabilityZones({ region }) {
      const zones = [
        ...new Set(
          [...state.subnets.values()].filter((s) => s.region === region).map((s) => s.availabilityZone),
        ),
      ];
      return {
        availabilityZoneInfo: zones.map((zoneName) => ({
          zoneName,
          zoneState: 'available',
          regionName: region,
          zoneType: 'availability-zone',
          optInStatus: 'opt-in-not-required',
          groupName: region,
          networkBorderGroup: region,
          messageSet: [],
        })),
      };
    },
  };
}
