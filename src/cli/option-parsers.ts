/**
 * Checks command-line values of the integration commands before any client is built: a wrong AMI id, region
 * or JSON document is bad input (exit 2) and the message names the option it came from.
 */
import { access, readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { WaitProgress } from '../aws/waits.js';
import { AmiIdSchema, type HephestusConfig, RegionSchema } from '../config/config-schema.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../config/load-config.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { PackerResult } from '../packer/artifacts.js';

/** `owner/name` from CircleCI's project variables, when the job runs there. */
export function circleRepository(): string | undefined {
  const { CIRCLE_PROJECT_USERNAME: owner, CIRCLE_PROJECT_REPONAME: name } = process.env;
  return owner && name ? `${owner}/${name}` : undefined;
}

function checked<S extends z.ZodType<string>>(schema: S, value: string, option: string): string {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InputError(result.error.issues[0]?.message ?? `${JSON.stringify(value)} is not valid`, {
    setting: option,
  });
}

/** An AMI id, or InputError naming `option`. */
export function amiId(value: string, option = '--ami'): string {
  return checked(AmiIdSchema, value, option);
}

/** AWS region names, or InputError naming `option`. */
export function regions(values: readonly string[], option = '--region'): string[] {
  return [...new Set(values.map((value) => checked(RegionSchema, value, option)))];
}

/** The regions given, else AWS_REGION / AWS_DEFAULT_REGION, else InputError naming `--region`. */
export function regionsOrDefault(
  values: readonly string[] | undefined,
  fallback: readonly string[] = [],
): string[] {
  if (values && values.length > 0) return regions(values);
  if (fallback.length > 0) return regions(fallback);
  const env = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (env) return regions([env], 'AWS_REGION');
  throw new InputError('no region: give --region (or set AWS_REGION)', { setting: '--region' });
}

/** A whole number from `min` up, or InputError naming `option`. */
export function integer(value: string | number, option: string, min = 0): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number) || number < min) {
    throw new InputError(`must be a whole number from ${min} up, not ${JSON.stringify(value)}`, {
      setting: option,
    });
  }
  return number;
}

/** A JSON object (`{...}`), or InputError naming `option`. */
export function jsonObject(text: string, option: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError(`not JSON: ${(error as Error).message}`, { setting: option });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError('must be a JSON object, e.g. {"images":"win2022=ami-0123456789abcdef0"}', {
      setting: option,
    });
  }
  return parsed as Record<string, unknown>;
}

/** `name=value` pairs as EC2 filters; a name given twice collects its values. */
export function filters(pairs: readonly string[], option = '--filter'): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0 || at === pair.length - 1) {
      throw new InputError(`${JSON.stringify(pair)} is not name=value (e.g. name=Windows_Server-2022-*)`, {
        setting: option,
      });
    }
    const name = pair.slice(0, at);
    result[name] = [...(result[name] ?? []), pair.slice(at + 1)];
  }
  return result;
}

/**
 * The configuration: the file given with `--config` (which must exist), else `hephestus.yml` when there is
 * one, else none: these commands also work from flags alone.
 */
export async function optionalConfig(file: string | undefined): Promise<HephestusConfig | undefined> {
  if (file !== undefined) return loadConfig(file);
  try {
    await access(DEFAULT_CONFIG_FILE);
  } catch {
    return undefined;
  }
  return loadConfig(DEFAULT_CONFIG_FILE);
}

/** The parsed result `hephestus packer build --out` wrote. */
export async function readArtifacts(file: string, option = '--artifacts'): Promise<PackerResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'artifacts file not found' : `cannot read (${code})`, {
      file,
      setting: option,
    });
  }
  const parsed = jsonObject(text, option) as Partial<PackerResult>;
  if (!Array.isArray(parsed.builds)) {
    throw new InputError('not an artifacts file of `hephestus packer build` (no "builds")', {
      file,
      setting: option,
    });
  }
  return { builds: parsed.builds, errors: Array.isArray(parsed.errors) ? parsed.errors : [] };
}

/** The configured image a Packer build belongs to: by `build` (`amazon-ebs.win2022`), its last part, or name. */
export function imageForBuild(config: HephestusConfig | undefined, build: string) {
  const images = config?.images ?? [];
  return (
    images.find((image) => image.build === build) ??
    images.find((image) => image.build?.split('.').at(-1) === build.split('.').at(-1)) ??
    images.find((image) => image.name === build.split('.').at(-1))
  );
}

/** A progress line per check while waiting: what is awaited and for how long so far. */
export function progressLine(logger: Logger): (progress: WaitProgress) => void {
  return ({ awaiting, elapsedMs, attempt, heartbeat, phase, nextCheckInMs }) => {
    const seconds = (elapsedMs / 1000).toFixed(elapsedMs < 10_000 ? 1 : 0);
    const next = !heartbeat
      ? `check ${attempt}`
      : phase === 'checking'
        ? `check ${attempt} still waiting for an answer`
        : nextCheckInMs === undefined
          ? `${attempt} checks so far, next shortly`
          : `next check in ${Math.ceil(nextCheckInMs / 1000)}s`;
    logger.write(`  waiting for ${awaiting} (${seconds}s elapsed, ${next})\n`);
  };
}

/** The configured image `--image` names, or InputError listing the configured ones. */
export function configuredImage(config: HephestusConfig | undefined, name: string) {
  const image = config?.images.find((i) => i.name === name);
  if (!image) {
    throw new InputError(
      `no image ${JSON.stringify(name)} in the configuration${config ? ` (images: ${config.images.map((i) => i.name).join(', ')})` : ' (none loaded; give --config)'}`,
      { setting: '--image' },
    );
  }
  return image;
}
