/** `hephestus sandbox up`: the sandbox in the foreground, until interrupted. */
import type { CommandContext } from '../cli/run-command.js';
import { InputError } from '../errors.js';
import { parseShapingNumber, type Shaping } from './shaping.js';
import { IMAGES_REPO, SERVICE_REPO, startSandbox } from './start-sandbox.js';

export interface SandboxUpOptions {
  dir?: string;
  awsTimeScale?: string;
  latencyMs?: string;
  bandwidthMbps?: string;
}

/** The link `--latency-ms` and `--bandwidth-mbps` ask for. */
export function shapingOption(options: Pick<SandboxUpOptions, 'latencyMs' | 'bandwidthMbps'>): Shaping {
  const latencyMs = parseShapingNumber(options.latencyMs, 0);
  const bandwidthMbps = parseShapingNumber(options.bandwidthMbps, 0);
  if (latencyMs === undefined)
    throw new InputError(`expected milliseconds (0 or more), got ${JSON.stringify(options.latencyMs)}`, {
      setting: '--latency-ms',
    });
  if (bandwidthMbps === undefined)
    throw new InputError(
      `expected megabits per second (0 or more), got ${JSON.stringify(options.bandwidthMbps)}`,
      {
        setting: '--bandwidth-mbps',
      },
    );
  return { latencyMs, bandwidthMbps };
}

/** Starts the sandbox, prints its endpoints and environment, and waits for SIGINT or SIGTERM. */
export async function sandboxUpCommand(
  options: SandboxUpOptions,
  { logger, json }: CommandContext,
): Promise<void> {
  const scale = Number(options.awsTimeScale ?? '0');
  if (options.awsTimeScale?.trim() === '' || !Number.isFinite(scale) || scale < 0) {
    throw new InputError(`expected a number of 0 or more, got ${JSON.stringify(options.awsTimeScale)}`, {
      setting: '--aws-time-scale',
    });
  }
  const shaping = shapingOption(options);
  const sandbox = await startSandbox({
    ...(options.dir ? { dir: options.dir } : {}),
    ec2: { scale },
    shaping,
  });
  const repositories = Object.fromEntries(
    [IMAGES_REPO, SERVICE_REPO].map((name) => [name, sandbox.cloneUrl(name)]),
  );
  if (json) {
    // The sandbox's own dummy tokens are printed on purpose: they are what a person exports to use it.
    process.stdout.write(
      `${JSON.stringify({ dir: sandbox.dir, urls: sandbox.urls, shaping, repositories, env: sandbox.env }, null, 2)}\n`,
    );
  } else {
    const exports = Object.entries(sandbox.env).map(([key, value]) => `export ${key}='${value}'`);
    const basic = Buffer.from(`x-access-token:${sandbox.tokens.github}`).toString('base64');
    process.stdout.write(
      [
        `Sandbox is up (state in ${sandbox.dir}). Endpoints:`,
        ...(shaping.latencyMs > 0 || shaping.bandwidthMbps
          ? [
              `  (shaped: ${shaping.latencyMs} ms round trip, ${shaping.bandwidthMbps ? `${shaping.bandwidthMbps} Mbit/s per connection` : 'unlimited bandwidth'})`,
            ]
          : []),
        ...Object.entries(sandbox.urls).map(([name, url]) => `  ${name.padEnd(9)} ${url}`),
        '',
        'Point hephestus, the AWS SDK, curl or Packer at it:',
        ...exports,
        '',
        'Clone a repository (the token travels in a header, never in the URL):',
        ...Object.values(repositories).map(
          (url) => `  git -c http.extraHeader='Authorization: Basic ${basic}' clone ${url}`,
        ),
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  }
  logger.debug('sandbox running');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.stop();
}
