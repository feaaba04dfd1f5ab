import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchGitHub, startBenchGitHub } from '../../bench/github-sandbox.js';
import { describe as describeCall } from '../../bench/latency.js';
import { imagesRepoFixture } from '../../bench/open-update-scale.js';
import { shellFloorWithPullRequest } from '../../bench/shell-floor.js';
import { loadConfig } from '../../src/config/load-config.js';
import { criticalPath } from '../../src/sandbox/critical-path.js';
import type { RecordedCall } from '../../src/sandbox/http.js';

describe('the open-update scale fixture', () => {
  it('configures 20 images in 4 regions, each pinned in the pins file to an older base AMI', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'bench-fixture-'));
    try {
      await imagesRepoFixture({ images: 20, regions: 4 }, path.join(dir, 'repo'));
      const config = await loadConfig(path.join(dir, 'repo', 'hephestus.yml'));
      expect(config.images).toHaveLength(20);
      expect(config.images.every((image) => image.regions.length === 4)).toBe(true);
      const pins = await readFile(path.join(dir, 'repo', 'packer/windows.auto.pkrvars.hcl'), 'utf8');
      expect(pins.trim().split('\n')).toHaveLength(20);
      expect(pins).toContain('img20_source_ami = "ami-055ad27ab5d1141d8"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the shell floor with its pull request, through a shaped bench GitHub', () => {
  let github: BenchGitHub;
  beforeAll(async () => {
    github = await startBenchGitHub();
  });
  afterAll(async () => {
    await github.stop();
  });

  it('opens and labels its pull request, every request one after the other', async () => {
    await github.seed('acme/floor-check');
    const shaped = await github.shaped({ latencyMs: 20 });
    const recording = await shaped.record();
    await shellFloorWithPullRequest(
      { api: shaped.url, url: shaped.cloneUrl('acme/floor-check'), fullName: 'acme/floor-check' },
      path.join(github.tmp, 'floor-check'),
      'windows-update/win2022',
      'ami-0123456789abcdef0',
      'create',
    );
    const calls = await recording.done();
    const { data } = await shaped.client().octokit.rest.pulls.list({ owner: 'acme', repo: 'floor-check' });
    expect(data.map((pull) => [pull.head.ref, pull.labels.map((label) => label.name)])).toEqual([
      ['windows-update/win2022', ['windows-update', 'automated']],
    ]);
    expect(criticalPath(calls).chain.map(describeCall)).toEqual([
      'git GET info/refs',
      'git POST git-upload-pack',
      'git POST git-upload-pack',
      'git GET info/refs',
      'git POST git-receive-pack',
      'POST /repos/:owner/:repo/pulls',
      'POST /repos/:owner/:repo/issues/:number/labels',
    ]);
  });
});

describe('describing a recorded call', () => {
  const call = (fields: Partial<RecordedCall>): RecordedCall => ({
    service: 'github',
    method: 'GET',
    route: '/',
    path: '/',
    status: 200,
    at: 0,
    start: 0,
    end: 1,
    ...fields,
  });

  it('names git requests by their endpoint, REST by route, other services by name', () => {
    expect(describeCall(call({ path: '/acme/x.git/info/refs', route: '/:owner/:repo/info/refs' }))).toBe(
      'git GET info/refs',
    );
    expect(describeCall(call({ route: '/repos/:owner/:repo/pulls' }))).toBe('GET /repos/:owner/:repo/pulls');
    expect(describeCall(call({ service: 'ec2', method: 'POST', route: '/' }))).toBe('ec2 POST /');
  });
});
