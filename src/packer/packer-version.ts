/** The version of the Packer that builds, as `packer version` prints it, for the lock file and AMI tags. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { packerEnvironment } from './packer-environment.js';

const run = promisify(execFile);

/** `packer version`'s first line (`Packer v1.6.6`), or undefined when Packer cannot say. */
export async function packerVersion(env: NodeJS.ProcessEnv, bin = 'packer'): Promise<string | undefined> {
  try {
    const { stdout } = await run(bin, ['version'], { env: packerEnvironment({ ...process.env, ...env }) });
    return stdout.split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}
