import { describe, expect, it } from 'vitest';
import { renderBlocks, validateBlocks } from '../../src/sandbox/slack/slack-blocks.js';
import type { ImageAmis, PullRequestInfo } from '../../src/slack/slack-messages.js';
import { UPDATE_STATES, updateStatusMessage } from '../../src/slack/update-status-message.js';

const pr: PullRequestInfo = {
  repository: 'acme/windows-images',
  number: 42,
  url: 'https://github.com/acme/windows-images/pull/42',
  title: 'Windows image update: win2022, win2019',
};

const built: ImageAmis[] = [
  { image: 'win2022', amis: { 'us-east-1': 'ami-0a1b2c3d4e5f60718', 'us-west-2': 'ami-0f1e2d3c4b5a69788' } },
  { image: 'win2019', amis: { 'us-east-1': 'ami-0aaaabbbbccccdddd' } },
];
const planned: ImageAmis[] = built.map(({ image }) => ({ image, amis: {} }));

describe('the update status message', () => {
  it('shows each state with the way from opened to merged, the current state in bold', () => {
    const rendered = Object.fromEntries(
      UPDATE_STATES.map((state) => {
        const message = updateStatusMessage({
          pr,
          state,
          images: state === 'opened' || state === 'building' ? planned : built,
          ...(state === 'failed'
            ? { detail: 'win2019: 1 of 2 smoke tests failed: features.ps1 <Web-Server> & *IIS*' }
            : {}),
          ...(state === 'merged' ? { detail: 'Promoted to canary.' } : {}),
        });
        expect(validateBlocks(message.blocks)).toEqual([]);
        return [state, `${message.text}\n${renderBlocks(message.blocks, message.text)}`];
      }),
    );
    expect(rendered).toMatchSnapshot();
  });

  it("shows a consumer's update going from opened to rolled out", () => {
    const message = updateStatusMessage({
      pr: {
        ...pr,
        repository: 'acme/vm-manager',
        url: 'https://github.com/acme/vm-manager/pull/7',
        number: 7,
      },
      state: 'rolled-out',
      kind: 'consumer',
      images: built,
      detail: 'Now in edge.',
    });
    expect(message.text).toBe('Windows image update rolled out: win2022, win2019 (acme/vm-manager#7)');
    expect(message.blocks).toMatchSnapshot();
  });

  it('escapes what the branch wrote in the detail, and changes with the state alone', () => {
    const failed = updateStatusMessage({ pr, state: 'failed', images: built, detail: '<!channel> *bold*' });
    expect(JSON.stringify(failed.blocks)).toContain('&lt;!channel&gt;');
    const ready = updateStatusMessage({ pr, state: 'ready', images: built });
    expect(ready.blocks).not.toEqual(updateStatusMessage({ pr, state: 'validating', images: built }).blocks);
  });
});
