/**
 * open-update (scheduled, or triggered by hand): the newest base AMI of each image against the pin in the
 * images repository; when one is newer (or `--force`), the pins are bumped on `<prefix><image-set>` and the
 * update pull request is opened or updated, with a Slack notice. Nothing newer and no force: no writes at all.
 */

import type { ImageConfig } from '../config/config-schema.js';
import { editFile } from '../edit/edit-file.js';
import { GitData } from '../github/git-data.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { PullRequest } from '../github/schema.js';
import { updateBranchName } from '../github/update-pull-request.js';
import { type BaseAmiCheck, checkBaseAmis } from '../images/base-ami-check.js';
import { coversImageSet, imageSetName } from '../images/image-set.js';
import { selectTrackedImages } from '../images/select-images.js';
import type { PullRequestInfo, SlackMessage } from '../slack/slack-messages.js';
import { updateStatusMessage } from '../slack/update-status-message.js';
import { baseAmiCommitMessage, baseAmiPullRequestBody } from '../update/base-ami-update-text.js';
import { ASSUMED_DEFAULT_BRANCH, type Checkout, checkOut, repoPath } from '../update/checkout.js';
import { proposeUpdate, recordProposal } from '../update/propose-update.js';
import { rebuildMessage, rebuildOf } from '../update/rebuild.js';
import { commitUpdate, reportedHead, type UpdateCommit } from '../update/update-branch.js';
import { type FlowContext, startReport } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';

export type { BaseAmiCheck } from '../images/base-ami-check.js';

export interface OpenUpdateReport extends FlowReportBase {
  flow: 'open-update';
  outcome: 'created' | 'updated' | 'unchanged' | 'closed' | 'nothing-newer';
  imageSet: string;
  branch: string;
  images: BaseAmiCheck[];
  pullRequest?: PullRequestRef;
  /** The update's diff against the default branch. */
  diff: string;
}

/** A pin to move to a newer base AMI. */
type PinBump = { image: ImageConfig; check: BaseAmiCheck };

/** Runs open-update; see the module comment. */
export async function openUpdate(context: FlowContext): Promise<OpenUpdateReport> {
  const repository = context.repository();
  const prs = context.pullRequests(repository);
  // Listed while the clone runs and the base AMIs are looked up, as bump-consumer does (see listOpenPullRequests).
  const listed = listOpenEarly(prs);
  const checkout = await checkOut(context, { repository, commits: true });
  const images = selectTrackedImages(checkout.config, context.options.images);
  const names = images.map((image) => image.name);
  const checks = await checkBaseAmis(context, checkout, images);
  const imageSet = imageSetName(names);
  const branch = updateBranchName(imageSet, checkout.config.git.branch_prefix);
  const report = startReport<OpenUpdateReport>(context, repository, {
    flow: 'open-update',
    outcome: 'nothing-newer',
    imageSet,
    branch,
    images: checks.map(({ check }) => check),
    diff: '',
  });
  const force = context.options.force === true;
  const bumps = checks.filter(({ check }) => isBump(check, force));
  // `--force` with every pin current asks for a rebuild: a commit without changes carries it to the branch.
  const rebuild = force && bumps.length === 0;
  // One list serves both this run's own PR (its body keeps our markers) and the update below.
  const openPullRequests = await listedFor(prs, listed, checkout.config.git.default_branch);
  if (bumps.length === 0 && !force) {
    const leaveAlone = await nothingToWrite(context, checkout, prs, openPullRequests, branch);
    if (leaveAlone) return { ...report, summary: [leaveAlone] };
  }
  const head = reportedHead(openPullRequests, repository, branch);
  const commit = await commitPins(context, checkout, branch, { names, bumps, rebuild, head });
  report.diff = commit.diff;
  const proposal = await proposeUpdate(context, checkout, prs, {
    commit,
    openPullRequests,
    imageSet,
    branch,
    title: `Windows image update: ${names.join(', ')}`,
    covers: (other) => coversImageSet(names, other),
    body: baseAmiPullRequestBody(report.images, rebuild),
    message: (pr) => openedMessage(pr, images, bumps, report.images, rebuild),
  });
  recordProposal(report, proposal);
  return report;
}

