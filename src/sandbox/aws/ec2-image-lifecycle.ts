/**
 * The AMI lifecycle EC2 offers between CreateImage and DeregisterImage: disabling an image
 * (DisableImage / EnableImage), deprecation times, and deregistration protection with its optional
 * 24-hour cooldown. Each action is the owner's alone, as on EC2.
 */
import { Ec2Error } from './ec2-query.js';
import { type Ec2Action, type Ec2Runtime, requireOwnedImage } from './ec2-runtime.js';
import type { Ec2Image } from './ec2-state.js';
import { deregistrationProtectionText, isoDate } from './ec2-xml.js';

/** How long protection enabled `WithCooldown` still holds after it is disabled. */
export const DEREGISTRATION_COOLDOWN_MS = 24 * 3_600_000;

const MINUTE_MS = 60_000;
const YEAR_MS = 365 * 86_400_000;

/** Whether DeregisterImage must refuse `image` at `now`: protection on, or its cooldown still running. */
export function isDeregistrationProtected(image: Ec2Image, now: number): boolean {
  const protection = image.deregistrationProtection;
  if (!protection) return false;
  return protection.state === 'enabled' || protection.until > now;
}

/**
 * EnableImageDeprecation's `DeprecateAt` checked as EC2 documents it (not in the past, at most ten
 * years ahead, two years after creation for a public image) and rounded to the nearest minute.
 * "Now" counts from the start of the current minute, so deprecating at once is accepted.
 */
export function deprecationTimeFrom(value: string, image: Ec2Image, now: number): number {
  const requested = Date.parse(value);
  if (Number.isNaN(requested)) {
    throw new Ec2Error('InvalidParameterValue', `Invalid value '${value}' for DeprecateAt`);
  }
  if (requested < Math.floor(now / MINUTE_MS) * MINUTE_MS) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `The deprecation time ${isoDate(requested)} is in the past. Specify a time in the future.`,
    );
  }
  const limit = image.isPublic ? image.creationDate + 2 * YEAR_MS : now + 10 * YEAR_MS;
  if (requested > limit) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `The deprecation time ${isoDate(requested)} is too far in the future. The latest allowed is ${isoDate(limit)}.`,
    );
  }
  return Math.round(requested / MINUTE_MS) * MINUTE_MS;
}

/** DisableImage, EnableImage and the deregistration-protection actions over `runtime`. */
export function imageLifecycleActions(runtime: Ec2Runtime): Record<string, Ec2Action> {
  const { clock } = runtime;

  /** Disabling or enabling an image that is still pending (or failed) is refused; the target state is a no-op. */
  function requireSettled(image: Ec2Image, action: string): void {
    if (image.state === 'pending' || image.state === 'failed') {
      throw new Ec2Error(
        'IncorrectState',
        `Image ${image.imageId} is not in a valid state for ${action} (${image.state})`,
      );
    }
  }

  return {
    DisableImage({ params, region }) {
      const image = requireOwnedImage(runtime, region, params.require('ImageId'));
      requireSettled(image, 'DisableImage');
      // EC2 removes every launch permission; EnableImage does not give them back.
      image.state = 'disabled';
      image.isPublic = false;
      image.sharedWith = [];
      return { return: true };
    },

    EnableImage({ params, region }) {
      const image = requireOwnedImage(runtime, region, params.require('ImageId'));
      requireSettled(image, 'EnableImage');
      image.state = 'available';
      return { return: true };
    },

    EnableImageDeregistrationProtection({ params, region }) {
      const image = requireOwnedImage(runtime, region, params.require('ImageId'));
      image.deregistrationProtection = {
        state: 'enabled',
        withCooldown: params.bool('WithCooldown') ?? false,
      };
      return { return: deregistrationProtectionText(image.deregistrationProtection, clock.now()) };
    },

    DisableImageDeregistrationProtection({ params, region }) {
      const image = requireOwnedImage(runtime, region, params.require('ImageId'));
      const protection = image.deregistrationProtection;
      const now = clock.now();
      if (protection?.state === 'enabled') {
        image.deregistrationProtection = protection.withCooldown
          ? { state: 'cooling-down', until: now + DEREGISTRATION_COOLDOWN_MS }
          : undefined;
      }
      // Disabling again during a cooldown leaves its end where it was.
      return { return: deregistrationProtectionText(image.deregistrationProtection, now) };
    },
  };
}
