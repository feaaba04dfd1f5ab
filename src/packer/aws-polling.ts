/**
 * Packer's AWS waits. Packer's own default (40 polls 15 s apart, 10 minutes) gives up on a Windows AMI or a
 * region copy, which take 20-40 minutes; these defaults wait an hour. They reach Packer as the environment
 * variables its amazon builders read for every waiter (Packer 1.6.6 and the amazon plugin alike), so they
 * apply to any template; a template's own `aws_polling` block still wins over them.
 */
import type { PackerConfig } from '../config/config-schema.js';

/** Sized for Windows: AMI creation and region copies of 20-40 minutes, with room to spare. */
export const WINDOWS_AWS_POLLING = { delay_seconds: 30, max_attempts: 120 } as const;

export interface AwsPolling {
  delaySeconds: number;
  maxAttempts: number;
}

/**
 * The waits Packer gets: hephestus.yml's `packer.aws_polling` first, then Packer's own variables when the
 * job's environment sets them, then the Windows-sized defaults. Whatever the endpoint.
 */
export function awsPolling(
  config: Pick<PackerConfig, 'aws_polling'> | undefined,
  env: NodeJS.ProcessEnv,
): AwsPolling {
  return {
    delaySeconds:
      config?.aws_polling?.delay_seconds ??
      positiveInteger(env.AWS_POLL_DELAY_SECONDS) ??
      WINDOWS_AWS_POLLING.delay_seconds,
    maxAttempts:
      config?.aws_polling?.max_attempts ??
      positiveInteger(env.AWS_MAX_ATTEMPTS) ??
      WINDOWS_AWS_POLLING.max_attempts,
  };
}

/** The environment variables that carry `polling` to Packer's amazon builders. */
export function awsPollingEnv(polling: AwsPolling): Record<string, string> {
  return {
    AWS_POLL_DELAY_SECONDS: String(polling.delaySeconds),
    AWS_MAX_ATTEMPTS: String(polling.maxAttempts),
  };
}

function positiveInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}
