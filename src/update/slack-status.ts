/**
 * An update's status as its flows move it on: each step that changes where the update stands edits its top
 * Slack message through here. Nothing is shown for a pull request without one (a person's, or Slack not set up).
 */
import type { HephestusConfig } from '../config/config-schema.js';
import type { FlowContext } from '../flows/flow-context.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { PullRequest } from '../github/schema.js';
import type { MessageMemory } from '../slack/message-memory.js';
import type { ImageAmis, UpdateOpenedInput } from '../slack/slack-messages.js';
import { type UpdateState, updateStatusMessage } from '../slack/update-status-message.js';
import { pullRequestInfo, pullRequestMemory, showUpdateStatus, willNotify } from './notices.js';

export interface UpdateStatus {
  /** Shows `state` with these images (and a line on what happened); sends nothing when that is shown already. */
  show(state: UpdateState, images: ImageAmis[], detail?: string): Promise<void>;
}

/** Does nothing: no pull request, or no top message to edit. */
const NO_STATUS: UpdateStatus = { show: async () => undefined };

/**
 * The status of `pr`'s update. `memory` is the one the flow's other notices use, if it has one: two memories
 * of one PR body would each write back the markers they read, and the second would undo the first.
 */
export async function updateStatusOf(
  context: FlowContext,
  config: HephestusConfig,
  prs: PullRequests,
  /** Looked up only when a status would be shown. */
  pullRequest: () => Promise<PullRequest | undefined>,
  options: { kind?: UpdateOpenedInput['kind']; memory?: MessageMemory } = {},
): Promise<UpdateStatus> {
  if (context.dryRun || !willNotify(context, config, 'update_opened')) return NO_STATUS;
  const pr = await pullRequest();
  if (!pr) return NO_STATUS;
  const memory = options.memory ?? (await pullRequestMemory(prs, pr));
  const info = pullRequestInfo(prs.fullName, pr);
  return {
    show: async (state, images, detail) => {
      const message = updateStatusMessage({ pr: info, state, images, kind: options.kind, detail });
      await showUpdateStatus(context, config, memory, message);
    },
  };
}
