import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchEc2, startBenchEc2 } from '../../bench/ec2-sandbox.js';
import type { HephestusConfig } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { FlowContext } from '../../src/flows/flow-context.js';
import { Logger } from '../../src/log/logger.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';
import { type PlannedBump, verifyAmis } from '../../src/update/consumer-bump.js';

// The benchmarks' flows bump the seed service repository; its configuration decides the channel and owners
// an AMI is checked against, so the planted images are checked with it, through the product's own check.
describe('the benchmarks EC2', () => {
  let ec2: BenchEc2;
  let config: HephestusConfig;
  let context: FlowContext;
  beforeAll(async () => {
    ec2 = await startBenchEc2();
    config = await loadConfig(path.join(seedDirs.serviceRepo, 'hephestus.yml'));
    context = new FlowContext({ options: {}, env: { ...ec2.env }, logger: new Logger({ level: 'error' }) });
  });
  afterAll(async () => {
    await context.dispose();
    await ec2.stop();
  });

  const bump = (after: string): PlannedBump => ({
    index: 0,
    file: 'resources/config.edn',
    path: '[:vm-manager :images "aws" "windows-server-2022"]',
    image: 'win2022',
    before: 'ami-0000000000000000a',
    after,
  });

  it('answers the flow that a planted AMI is a validated image in the configured channel', async () => {
    ec2.plantValidated('ami-0aaaaaaaaaaaaaaa1');
    await expect(verifyAmis(context, config, [bump('ami-0aaaaaaaaaaaaaaa1')])).resolves.toBeUndefined();
    expect(ec2.service.count('DescribeImages')).toBeGreaterThan(0);
  });

  it('refuses an AMI nobody planted, so the check is really made', async () => {
    await expect(verifyAmis(context, config, [bump('ami-0bbbbbbbbbbbbbbb2')])).rejects.toThrow(
      /ami-0bbbbbbbbbbbbbbb2 \(win2022, us-east-1\) does not exist/,
    );
  });
});
