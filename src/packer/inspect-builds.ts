/**
 * How many builds a template makes, from `packer inspect` (Packer 1.6.6 inspects HCL2 and JSON templates without
 * building anything). build-validate asks before a build when an image names no `build:`: Packer would run every
 * source, and the AMIs of all but one would belong to no image.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FailureError } from '../errors.js';
import { packerEnvironment } from './packer-environment.js';

const run = promisify(execFile);

/** The builds (`type.name`, or the builder for JSON templates) `template` defines. */
export async function inspectBuilds(options: {
  template: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** `packer.pass_env`: further names Packer may see. */
  passEnv?: readonly string[];
  packerBin?: string;
}): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(options.packerBin ?? 'packer', ['inspect', options.template], {
      cwd: options.cwd,
      // inspect prints variables' values, `env()` defaults included: the same allowlist as a build.
      env: packerEnvironment({ ...process.env, ...options.env }, options.passEnv),
      maxBuffer: 4 * 1024 * 1024,
    }));
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new FailureError(`packer inspect ${options.template} failed: ${stderr.split('\n')[0] ?? ''}`);
  }
  return parseInspect(stdout);
}

/** The builds listed by `packer inspect`'s human output: HCL2 `sources:` lists, or JSON `Builders:`. */
export function parseInspect(output: string): string[] {
  const builds: string[] = [];
  let inList = false;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line === 'sources:' || line === 'Builders:') {
      inList = true;
      continue;
    }
    if (
      /^(provisioners|post-processors|Provisioners|Post-processors|Note):?/.test(line) ||
      line.startsWith('>')
    )
      inList = false;
    else if (inList && line !== '<No builders>') builds.push(line.replace(/\s+\(.*\)$/, ''));
  }
  return builds;
}
