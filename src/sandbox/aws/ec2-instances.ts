/**
 * EC2 instance actions. An instance moves pending -> running -> (stopping -> stopped) ->
 * shutting-down -> terminated on the clock; once running, its status checks go initializing -> ok
 * and EC2Launch writes `Windows is Ready to use` to the console.
 */
import { bootInstance, stateChange, transitionInstance } from './ec2-instance-states.js';
import { launchInstance } from './ec2-launch.js';
import { Ec2Error, matchesFilters, paginate, parseFilters, type QueryParams } from './ec2-query.js';
import { type Ec2Action, type Ec2Runtime, requireInstance } from './ec2-runtime.js';
import type { Ec2Instance, StatusCheck } from './ec2-state.js';
import { newId } from './ec2-state.js';
import { instanceState, instanceStateCodes, instanceXml, isoDate, type XmlValue } from './ec2-xml.js';

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

/** Instance actions over `runtime` (volumes are in ec2-volumes, launching one instance in ec2-launch). */
export function instanceActions(runtime: Ec2Runtime): Record<string, Ec2Action> {
  const { state, clock } = runtime;
  const groupName = (groupId: string) => state.securityGroups.get(groupId)?.groupName ?? '';
  const render = (instance: Ec2Instance) => instanceXml(instance, state, groupName);

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
        launchInstance(runtime, params, region, reservationId, index),
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
          if (previous === 'running')
            transitionInstance(runtime, instance, 'stopping', 'stopped', 'instanceStoppedMs');
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
          if (previous === 'stopped') bootInstance(runtime, instance);
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
            transitionInstance(runtime, instance, 'shutting-down', 'terminated', 'instanceTerminatedMs');
          }
          return stateChange(instance, previous);
        }),
      };
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
