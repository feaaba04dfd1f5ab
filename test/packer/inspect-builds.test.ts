/** `packer inspect` (real Packer 1.6.6) names a template's builds, HCL2 and JSON alike. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectBuilds } from '../../src/packer/inspect-builds.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inspect-builds-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('inspectBuilds', () => {
  it('lists every source of the seed template (two builds in one build block)', async () => {
    const builds = await inspectBuilds({
      template: join(seedDirs.imagesRepo, 'packer/windows.pkr.hcl'),
      cwd: seedDirs.imagesRepo,
    });
    expect(builds).toEqual(['amazon-ebs.win2022', 'amazon-ebs.win2019']);
  });

  it('lists the builders of a JSON template, named or not', async () => {
    const file = join(dir, 'two.json');
    await writeFile(
      file,
      JSON.stringify({
        builders: [
          { type: 'null', name: 'first', communicator: 'none' },
          { type: 'null', communicator: 'none' },
        ],
      }),
    );
    expect(await inspectBuilds({ template: file })).toEqual(['first', 'null']);
  });

  it('fails naming the template when Packer cannot read it', async () => {
    const file = join(dir, 'broken.pkr.hcl');
    await writeFile(file, 'source "null" {\n');
    await expect(inspectBuilds({ template: file })).rejects.toThrow(
      /packer inspect .*broken\.pkr\.hcl failed/,
    );
  });
});
