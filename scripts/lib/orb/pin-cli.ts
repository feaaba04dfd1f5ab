/**
 * Pins the hephestus release an orb installs: the default `version` and `integrity` of the install command and of
 * every job that passes them on. The orb's source carries the version but cannot carry the integrity (the sha512
 * of the npm tarball exists only once the package is packed for publishing), so the release pipeline publishes
 * the package first, reads its `dist.integrity` back from the registry and packs the orb with both.
 *
 * Pure: takes and returns the packed orb value.
 */
import { InputError } from '../../../src/errors.js';

export interface CliPin {
  version: string;
  /** npm's SRI form, `sha512-` and 88 base64 characters. */
  integrity: string;
}

const EXACT_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const SHA512_INTEGRITY = /^sha512-[A-Za-z0-9+/]{86}==$/;

/** Checks a pin, naming the setting that is wrong. */
export function checkCliPin(pin: CliPin): CliPin {
  if (!EXACT_VERSION.test(pin.version)) {
    throw new InputError(`the CLI version must be an exact version such as 1.2.3, got "${pin.version}"`, {
      setting: 'cli-version',
    });
  }
  if (!SHA512_INTEGRITY.test(pin.integrity)) {
    throw new InputError(
      `the CLI integrity must be npm's sha512 form (npm view hephestus@${pin.version} dist.integrity), got "${pin.integrity}"`,
      { setting: 'cli-integrity' },
    );
  }
  return pin;
}

/** The orb with `pin` as the default version and integrity wherever the CLI is installed. */
export function pinCli(orb: Record<string, unknown>, pin: CliPin): Record<string, unknown> {
  checkCliPin(pin);
  const pinned = structuredClone(orb);
  const targets = [
    ['commands', 'install'],
    ...Object.keys(record(pinned.jobs)).map((name) => ['jobs', name]),
  ] as const;
  let count = 0;
  for (const [section, name] of targets) {
    const parameters = record(record(record(pinned[section])[name]).parameters);
    const version = record(parameters.version);
    const integrity = record(parameters.integrity);
    if (!('default' in version) || !('default' in integrity)) continue;
    version.default = pin.version;
    integrity.default = pin.integrity;
    count++;
  }
  if (count === 0) throw new InputError('the orb has no install command with version and integrity to pin');
  return pinned;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
