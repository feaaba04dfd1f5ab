/** EC2 volume actions: the volumes instances were launched with, described and deleted. */
import { Ec2Error, matchesFilters, paginate, parseFilters } from './ec2-query.js';
import type { Ec2Action, Ec2Runtime } from './ec2-runtime.js';
import type { Ec2Volume } from './ec2-state.js';
import { isoDate, tagSet } from './ec2-xml.js';

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

/** Volume actions over `runtime`. */
export function volumeActions({ state, clock }: Ec2Runtime): Record<string, Ec2Action> {
  return {
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
  };
}
