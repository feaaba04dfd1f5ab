/**
 * How build-validate tells the branch's pull request its result: one comment, edited in place, and the Slack
 * notice (`ready_to_merge` or `failed`). A branch without an open pull request gets neither.
 */
import { ExitCode } from '../errors.js';
import type { FlowContext } from '../flows/flow-context.js';
import type { PullRequestRef } from '../flows/flow-report.js';
import { BUILD_COMMENT_KEY } from '../lock/build-record.js';
import {
  failedMessage,
  type PullRequestInfo,
  readyToMergeMessage,
  type SlackEvent,
  type SlackMessage,
} from '../slack/slack-messages.js';
import type { ChannelOutcome } from '../slack/slack-notifier.js';
import type { Checkout } from '../update/checkout.js';
import { notify, pullRequestInfo, pullRequestMemory, slackFailed } from '../update/notices.js';
import { type BuildOutcome, buildComment } from './build-comment.js';
import { type ImageBuildReport, NOT_AN_AMI } from './image-build.js';

/** The parts of a flow's report this step reads and fills in. */
export interface ReportedBuild extends BuildOutcome {
  pullRequest?: PullRequestRef;
  summary: string[];
  slack: ChannelOutcome[];
  exitCode: ExitCode;
}

/** Comments on the branch's open pull request and posts the Slack notice of the result. */
export async function reportOnPullRequest(
  context: FlowContext,
  checkout: Checkout,
  report: ReportedBuild,
): Promise<void> {
  const prs = context.pullRequests(checkout.repository);
  const pr = await prs.findOpen(report.branch);
  if (!pr) {
    context.logger.warn(`no open pull request from ${report.branch}: no comment and no Slack notice`);
    return;
  }
  report.pullRequest = { number: pr.number, url: pr.url };
  const comment = await prs.upsertComment(pr.number, BUILD_COMMENT_KEY, buildComment(report));
  report.summary.push(`comment ${comment.action} on #${pr.number}`);
  const notice = buildNotice(
    report,
    pullRequestInfo(checkout.repository.fullName, pr),
    context.env.CIRCLE_BUILD_URL,
  );
  const memory = await pullRequestMemory(prs, pr);
  report.slack = await notify(context, checkout.config, notice.event, notice.message, { memory });
  if (slackFailed(checkout.config, report.slack)) report.exitCode = ExitCode.failure;
}

/** The Slack notice of a result: ready to merge when every image validated, else which failed and why. Pure. */
export function buildNotice(
  build: BuildOutcome,
  pr: PullRequestInfo,
  jobUrl: string | undefined,
): { event: SlackEvent; message: SlackMessage } {
  const images = build.images.map((i) => ({ image: i.image, amis: i.amis }));
  if (build.outcome === 'validated') {
    const validation = build.images.map((i) =>
      i.artifacts
        ? { image: i.image, status: 'skipped' as const, detail: NOT_AN_AMI }
        : {
            image: i.image,
            status: 'passed' as const,
            ...(i.validation
              ? { tests: { total: i.validation.tests.length, failed: 0 } }
              : { detail: 'inputs unchanged; validated earlier' }),
          },
    );
    return { event: 'ready_to_merge', message: readyToMergeMessage({ pr, images, validation }) };
  }
  const failed = build.images.filter((i) => i.status === 'failed');
  const message = failedMessage({
    step: 'build-validate',
    image: failed.map((i) => i.image).join(', '),
    pr,
    jobUrl,
    log: failed.map(failureLog).join('\n'),
  });
  return { event: 'failed', message };
}

/** An image's failure for the Slack notice, with the title of each patch the gate found not installed. */
function failureLog(image: ImageBuildReport): string {
  const patches = (image.validation?.missingPatches ?? []).map((p) => `  ${p.kbId}: ${p.title}`);
  return [`${image.image}: ${image.failure ?? 'failed'}`, ...patches].join('\n');
}