type EarlyList = Promise<{ list: PullRequest[] } | { error: unknown }>;

/** The open PRs into the branch a clone assumes is the default one, asked for before the clone says which it is. */
function listOpenEarly(prs: PullRequests): EarlyList {
  return prs.listOpen(ASSUMED_DEFAULT_BRANCH).then(
    (list) => ({ list }),
    (error: unknown) => ({ error }),
  );
}

/** The early list when it was of `defaultBranch` and succeeded; else the list asked again. */
async function listedFor(prs: PullRequests, early: EarlyList, defaultBranch: string): Promise<PullRequest[]> {
  const listed = await early;
  return defaultBranch === ASSUMED_DEFAULT_BRANCH && 'list' in listed
    ? listed.list
    : prs.listOpen(defaultBranch);
}

/** The pin moves: to a newer base AMI, or with `--force` to the newest one whatever its age. */
function isBump(check: BaseAmiCheck, force: boolean): boolean {
  return check.outcome === 'newer-available' || (force && check.pinned !== check.latest);
}

/**
 * Nothing newer: nothing to write (the summary line says so), except closing this image set's update PR when the
 * default branch already holds its change (the branch step then finds no diff; undefined here). A rebuild asked
 * for by hand stays open.
 */
async function nothingToWrite(
  context: FlowContext,
  checkout: Checkout,
  prs: PullRequests,
  openPullRequests: readonly PullRequest[],
  branch: string,
): Promise<string | undefined> {
  const own = openPullRequests.find((pr) => prs.isOwnBranch(pr, branch));
  if (own && !(await isRequestedRebuild(context, checkout, own.headSha))) return undefined;
  return own
    ? `every base AMI pin is current; #${own.number} is a rebuild asked for by hand: left open`
    : 'every base AMI pin is current: nothing to do';
}

/** The update branch rebuilt with the pins bumped (or, for a rebuild, a commit without changes). */
function commitPins(
  context: FlowContext,
  checkout: Checkout,
  branch: string,
  { names, bumps, rebuild, head }: { names: string[]; bumps: PinBump[]; rebuild: boolean; head?: string },
): Promise<UpdateCommit> {
  const message = rebuild ? rebuildMessage(names) : baseAmiCommitMessage(bumps.map((b) => b.check));
  return commitUpdate(context, checkout, branch, message, () => bumpPins(checkout, bumps), head, { rebuild });
}

/** Writes each newer base AMI into its pin. */
async function bumpPins(checkout: Checkout, bumps: readonly PinBump[]): Promise<void> {
  for (const { image, check } of bumps) {
    const pin = image.base_ami?.pin;
    if (!pin) continue;
    await editFile({
      file: repoPath(checkout.dir, pin.file, `images.${image.name}.base_ami.pin.file`),
      path: pin.path,
      value: check.latest,
      format: pin.format,
      embedded: pin.embedded,
      innerPath: pin.inner_path,
      root: checkout.dir,
    });
  }
}

/** The "update opened" notice: the bumped pins, or every image of a rebuild. */
function openedMessage(
  pr: PullRequestInfo,
  images: readonly ImageConfig[],
  bumps: readonly PinBump[],
  checks: readonly BaseAmiCheck[],
  rebuild: boolean,
): SlackMessage {
  return updateStatusMessage({
    state: 'opened',
    pr,
    kind: rebuild ? 'rebuild' : 'images',
    images: bumps.length
      ? bumps.map(({ check }) => ({
          image: check.image,
          amis: { [check.region]: check.latest },
          previous: { [check.region]: check.pinned },
        }))
      : checks.map((check) => ({ image: check.image, amis: { [check.region]: check.latest } })),
    validation: images.map((image) => ({
      image: image.name,
      status: 'skipped' as const,
      detail: 'built and validated on every push to the update branch',
    })),
  });
}

/** True when `sha` is our own rebuild commit: a scheduled run finding no diff leaves such a PR open. */
async function isRequestedRebuild(context: FlowContext, checkout: Checkout, sha: string): Promise<boolean> {
  const commit = await new GitData(context.github(), checkout.repository).commit(sha);
  return commit !== undefined && rebuildOf(commit, checkout.author).length > 0;
}
