/**
 * bump-consumer (a repository that names the images, e.g. a service's `config.edn` and Helm chart): every
 * configured `bump.files` entry is edited with the format-preserving editor to the new AMI, committed on
 * `<prefix><image-set>`, pushed, and proposed through one pull request, with a Slack notice. The new images
 * come from `--images` (the pipeline parameter the promote flow passed), directly from promote, or, with
 * `bump.source: lock`, from the lock file on the images repository's default branch. Wherever they come from,
 * every AMI is checked with EC2 before anything is edited (see update/consumer-bump.ts): a parameter or a lock
 * file is someone's word, and an id that is not a validated image of a trusted account stops the run with exit 1.
 */
import type { PullRequests } from '../github/pull-requests.js';
import { coversImageSet, type ImageAmiMap, parseImageAmis } from '../images/image-set.js';
import { jobLink, oneLine } from '../images/revoke-reason.js';
import { updateOpenedMessage } from '../slack/slack-messages.js';
import { bumpViaApi } from '../update/api-bump.js';
import { bumpInClone } from '../update/clone-bump.js';
import type { CommittedBump, FileBump } from '../update/consumer-bump.js';
import {
  consumerPullRequestBody,
  consumerPullRequestTitle,
  type RollbackNote,
} from '../update/consumer-bump-text.js';
import { proposeUpdate, recordProposal } from '../update/propose-update.js';
import { type FlowContext, type RepositoryName, startReport } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';

export type { FileBump } from '../update/consumer-bump.js';

export interface BumpConsumerReport extends FlowReportBase {
  flow: 'bump-consumer';
  outcome: 'created' | 'updated' | 'unchanged' | 'closed';
  imageSet: string;
  branch: string;
  images: ImageAmiMap;
  files: FileBump[];
  pullRequest?: PullRequestRef;
  diff: string;
}

/** Runs bump-consumer on `--repo` with `--images`, or with the lock file when configured so. */
export async function bumpConsumer(context: FlowContext): Promise<BumpConsumerReport> {
  const given = context.options.images;
  const rollback = rollbackNoteOf(context.options);
  return bumpRepository(context, context.repository(), given ? parseImageAmis(given) : undefined, rollback);
}

/**
 * The rollback revoke asked for (`rollback_reason`, `rollback_url` pipeline parameters): untrusted text, so the
 * reason is put on one line and cut, and a link that is not http(s) is dropped; the rollback itself still goes on.
 */
export function rollbackNoteOf(options: {
  rollbackReason?: string;
  rollbackUrl?: string;
}): RollbackNote | undefined {
  const reason = [...oneLine(options.rollbackReason ?? '')].slice(0, 256).join('');
  return reason ? { reason, url: jobLink(options.rollbackUrl) } : undefined;
}

/** Bumps `repository`'s configured files to `images` (else the lock file's) through its update pull request. */
export async function bumpRepository(
  context: FlowContext,
  repository: RepositoryName,
  given: ImageAmiMap | undefined,
  rollback?: RollbackNote,
): Promise<BumpConsumerReport> {
  const prs = context.pullRequests(repository);
  const committed =
    context.options.via === 'api'
      ? await bumpViaApi(context, repository, given, prs)
      : await bumpInClone(context, repository, given, prs);
  return propose(context, repository, prs, committed, rollback);
}

/** The PR half, the same for both paths: open or update the update PR, and report. */
async function propose(
  context: FlowContext,
  repository: RepositoryName,
  prs: PullRequests,
  { target, plan, openPullRequests, commit }: CommittedBump,
  rollback: RollbackNote | undefined,
): Promise<BumpConsumerReport> {
  const { names, used } = plan;
  const report = startReport<BumpConsumerReport>(context, repository, {
    flow: 'bump-consumer',
    outcome: 'unchanged',
    imageSet: plan.imageSet,
    branch: plan.branch,
    images: used,
    files: plan.bumps,
    diff: commit.diff,
  });
  const proposal = await proposeUpdate(context, target, prs, {
    commit,
    openPullRequests,
    imageSet: plan.imageSet,
    branch: plan.branch,
    title: consumerPullRequestTitle(names, rollback),
    body: consumerPullRequestBody(plan.bumps, used, rollback),
    covers: (other) => coversImageSet(names, other),
    message: (pr) =>
      updateOpenedMessage({
        pr,
        kind: 'consumer',
        images: names.map((image) => ({ image, amis: used[image] ?? {} })),
        validation: names.map((image) => ({
          image,
          status: 'passed' as const,
          detail: 'validated by the images pipeline',
        })),
      }),
  });
  recordProposal(report, proposal);
  return report;
}
