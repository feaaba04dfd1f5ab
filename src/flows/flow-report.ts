/** What every flow reports: which flow, what came of it, and the exit code the command ends with. */
import type { ExitCode } from '../errors.js';
import type { ChannelOutcome } from '../slack/slack-notifier.js';

export const FLOW_NAMES = [
  'open-update',
  'build-validate',
  'promote',
  'bump-consumer',
  'announce',
  'monitor',
  'check-lock',
  'revoke',
] as const;
export type FlowName = (typeof FLOW_NAMES)[number];

export interface PullRequestRef {
  number: number;
  url: string;
}

export interface FlowReportBase {
  flow: FlowName;
  outcome: string;
  /** `owner/name` the flow ran on. */
  repository: string;
  dryRun: boolean;
  exitCode: ExitCode;
  /** One line per thing done (or, in a dry run, that would have been done). */
  summary: string[];
  /** Slack outcomes per channel of every notice sent. */
  slack: ChannelOutcome[];
}
