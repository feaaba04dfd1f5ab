/** What every group of EC2 actions shares: the state, the clock, the scripted faults, and id lookups that fail as EC2 does. */
import type { AwsClock } from './aws-clock.js';
import { Ec2Error, type QueryParams } from './ec2-query.js';
import type { Ec2Image, Ec2Instance, Ec2State } from './ec2-state.js';
import type { XmlValue } from './ec2-xml.js';

/** Answer `RequestLimitExceeded` to the next `times` calls of `action` (or every action), after skipping `after`. */
export interface ThrottleFault {
  action?: string;
  times: number;
  after?: number;
}

/**
 * Whether a scripted throttle fault answers this call of `action`; spends it (its `after` calls first, then its
 * `times`), and drops it when used up. EC2 and SSM share the mechanism.
 */
export function takeThrottle(throttle: ThrottleFault[], action: string): boolean {
  const index = throttle.findIndex((fault) => fault.action === undefined || fault.action === action);
  const fault = throttle[index];
  if (!fault) return false;
  if (fault.after && fault.after > 0) {
    fault.after--;
    return false;
  }
  if (--fault.times <= 0) throttle.splice(index, 1);
  return true;
}

/** Scripted EC2 failures; checked when a transition happens, so they can be set at any time. */
export interface Ec2Faults {
  /** Instances pass the system check but their instance status check ends `impaired`. */
  instanceNeverOk: boolean;
  /** The console never shows `Windows is Ready to use`. */
  windowsNeverReady: boolean;
  /** New AMIs (built or copied) stay `pending`. */
  amiStuckPending: boolean;
  /** CopyImage into these regions ends `failed`. */
  copyFailsTo: string[];
  /** CreateImage in these regions ends `failed`, which fails a Packer build there. */
  buildFailsIn: string[];
  throttle: ThrottleFault[];
}

export interface Ec2Runtime {
  state: Ec2State;
  clock: AwsClock;
  faults: Ec2Faults;
}

export interface Ec2Request {
  params: QueryParams;
  region: string;
}

/** One EC2 action: the response's fields after `requestId`. */
export type Ec2Action = (request: Ec2Request) => Record<string, XmlValue>;

/** Whether `image` may be seen from `accountId`: own, public or shared; a disabled image only by its owner. */
export function canSeeImage(image: Ec2Image, accountId: string): boolean {
  if (image.ownerId === accountId) return true;
  return image.state !== 'disabled' && (image.isPublic || image.sharedWith.includes(accountId));
}

/** An image id visible from the caller's region, or EC2's Malformed / NotFound error. */
export function requireImage(runtime: Ec2Runtime, region: string, imageId: string): Ec2Image {
  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId)) {
    throw new Ec2Error('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
  }
  const image = runtime.state.images.get(imageId);
  if (!image || image.region !== region || !canSeeImage(image, runtime.state.accountId)) {
    throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  }
  return image;
}

/** An image the caller owns; changing someone else's is refused. */
export function requireOwnedImage(runtime: Ec2Runtime, region: string, imageId: string): Ec2Image {
  const image = requireImage(runtime, region, imageId);
  if (image.ownerId !== runtime.state.accountId) {
    throw new Ec2Error('AuthFailure', `Not authorized for image:${imageId}`);
  }
  return image;
}

/** An instance in the caller's region, or EC2's Malformed / NotFound error. */
export function requireInstance(runtime: Ec2Runtime, region: string, instanceId: string): Ec2Instance {
  if (!/^i-[0-9a-f]{8,17}$/.test(instanceId)) {
    throw new Ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${instanceId}"`);
  }
  const instance = runtime.state.instances.get(instanceId);
  if (!instance || instance.region !== region) {
    throw new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
  }
  return instance;
}
