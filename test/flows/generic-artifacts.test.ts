/** Artifacts of other builders (docker here) pass through as generic artifacts: builder id and id, no AMI steps. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { genericArtifactsOf } from '../../src/images/packer-outcome.js';
import { emptyLock, parseLockFile, renderLockFile, withEntries } from '../../src/lock/lock-file.js';
import { parsePackerLogFile } from '../../src/packer/parse-log.js';

const log = fileURLToPath(new URL('../fixtures/packer/interleaved-json-template.log', import.meta.url));

const config = parseConfig(
  `version: 1
images:
  - name: servercore
    template: packer/servercore.json
    build: docker
    regions: [us-east-1]
  - name: win2022
    template: packer/servercore.json
    build: win2022
    regions: [us-east-1, us-west-2]
`,
  'hephestus.yml',
);

describe('a docker build in the same Packer run as an AMI build', () => {
  it('is a generic artifact with its builder id and id; the AMI build is not', async () => {
    const result = await parsePackerLogFile(log);
    const [servercore, win2022] = config.images;
    expect(genericArtifactsOf(result, servercore as (typeof config.images)[0], false)).toEqual([
      {
        builder_id: 'packer.docker',
        id: 'sha256:8f2c3d4e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d',
      },
      // The checksum post-processor's artifact has no id; it is kept as Packer reported it.
      { builder_id: 'packer.post-processor.checksum', id: '' },
    ]);
    expect(genericArtifactsOf(result, win2022 as (typeof config.images)[0], false)).toBeUndefined();
  });

  it('round-trips through the lock file', async () => {
    const result = await parsePackerLogFile(log);
    const artifacts = genericArtifactsOf(result, config.images[0] as (typeof config.images)[0], false) ?? [];
    const lock = withEntries(emptyLock(), {
      servercore: {
        amis: {},
        artifacts,
        input_hash: 'sha256:0123456789abcdef',
        source_commit: '0123456789abcdef0123456789abcdef01234567',
        packer_version: '1.6.6',
      },
    });
    const text = renderLockFile(lock);
    const entry = parseLockFile(text, 'images.lock.json').images.servercore;
    expect(entry?.artifacts).toEqual(artifacts);
    expect(entry?.amis).toEqual({});
  });
});
