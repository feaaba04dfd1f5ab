/**
 * An instance's life on the sandbox clock: pending -> running (status checks initializing -> ok, the console
 * reaching `Windows is Ready to use`), and the stop and terminate transitions. A newer transition cancels the
 * scheduled steps of an older one (the generation counter).
 */
import type { Ec2Runtime } from './ec2-runtime.js';
import type { Ec2Instance, InstanceStateName } from './ec2-state.js';
import { instanceState, isoDate, type XmlValue } from './ec2-xml.js';

/** Starts `instance` (again): pending now, running and checked later, as the clock decides. */
export function bootInstance({ clock, faults }: Ec2Runtime, instance: Ec2Instance): void {
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

/** A user-initiated stop or terminate: `next` now, `then` after `timing`; terminating frees or deletes volumes. */
export function transitionInstance(
  { state, clock }: Ec2Runtime,
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

/** The `instancesSet` entry of Start/Stop/TerminateInstances. */
export function stateChange(instance: Ec2Instance, previous: InstanceStateName): XmlValue {
  return {
    instanceId: instance.instanceId,
    currentState: instanceState(instance.state),
    previousState: instanceState(previous),
  };
}

function consoleLine(at: number, text: string): string {
  return `${new Date(at).toISOString().replace('T', ' ').slice(0, 19)}Z: ${text}\r\n`;
}
