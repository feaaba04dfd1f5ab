/**
 * The sandbox's EC2 for the benchmarks. bump-consumer checks with EC2 that every AMI it writes is a validated
 * image (src/update/consumer-bump.ts `verifyAmis`: one DescribeImages per AMI and region) before it edits
 * anything, so a benchmark that drives the flow needs an EC2 that knows the AMIs it bumps, as a real run has.
 * The check stays in the measured flow: it is part of what a bump costs.
 *
 * In the benchmark's process, unlike the GitHub server (github-server.ts): its state is a few maps and it
 * answers one small DescribeImages per bump, so it neither grows the process nor holds the event loop for long
 * enough to matter next to the git work, and planting an image is then a plain write into its state.
 */
import { SANDBOX_ACCOUNT_ID, SANDBOX_AWS_CREDENTIALS } from '../src/sandbox/aws/aws-auth.js';
import { createEc2Service, type Ec2Service } from '../src/sandbox/aws/ec2.js';
import { listen } from '../src/sandbox/http.js';
import type { Shaping } from '../src/sandbox/shaping.js';

/** The region the seed configuration's `bump.files` entries name. */
export const BENCH_REGION = 'us-east-1';

/**
 * The channel a bumped AMI must have reached: the seed configuration sets no `bump.channel`, so the first of
 * its `channels` (canary, edge, stable).
 */
export const BENCH_CHANNEL = 'canary';

export interface BenchEc2 {
  /** The environment a flow context needs to reach it: endpoint, the sandbox's credentials, region. */
  env: Record<string, string>;
  service: Ec2Service;
  /** Plants `ami` as a validated image of `image` in BENCH_REGION, in BENCH_CHANNEL, owned by our account. */
  plantValidated(ami: string, image?: string): void;
  stop(): Promise<void>;
}

/** Starts the EC2 service on a free loopback port (through `shaping`'s link when given), with no images but the ones planted. */
export async function startBenchEc2(options: { shaping?: Shaping } = {}): Promise<BenchEc2> {
  const service = createEc2Service({
    regions: [BENCH_REGION],
    seedImages: false,
    log: (message) => process.stderr.write(`bench EC2: ${message}\n`),
  });
  const server = await listen(service.router.listener, options.shaping ? { shaping: options.shaping } : {});
  return {
    env: {
      AWS_ENDPOINT_URL_EC2: server.url,
      AWS_ACCESS_KEY_ID: SANDBOX_AWS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SANDBOX_AWS_CREDENTIALS.secretAccessKey,
      AWS_REGION: BENCH_REGION,
    },
    service,
    plantValidated(ami, image = 'win2022') {
      service.state.images.set(ami, {
        imageId: ami,
        region: BENCH_REGION,
        name: `${image}-${ami}`,
        state: 'available',
        ownerId: SANDBOX_ACCOUNT_ID,
        isPublic: false,
        sharedWith: [],
        creationDate: service.clock.now(),
        platform: 'windows',
        platformDetails: 'Windows',
        architecture: 'x86_64',
        rootDeviceName: '/dev/sda1',
        blockDevices: [],
        tags: {
          'hephestus:image': image,
          'hephestus:status': 'validated',
          'hephestus:channel': BENCH_CHANNEL,
        },
      });
    },
    stop: () => server.close(),
  };
}
