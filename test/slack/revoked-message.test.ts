import { describe, expect, it } from 'vitest';
import { renderBlocks, validateBlocks } from '../../src/sandbox/slack/slack-blocks.js';
import { type RevokedInput, revokedMessage } from '../../src/slack/revoked-message.js';

const input: RevokedInput = {
  repository: 'acme/windows-images',
  image: 'win2022',
  reason: 'KB5034441 breaks RDP logins <!channel> & more',
  retired: 'disabled',
  amis: [
    {
      region: 'us-west-2',
      imageId: 'ami-0b00000000000e002',
      channel: 'edge',
      replacement: 'ami-0a00000000000e002',
    },
    { region: 'us-east-1', imageId: 'ami-0b00000000000e001', channel: 'edge' },
    { region: 'eu-west-1', imageId: 'ami-0b00000000000e003' },
  ],
  consumers: [
    { repository: 'acme/vm-manager' },
    { repository: 'acme/batch', url: 'https://github.com/acme/batch/pull/7' },
  ],
  by: 'dana',
  jobUrl: 'https://circleci.com/gh/acme/windows-images/42',
  lockPullRequest: { number: 12, url: 'https://github.com/acme/windows-images/pull/12' },
};

describe("revoke's incident notice", () => {
  it('says what was revoked, why, what each channel holds again, who was rolled back and who did it', () => {
    const message = revokedMessage(input);
    expect(validateBlocks(message.blocks)).toEqual([]);
    expect(message.text).toMatchInlineSnapshot(
      `"Revoked win2022 (ami-0b00000000000e002, ami-0b00000000000e001, ami-0b00000000000e003): KB5034441 breaks RDP logins &lt;!channel&gt; &amp; more"`,
    );
    expect(renderBlocks(message.blocks)).toMatchSnapshot();
  });

  it('says so when no consumer was rolled back', () => {
    const message = revokedMessage({
      ...input,
      consumers: [],
      jobUrl: undefined,
      lockPullRequest: undefined,
    });
    expect(validateBlocks(message.blocks)).toEqual([]);
    expect(renderBlocks(message.blocks)).toContain(
      '_none: no consumer is configured, or no earlier image to go back to_',
    );
  });
});
