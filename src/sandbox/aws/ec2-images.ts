/** EC2 image and snapshot actions: describe, create, copy, share, deprecate, deregister, delete. */
import { deprecationTimeFrom, isDeregistrationProtected } from './ec2-image-lifecycle.js';
import { Ec2Error, matchesFilters, paginate, parseFilters, type QueryParams, tagsFor } from './ec2-query.js';
import {
  canSeeImage,
  type Ec2Action,
  type Ec2Runtime,
  requireImage,
  requireInstance,
  requireOwnedImage,
} from './ec2-runtime.js';
import { type BlockDevice, type Ec2Image, type Ec2Snapshot, newId } from './ec2-state.js';
import { deregistrationProtectionText, imageXml, isoDate, snapshotXml } from './ec2-xml.js';

const amiNamePattern = /^[a-zA-Z0-9()[\] ./\-'@_]{3,128}$/;

function imageFilterValues(image: Ec2Image, name: string): Array<string | undefined> | undefined {
  switch (name) {
    case 'image-id':
      return [image.imageId];
    case 'name':
      return [image.name];
    case 'state':
      return [image.state];
    case 'owner-id':
      return [image.ownerId];
    case 'owner-alias':
      return [image.ownerAlias];
    case 'is-public':
      return [String(image.isPublic)];
    case 'platform':
      return [image.platform];
    case 'platform-details':
      return [image.platformDetails];
    case 'architecture':
      return [image.architecture];
    case 'description':
      return [image.description];
    case 'creation-date':
      return [isoDate(image.creationDate)];
    case 'root-device-type':
      return ['ebs'];
    case 'root-device-name':
      return [image.rootDeviceName];
    case 'virtualization-type':
      return ['hvm'];
    case 'image-type':
      return ['machine'];
    case 'hypervisor':
      return ['xen'];
    case 'ena-support':
      return ['true'];
    case 'block-device-mapping.snapshot-id':
      return image.blockDevices.map((device) => device.snapshotId);
    case 'block-device-mapping.volume-size':
      return image.blockDevices.map((device) => String(device.volumeSize));
    default:
      return undefined;
  }
}

function snapshotFilterValues(snapshot: Ec2Snapshot, name: string): Array<string | undefined> | undefined {
  switch (name) {
    case 'snapshot-id':
      return [snapshot.snapshotId];
    case 'status':
      return [snapshot.state];
    case 'volume-id':
      return [snapshot.volumeId];
    case 'owner-id':
      return [snapshot.ownerId];
    case 'description':
      return [snapshot.description];
    case 'volume-size':
      return [String(snapshot.volumeSize)];
    case 'start-time':
      return [isoDate(snapshot.startTime)];
    default:
      return undefined;
  }
}

/** Image and snapshot actions over `runtime`. */
export function imageActions(runtime: Ec2Runtime): Record<string, Ec2Action> {
  const { state, clock, faults } = runtime;

  const ownerMatches = (image: Ec2Image, owner: string) =>
    owner === 'self'
      ? image.ownerId === state.accountId
      : owner === 'amazon' || owner === 'aws-marketplace'
        ? image.ownerAlias === owner
        : image.ownerId === owner;

  const executableBy = (image: Ec2Image, who: string) =>
    who === 'all'
      ? image.isPublic
      : who === 'self'
        ? canSeeImage(image, state.accountId)
        : image.ownerId === who || image.isPublic || image.sharedWith.includes(who);

  function checkNewName(region: string, name: string): void {
    if (!amiNamePattern.test(name)) {
      throw new Ec2Error(
        'InvalidAMIName.Malformed',
        `AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'`,
      );
    }
    for (const image of state.images.values()) {
      if (image.region === region && image.ownerId === state.accountId && image.name === name) {
        throw new Ec2Error(
          'InvalidAMIName.Duplicate',
          `AMI name ${name} is already in use by AMI ${image.imageId}`,
        );
      }
    }
  }

  /** New snapshots of `devices` in `region`, pending until the image completes. */
  function snapshotDevices(
    region: string,
    devices: Array<{ device: BlockDevice; volumeId: string }>,
    description: string,
    tags: Record<string, string>,
  ): BlockDevice[] {
    return devices.map(({ device, volumeId }) => {
      const snapshotId = newId('snap');
      state.snapshots.set(snapshotId, {
        snapshotId,
        region,
        ownerId: state.accountId,
        volumeId,
        volumeSize: device.volumeSize,
        state: 'pending',
        startTime: clock.now(),
        description,
        tags: { ...tags },
      });
      return { ...device, snapshotId };
    });
  }

  function completeLater(image: Ec2Image, kind: 'build' | 'copy'): void {
    clock.schedule(kind === 'build' ? 'imageAvailableMs' : 'copyAvailableMs', () => {
      if (state.images.get(image.imageId) !== image || faults.amiStuckPending) return;
      const failed = (kind === 'build' ? faults.buildFailsIn : faults.copyFailsTo).includes(image.region);
      image.state = failed ? 'failed' : 'available';
      if (failed) {
        image.stateReason = {
          code: 'Server.InternalError',
          message: `Server.InternalError: Internal error on ${kind === 'build' ? 'CreateImage' : 'CopyImage'} in ${image.region}`,
        };
      }
      for (const device of image.blockDevices) {
        const snapshot = state.snapshots.get(device.snapshotId);
        if (snapshot) snapshot.state = failed ? 'error' : 'completed';
      }
    });
  }

  function newImage(
    region: string,
    fields: Partial<Ec2Image> & Pick<Ec2Image, 'name' | 'blockDevices'>,
  ): Ec2Image {
    const image: Ec2Image = {
      imageId: newId('ami'),
      region,
      state: 'pending',
      ownerId: state.accountId,
      isPublic: false,
      sharedWith: [],
      creationDate: clock.now(),
      platform: 'windows',
      platformDetails: 'Windows',
      architecture: 'x86_64',
      rootDeviceName: '/dev/sda1',
      tags: {},
      ...fields,
    };
    state.images.set(image.imageId, image);
    return image;
  }

  function permissionChanges(
    params: QueryParams,
    operation: 'Add' | 'Remove',
  ): { userIds: string[]; groups: string[] } {
    const entries = params.structs(`LaunchPermission.${operation}`);
    const userIds = entries.flatMap((entry) => (entry.get('UserId') ? [entry.get('UserId') as string] : []));
    const groups = entries.flatMap((entry) => (entry.get('Group') ? [entry.get('Group') as string] : []));
    // The older form: Attribute=launchPermission&OperationType=add&UserId.1=...
    if (params.get('OperationType')?.toLowerCase() === operation.toLowerCase()) {
      userIds.push(...params.list('UserId'));
      groups.push(...params.list('UserGroup'));
    }
    return { userIds, groups };
  }

  return {
    DescribeImages({ params, region }) {
      const ids = params.list('ImageId');
      const owners = params.list('Owner');
      const executors = params.list('ExecutableBy');
      const filters = parseFilters(params);
      const includeDeprecated = params.bool('IncludeDeprecated') ?? false;
      const includeDisabled = params.bool('IncludeDisabled') ?? false;
      const now = clock.now();
      const candidates = ids.length
        ? ids.map((id) => requireImage(runtime, region, id))
        : [...state.images.values()].filter(
            (image) => image.region === region && canSeeImage(image, state.accountId),
          );
      const images = candidates.filter(
        (image) =>
          (owners.length === 0 || owners.some((owner) => ownerMatches(image, owner))) &&
          (executors.length === 0 || executors.some((who) => executableBy(image, who))) &&
          // AWS hides other accounts' deprecated images unless asked for by id or with IncludeDeprecated.
          (ids.length > 0 ||
            includeDeprecated ||
            image.ownerId === state.accountId ||
            image.deprecationTime === undefined ||
            image.deprecationTime > now) &&
          // Disabled images are left out unless asked for, by id too; only their owner sees them at all.
          (includeDisabled || image.state !== 'disabled') &&
          matchesFilters(filters, image.tags, (name) => imageFilterValues(image, name)),
      );
      const { page, nextToken } = paginate(images, params);
      return { imagesSet: page.map((image) => imageXml(image, now)), nextToken };
    },

    CreateImage({ params, region }) {
      const instance = requireInstance(runtime, region, params.require('InstanceId'));
      if (instance.state !== 'running' && instance.state !== 'stopped') {
        throw new Ec2Error(
          'IncorrectInstanceState',
          `The instance '${instance.instanceId}' is not in a state from which it can be imaged.`,
        );
      }
      const name = params.require('Name');
      checkNewName(region, name);
      const imageId = newId('ami');
      const devices = instance.volumeIds.flatMap((volumeId) => {
        const volume = state.volumes.get(volumeId);
        if (!volume) return [];
        const device: BlockDevice = {
          deviceName: volume.deviceName ?? instance.rootDeviceName,
          snapshotId: '',
          volumeSize: volume.size,
          volumeType: volume.volumeType,
          deleteOnTermination: volume.deleteOnTermination,
        };
        return [{ device, volumeId }];
      });
      const blockDevices = snapshotDevices(
        region,
        devices,
        `Created by CreateImage(${instance.instanceId}) for ${imageId}`,
        tagsFor(params, 'snapshot'),
      );
      const image = newImage(region, {
        imageId,
        name,
        description: params.get('Description'),
        blockDevices,
        rootDeviceName: instance.rootDeviceName,
        sourceInstanceId: instance.instanceId,
        tags: tagsFor(params, 'image'),
      });
      completeLater(image, 'build');
      return { imageId: image.imageId };
    },

    CopyImage({ params, region }) {
      const sourceRegion = params.require('SourceRegion');
      if (!state.regions.includes(sourceRegion)) {
        throw new Ec2Error('InvalidParameterValue', `Invalid value '${sourceRegion}' for SourceRegion`);
      }
      const source = requireImage(runtime, sourceRegion, params.require('SourceImageId'));
      if (source.state !== 'available') {
        throw new Ec2Error(
          'IncorrectState',
          `Image ${source.imageId} is not in a valid state (${source.state})`,
        );
      }
      const name = params.require('Name');
      checkNewName(region, name);
      const imageId = newId('ami');
      const blockDevices = snapshotDevices(
        region,
        source.blockDevices.map((device) => ({ device, volumeId: 'vol-ffffffff' })),
        `Copied for DestinationAmi ${imageId} from SourceAmi ${source.imageId} for SourceSnapshot ${source.blockDevices[0]?.snapshotId ?? ''}`,
        {},
      );
      const image = newImage(region, {
        imageId,
        name,
        description:
          params.get('Description') ?? `[Copied ${source.imageId} from ${sourceRegion}] ${source.name}`,
        blockDevices,
        rootDeviceName: source.rootDeviceName,
        platform: source.platform,
        platformDetails: source.platformDetails,
        architecture: source.architecture,
        sourceImageId: source.imageId,
        sourceRegion,
        tags: { ...(params.bool('CopyImageTags') ? source.tags : {}), ...tagsFor(params, 'image') },
      });
      completeLater(image, 'copy');
      return { imageId: image.imageId };
    },

    DeregisterImage({ params, region }) {
      const image = requireOwnedImage(runtime, region, params.require('ImageId'));
      if (isDeregistrationProtected(image, clock.now())) {
        throw new Ec2Error(
          'OperationNotPermitted',
          `Image ${image.imageId} cannot be deregistered: deregistration protection is ${deregistrationProtectionText(image.deregistrationProtection, clock.now())}.`,
        );
      }
      state.images.delete(image.imageId);
      if (params.bool('DeleteAssociatedSnapshots')) {
        for (const device of image.blockDevices) state.snapshots.delete(device.snapshotId);
      }
      return { return: true };
    },

    DescribeImageAttribute({ params, region }) {
      const image = requireOwnedImage(runtime, region, params.require('ImageId'));
      const attribute = params.require('Attribute');
      if (attribute === 'launchPermission') {
        return {
          imageId: image.imageId,
          launchPermission: [
            ...image.sharedWith.map((userId) => ({ userId })),
            ...(image.isPublic ? [{ group: 'all' }] : []),
          ],
        };
      }
      if (attribute === 'description')
        return { imageId: image.imageId, description: { value: image.description } };
      if (attribute === 'deregistrationProtection') {
        const value = deregistrationProtectionText(image.deregistrationProtection, clock.now());
        return { imageId: image.imageId, deregistrationProtection: { value } };
      }
      throw new Ec2Error('InvalidParameterValue', `Value (${attribute}) for parameter attribute is invalid.`);
    },

    ModifyImageAttribute({ params, region }) {
      const image = requireOwnedImage(runtime, region, params.require('ImageId'));
      const description = params.get('Description.Value');
      if (description !== undefined) image.description = description;
      const add = permissionChanges(params, 'Add');
      const remove = permissionChanges(params, 'Remove');
      for (const userId of [...add.userIds, ...remove.userIds]) {
        if (!/^\d{12}$/.test(userId)) {
          throw new Ec2Error(
            'InvalidAMIAttributeItemValue',
            `Invalid attribute item value "${userId}" for userId item type.`,
          );
        }
      }
      image.sharedWith = [...new Set([...image.sharedWith, ...add.userIds])].filter(
        (id) => !remove.userIds.includes(id),
      );
      if (add.groups.includes('all')) image.isPublic = true;
      if (remove.groups.includes('all')) image.isPublic = false;
      return { return: true };
    },

    EnableImageDeprecation({ params, region }) {
      const image = requireOwnedImage(runtime, region, params.require('ImageId'));
      image.deprecationTime = deprecationTimeFrom(params.require('DeprecateAt'), image, clock.now());
      return { return: true };
    },

    DisableImageDeprecation({ params, region }) {
      const image = requireOwnedImage(runtime, region, params.require('ImageId'));
      image.deprecationTime = undefined;
      return { return: true };
    },

    DescribeSnapshots({ params, region }) {
      const ids = params.list('SnapshotId');
      const owners = params.list('Owner');
      const filters = parseFilters(params);
      const own = [...state.snapshots.values()].filter(
        (snapshot) => snapshot.region === region && snapshot.ownerId === state.accountId,
      );
      for (const id of ids) {
        if (!own.some((snapshot) => snapshot.snapshotId === id)) {
          throw new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
        }
      }
      const snapshots = own.filter(
        (snapshot) =>
          (ids.length === 0 || ids.includes(snapshot.snapshotId)) &&
          (owners.length === 0 || owners.some((owner) => owner === 'self' || owner === snapshot.ownerId)) &&
          matchesFilters(filters, snapshot.tags, (name) => snapshotFilterValues(snapshot, name)),
      );
      const { page, nextToken } = paginate(snapshots, params);
      return { snapshotSet: page.map(snapshotXml), nextToken };
    },

    ModifySnapshotAttribute({ params, region }) {
      const snapshotId = params.require('SnapshotId');
      const snapshot = state.snapshots.get(snapshotId);
      if (!snapshot || snapshot.region !== region || snapshot.ownerId !== state.accountId) {
        throw new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
      }
      const change = (operation: 'Add' | 'Remove') => [
        ...params
          .structs(`CreateVolumePermission.${operation}`)
          .flatMap((entry) => entry.get('UserId') ?? []),
        ...(params.get('OperationType')?.toLowerCase() === operation.toLowerCase()
          ? params.list('UserId')
          : []),
      ];
      const add = change('Add');
      const remove = change('Remove');
      for (const userId of [...add, ...remove]) {
        if (!/^\d{12}$/.test(userId)) {
          throw new Ec2Error('InvalidParameterValue', `Invalid value '${userId}' for userId.`);
        }
      }
      snapshot.sharedWith = [...new Set([...(snapshot.sharedWith ?? []), ...add])].filter(
        (id) => !remove.includes(id),
      );
      return { return: true };
    },

    DeleteSnapshot({ params, region }) {
      const snapshotId = params.require('SnapshotId');
      const snapshot = state.snapshots.get(snapshotId);
      if (!snapshot || snapshot.region !== region || snapshot.ownerId !== state.accountId) {
        throw new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
      }
      const user = [...state.images.values()].find((image) =>
        image.blockDevices.some((device) => device.snapshotId === snapshotId),
      );
      if (user) {
        throw new Ec2Error(
          'InvalidSnapshot.InUse',
          `The snapshot ${snapshotId} is currently in use by ${user.imageId}`,
        );
      }
      state.snapshots.delete(snapshotId);
      return { return: true };
    },
  };
}
