/**
 * build-validate (push to any branch but the default one: an update branch or a person's pull request):
 * builds the images whose inputs changed with Packer, tags every AMI and snapshot `built` with the run,
 * commit, branch, image, input hash and Packer version, validates each image once in its build region, tags
 * it `validated` or `failed`, comments on the branch's PR (one comment, edited in place) and posts
 * `ready_to_merge` or `failed` to Slack. An image whose inputs are those the default branch's lock file
 * records is reused, not rebuilt, so a PR touching one image's inputs builds only that image; a tag alone
 * never makes an AMI reusable (anyone whose branch runs Packer can set tags). The comment carries the
 * validation record promote takes the AMIs from. Every AMI Packer made in the run is tagged by the run: as
 * built (then validated or failed) when it belongs to a configured image, else as failed (refused).
 * Artifacts of other builders (docker, file, vSphere) are reported as they are: AMI tagging and validation
 * are skipped for them, with a note.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ValidationResult } from '../aws/validate-ami.js';
import { ExitCode, InputError } from '../errors.js';
import { buildImages } from '../images/build-images.js';
import { buildJunit } from '../images/build-junit.js';
import { planBuilds } from '../images/build-plan.js';
import type { BuildRun, ImageBuildReport, PlannedBuild } from '../images/image-build.js';
import { packerEnv, refuseAmbiguousBuilds } from '../images/packer-setup.js';
import { reportOnPullRequest } from '../images/report-build.js';
import { selectBuildImages } from '../images/select-images.js';
import { validateImages } from '../images/validate-images.js';
import { lockBranch } from '../lock/lock-store.js';
import { packerVersion } from '../packer/packer-version.js';
import type { ImageAmis } from '../slack/slack-messages.js';
import { type Checkout, checkOut } from '../update/checkout.js';
import { type UpdateStatus, updateStatusOf } from '../update/slack-status.js';
import { type FlowContext, startReport } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';

export type { ImageBuildReport } from '../images/image-build.js';

export interface BuildValidateReport extends FlowReportBase, BuildRun {
  flow: 'build-validate';
  outcome: 'validated' | 'failed' | 'skipped' | 'dry-run';
  images: ImageBuildReport[];
  pullRequest?: PullRequestRef;
  junit?: string;
}

/** Runs build-validate; see the module comment. */
export async function buildValidate(context: FlowContext): Promise<BuildValidateReport> {
  const repository = context.repository();
  const branch = context.branch();
  if (!branch)
    throw new InputError('no branch: pass --branch (CircleCI sets CIRCLE_BRANCH)', { setting: '--branch' });
  const checkout = await checkOut(context, { repository, branch });
  const report = startReport<BuildValidateReport>(context, repository, {
    flow: 'build-validate',
    outcome: 'validated',
    branch,
    sha: checkout.sha,
    run: runId(context, checkout.sha),
    runUrl: context.env.CIRCLE_BUILD_URL || undefined,
    images: [],
  });
  const skip = skipReason(checkout, branch);
  if (skip) return skipped(report, skip);
  const plan = await planBuilds(
    context,
    checkout,
    selectBuildImages(checkout.config, context.options.images),
  );
  report.images = plan.entries;
  await refuseAmbiguousBuilds(
    context,
    checkout,
    plan.toBuild.map((t) => t.image),
  );
  if (context.dryRun) return dryRun(context, report, plan.toBuild);
  const status = await buildStatus(context, checkout, branch);
  if (plan.toBuild.length) {
    await status.show('building', statusImages(report));
    report.packerVersion = await packerVersion(packerEnv(context, checkout.config));
  }
  await buildImages(context, checkout, report, plan.toBuild);
  if (plan.toBuild.some(({ entry }) => entry.status === 'pending'))
    await status.show('validating', statusImages(report));
  const results = await validateImages(context, checkout, report, plan.toBuild);
  await writeJunit(context, report, results);
  concludeReport(report);
  await status.show(
    report.outcome === 'validated' ? 'ready' : 'failed',
    statusImages(report),
    failures(report),
  );
  await reportOnPullRequest(context, checkout, report);
  return report;
}

/** The status of the branch's update, shown in its top Slack message as the run goes (before the result's notice). */
async function buildStatus(context: FlowContext, checkout: Checkout, branch: string): Promise<UpdateStatus> {
  const prs = context.pullRequests(checkout.repository);
  return updateStatusOf(context, checkout.config, prs, () => prs.findOpen(branch));
}

function statusImages(report: BuildValidateReport): ImageAmis[] {
  return report.images.map((i) => ({ image: i.image, amis: i.amis }));
}

/** Which images failed and why (redacted as the report holds it), for the status message. */
function failures(report: BuildValidateReport): string | undefined {
  const failed = report.images.filter((i) => i.status === 'failed');
  return failed.length ? failed.map((i) => `${i.image}: ${i.failure ?? 'failed'}`).join('\n') : undefined;
}

/** Why `branch` builds nothing, or undefined when it builds. */
function skipReason(checkout: Checkout, branch: string): string | undefined {
  if (branch === checkout.config.git.default_branch)
    return `${branch} is the default branch: its images are promoted from the pull requests, not built`;
  if (branch === lockBranch(checkout))
    return `${branch} only records validated images in the lock file: nothing to build`;
  return undefined;
}

function skipped(report: BuildValidateReport, reason: string): BuildValidateReport {
  report.outcome = 'skipped';
  report.summary.push(reason);
  return report;
}

function dryRun(
  context: FlowContext,
  report: BuildValidateReport,
  toBuild: readonly PlannedBuild[],
): BuildValidateReport {
  for (const { image } of toBuild) context.wouldDo(`build, tag and validate ${image.name}`);
  report.outcome = toBuild.length ? 'dry-run' : 'validated';
  report.summary.push(...report.images.map((i) => `${i.image}: ${i.action}`));
  return report;
}

/** The smoke tests' JUnit XML, where `--junit` asks for it. */
async function writeJunit(
  context: FlowContext,
  report: BuildValidateReport,
  results: ReadonlyMap<string, ValidationResult>,
): Promise<void> {
  const file = context.options.junit;
  if (!file) return;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, buildJunit(report.images, results));
  report.junit = file;
}

/** The outcome, exit code and summary lines, once every image is built or failed. */
function concludeReport(report: BuildValidateReport): void {
  const failed = report.images.filter((i) => i.status === 'failed');
  report.outcome = failed.length ? 'failed' : 'validated';
  if (failed.length) report.exitCode = ExitCode.failure;
  report.summary.push(
    ...report.images.map(
      (i) =>
        `${i.image}: ${i.action}, ${i.status}${i.failure ? ` (${i.failure})` : ''}${i.note ? ` (${i.note})` : ''}`,
    ),
  );
}

function runId(context: FlowContext, sha: string): string {
  return (
    context.env.CIRCLE_WORKFLOW_ID ||
    context.env.CIRCLE_PIPELINE_ID ||
    `local-${sha.slice(0, 12)}-${Date.now().toString(36)}`
  );
}
