/**
 * The pull-request half of an update, shared by open-update and bump-consumer: after the branch step, open or
 * update the one update PR (or say what a dry run would do), and announce an opened update once in Slack.
 */
import { ExitCode } from '../errors.js';
import type { FlowContext } from '../flows/flow-context.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { PullRequest } from '../github/schema.js';
import {
  type Outcome,
  type PullRequestLink,
  type UpdateRequest,
  updateBranchName,
  updatePullRequest,
} from '../github/update-pull-request.js';
import type { PullRequestInfo, SlackMessage } from '../slack/slack-messages.js';
import type { ChannelOutcome } from '../slack/slack-notifier.js';
import type { Checkout } from './checkout.js';
import {
  notify,
  pullRequestInfo,
  pullRequestMemory,
  slackFailed,
  willNotify,
  withMarkersOf,
} from './notices.js';
import type { UpdateCommit } from './update-branch.js';

export interface ProposalInput {
  commit: UpdateCommit;
  /** The open PRs into the default branch, listed before the branch step (one list serves both). */
  openPullRequests: readonly PullRequest[];
  imageSet: string;
  branch: string;
  title: string;
  body: string;
  /** The "update opened" notice for the PR. */
  message: (pr: PullRequestInfo) => SlackMessage;
  /** Smaller image sets this update covers, whose update PRs it supersedes (see UpdateRequest.covers). */
  covers?: (imageSet: string) => boolean;
}

export interface Proposal {
  outcome: Outcome;
  pullRequest?: PullRequestLink;
  summary: string[];
  slack: ChannelOutcome[];
  exitCode: ExitCode;
}

/** Opens, updates or closes the update PR of `input.branch`, and posts its notice once. */
export async function proposeUpdate(
  context: FlowContext,
  checkout: Pick<Checkout, 'config' | 'author'>,
  prs: PullRequests,
  input: ProposalInput,
): Promise<Proposal> {
  const existing = input.openPullRequests.find((pr) => prs.isOwnBranch(pr, input.branch));
  const { step } = input.commit;
  if (context.dryRun) {
    let outcome: Outcome = !existing ? 'created' : step.status === 'pushed' ? 'updated' : 'unchanged';
    if (step.status === 'no-diff') outcome = existing ? 'closed' : 'unchanged';
    context.wouldDo(`${outcome === 'created' ? 'open' : 'update'} the pull request from ${input.branch}`);
    return {
      outcome,
      summary: [`dry run: the pull request would be ${outcome}`],
      slack: [],
      exitCode: ExitCode.ok,
    };
  }

  const request: UpdateRequest = {
    imageSet: input.imageSet,
    branch: input.branch,
    base: checkout.config.git.default_branch,
    openPullRequests: input.openPullRequests,
    title: input.title,
    body: input.body,
    // The Slack markers of the PR as it is when written, not as this run first saw it (another run may post meanwhile).
    keepFromBody: withMarkersOf,
    labels: checkout.config.github.labels,
    reviewers: checkout.config.github.reviewers,
    author: checkout.author ?? { name: '', email: '' },
    ...(input.covers
      ? {
          covers: input.covers,
          branchOf: (imageSet: string) => updateBranchName(imageSet, checkout.config.git.branch_prefix),
        }
      : {}),
  };
  const result = await updatePullRequest(prs, step, request);
  const proposal: Proposal = {
    outcome: result.outcome,
    ...(result.pullRequest ? { pullRequest: result.pullRequest } : {}),
    summary: [
      ...(result.changes.length ? result.changes : [`pull request ${result.outcome}`]),
      ...result.notes,
    ],
    slack: [],
    exitCode: ExitCode.ok,
  };
  if (result.outcome === 'closed' || !result.pullRequest) return proposal;
  if (!existing && result.outcome !== 'created') {
    // Another run opened the PR while this one ran (GitHub's 422, or the list after our push found it): the
    // opening is that run's event to announce, and two runs posting at once would announce it twice.
    proposal.summary.push(`#${result.pullRequest.number} was opened by a concurrent run, which announces it`);
    return proposal;
  }
  // The notice needs the PR as it is now (its body holds the message memory); read it only if a notice goes out.
  if (!willNotify(context, checkout.config, 'update_opened')) return proposal;
  const pr =
    existing?.number === result.pullRequest.number && result.outcome === 'unchanged'
      ? existing
      : await prs.findOpen(input.branch);
  if (!pr) return proposal;
  proposal.slack = await notify(
    context,
    checkout.config,
    'update_opened',
    input.message(pullRequestInfo(prs.fullName, pr)),
    // Unchanged, the update stands where later flows put it (validated, say): its message is left as they edited it.
    {
      memory: await pullRequestMemory(prs, pr),
      threadUnder: null,
      keepExisting: result.outcome === 'unchanged',
      // Two runs at once may both find no marker yet and both post: the later copy removes itself.
      once: { event: 'update_opened', repository: prs.fullName, pullRequest: pr.number },
    },
  );
  if (slackFailed(checkout.config, proposal.slack)) proposal.exitCode = ExitCode.failure;
  return proposal;
}

/** Records a proposal in a flow's report: outcome, PR, Slack outcomes, summary lines and a failing exit code. */
export function recordProposal(
  report: {
    outcome: string;
    pullRequest?: PullRequestLink;
    slack: ChannelOutcome[];
    summary: string[];
    exitCode: ExitCode;
  },
  proposal: Proposal,
): void {
  report.outcome = proposal.outcome;
  if (proposal.pullRequest) report.pullRequest = proposal.pullRequest;
  report.slack = proposal.slack;
  report.summary.push(...proposal.summary);
  if (proposal.exitCode !== ExitCode.ok) report.exitCode = proposal.exitCode;
}
