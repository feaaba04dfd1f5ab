/**
 * `packer init`: installs the plugins a template's `required_plugins` names. Packer 1.7 introduced it, and
 * since 1.10 the amazon builders are a plugin, so a current template needs it before `packer build`. A
 * Packer older than 1.7 cannot read `required_plugins` at all: that is bad input (exit 2), said plainly.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FailureError, InputError } from '../errors.js';
import { packerEnvironment } from './packer-environment.js';
import type { SourcePosition } from './template-facts.js';

const run = promisify(execFile);

/** How long `packer init` may take. */
const INIT_TIMEOUT_MS = 10 * 60_000;

/** The first Packer release with `packer init` and `required_plugins`. */
export const INIT_SINCE: readonly [number, number] = [1, 7];

/** `[major, minor, patch]` of `packer version`'s first line (`Packer v1.14.3`), or undefined. */
export function parsePackerVersion(line: string | undefined): [number, number, number] | undefined {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(line ?? '');
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** True when `version` (as `packer version` prints it) has `packer init`; unknown versions are given the chance. */
export function supportsInit(version: string | undefined): boolean {
  const parsed = parsePackerVersion(version);
  if (!parsed) return true;
  const [major, minor] = parsed;
  return major > INIT_SINCE[0] || (major === INIT_SINCE[0] && minor >= INIT_SINCE[1]);
}

export interface PackerInitOptions {
  /** Where the template declares `required_plugins`; undefined when it declares none (nothing to do). */
  requiredPlugins: SourcePosition | undefined;
  /** `packer version`'s first line, or undefined when Packer could not say. */
  version: string | undefined;
  /** The template path passed to `packer init`. */
  template: string;
  /** The setting that names the template, for messages (`images.win2022.template`). */
  setting: string;
  packerBin?: string;
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** `packer.pass_env`: further names Packer may see. */
  passEnv?: readonly string[];
  redact: (text: string) => string;
}

/** Runs `packer init` when the template needs it; `initialized` or `not-needed`. Exit 2 when Packer is too old. */
export async function packerInit(options: PackerInitOptions): Promise<'initialized' | 'not-needed'> {
  const at = options.requiredPlugins;
  if (!at) return 'not-needed';
  if (!supportsInit(options.version)) {
    throw new InputError(
      `the template declares required_plugins, which needs \`packer init\` from Packer >= ${INIT_SINCE.join('.')}; ` +
        `this is ${options.version}: install a current Packer (the orb's install_packer command) or remove the ` +
        'packer { required_plugins } block',
      { ...at, setting: options.setting },
    );
  }
  const bin = options.packerBin ?? 'packer';
  try {
    await run(bin, ['init', options.template], {
      cwd: options.cwd,
      // init reads the branch's template: the same allowlist as a build (it sets CHECKPOINT_DISABLE too).
      env: packerEnvironment({ ...process.env, ...options.env }, options.passEnv),
      maxBuffer: 16 * 1024 * 1024,
      // Plugin downloads take seconds; a registry that stops answering must not hold the job until CircleCI's limit.
      timeout: INIT_TIMEOUT_MS,
    });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
    if (failure.code === 'ENOENT')
      throw new InputError(`packer not found: ${bin} (install Packer or set its path)`, {
        setting: 'packer',
      });
    const output = options.redact(`${failure.stderr ?? ''}${failure.stdout ?? ''}`).trim();
    throw new FailureError(
      `packer init failed: ${output.split('\n').slice(-5).join(' | ') || options.redact(failure.message)}`,
      {
        ...at,
        setting: options.setting,
      },
    );
  }
  return 'initialized';
}
