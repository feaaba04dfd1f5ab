/** What every flow reports: which flow, what came of it, and the exit code the command ends with. */
import { ExitCode } from '../errors.js';
import type { ChannelOutcome } from '../slack/slack-notifier.js';
import type { FlowContext, RepositoryName } from './flow-context.js';

export const FLOW_NAMES = [
  'open-update',
  'build-validate',
  'promote',
  'bump-consumer',
  'announce',
  'monitor',
  'check-lock',
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

/** What a flow's report starts with besides its own fields: where it ran, an exit code of 0, nothing done yet. */
type StartedFields = 'repository' | 'dryRun' | 'exitCode' | 'summary' | 'slack';

/** A flow's report before its first step: `fields` (its name, first outcome and own fields) and the shared ones. */
export function startReport<Report extends FlowReportBase>(
  context: Pick<FlowContext, 'dryRun'>,
  repository: RepositoryName,
  fields: Omit<Report, StartedFields>,
): Report {
  const started: Pick<FlowReportBase, StartedFields> = {
    repository: repository.fullName,
    dryRun: context.dryRun,
    exitCode: ExitCode.ok,
    summary: [],
    slack: [],
  };
  // Omit<Report, K> & Pick<Report, K> is a Report, which TypeScript cannot see through a type parameter.
  return { ...fields, ...started } as unknown as Report;
}
