/** The region list kept in code against the AWS SDK's own partitions, so a region AWS adds is noticed here. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWS_REGIONS, isAwsRegion } from '../../src/aws/regions.js';

/** The region names of every partition in the SDK's partitions data (the aws-global pseudo-regions left out). */
async function sdkRegions(): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const ec2 = dirname(require.resolve('@aws-sdk/client-ec2/package.json'));
  const core = dirname(createRequire(join(ec2, 'package.json')).resolve('@aws-sdk/core/package.json'));
  const text = await readFile(
    join(core, 'dist-es', 'submodules', 'client', 'util-endpoints', 'lib', 'aws', 'partitions.js'),
    'utf8',
  );
  return [...text.matchAll(/"([a-z]+(?:-[a-z]+)+-\d+)":\s*\{/g)].map((m) => m[1] as string);
}

describe('AWS_REGIONS', () => {
  it('holds every region the AWS SDK knows', async () => {
    const known = await sdkRegions();
    expect(known.length).toBeGreaterThan(30);
    expect(known.filter((region) => !isAwsRegion(region))).toEqual([]);
  });

  it('holds only regions the AWS SDK knows, each once', async () => {
    const known = new Set(await sdkRegions());
    expect(AWS_REGIONS.filter((region) => !known.has(region))).toEqual([]);
    expect(new Set(AWS_REGIONS).size).toBe(AWS_REGIONS.length);
  });

  it('refuses names that only look like regions', () => {
    expect(['eu-west-4', 'us-east-3', 'US-EAST-1', 'us-east-1 ', ''].filter(isAwsRegion)).toEqual([]);
  });
});
