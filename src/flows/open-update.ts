/**
 * open-update (scheduled, or triggered by hand): the newest base AMI of each image against the pin in the
 * images repository; when one is newer (or `--force`), the pins are bumped on `<prefix><image-set>` and the
 * update pull request is opened or updated, with a Slack notice. Nothing newer and no force: no writes at all.
 */

import { type BaseAmi, compareWithPin, findBaseAmi, type PinComparison } from '../aws/base-ami.js';
import type { HephestusConfig, ImageConfig } from '../config/config-schema.js';
import { editFile } from '../edit/edit-file.js';
import { ExitCode, InputError } from '../errors.js';
import { GitData } from '../github/git-data.js';
import { codeSpan, escapeMarkdown } from '../github/markdown.js';
import { updateBranchName } from '../github/update-pull-request.js';
import { coversImageSet, imageSetName, parseImageNames } from '../images/image-set.js';
import { updateOpenedMessage } from '../slack/slack-messages.js';
import { type Checkout, checkOut, readTarget, repoPath } from '../update/checkout.js';
import { proposeUpdate, recordProposal } from '../update/propose-update.js';
import { rebuildMessage, rebuildOf } from '../update/rebuild.js';
import { reportedHead, updateBranch } from '../update/update-branch.js';
import type { FlowContext } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';

export interface BaseAmiCheck {
  image: string;
  region: string;
  pinned: string;
  latest: string;
  latestName: string;
  outcome: PinComparison['outcome'];
}

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

/** Runs open-update; see the module comment. */
export async function openUpdate(context: FlowContext): Promise<OpenUpdateReport> {
  const repository = context.repository();
  const checkout = await checkOut(context, { repository, commits: true });
  const images = selectImages(checkout.config, context.options.images);
  const checks = await checkBaseAmis(context, checkout, images);
  const imageSet = imageSetName(images.map((image) => image.name));
  const branch = updateBranchName(imageSet, checkout.config.git.branch_prefix);
  const report: OpenUpdateReport = {
    flow: 'open-update',
    outcome: 'nothing-newer',
    repository: repository.fullName,
    dryRun: context.dryRun,
    exitCode: ExitCode.ok,
    imageSet,
    branch,
    images: checks.map(({ check }) => check),
    diff: '',
    summary: [],
    slack: [],
  };
  const force = context.options.force === true;
  const bumps = checks.filter(
    ({ check }) => check.outcome === 'newer-available' || (force && check.pinned !== check.latest),
  );
  // `--force` with every pin current asks for a rebuild: a commit without changes carries it to the branch.
  const rebuild = force && bumps.length === 0;
  const prs = context.pullRequests(repository);
  // One list serves both this run's own PR (its body keeps our markers) and the update below.
  const openPullRequests = await prs.listOpen(checkout.config.git.default_branch);
  if (bumps.length === 0 && !force) {
    // Nothing newer: nothing to write, except closing this image set's update PR when the default branch already
    // holds its change (the branch step below then finds no diff). A rebuild asked for by hand stays open.
    const own = openPullRequests.find((pr) => prs.isOwnBranch(pr, branch));
    if (!own || (await isRequestedRebuild(context, checkout, own.headSha))) {
      report.summary.push(
        own
          ? `every base AMI pin is current; #${own.number} is a rebuild asked for by hand: left open`
          : 'every base AMI pin is current: nothing to do',
      );
      return report;
    }
  }

  const update = await updateBranch(
    context,
    checkout,
    branch,
    rebuild ? rebuildMessage(images.map((i) => i.name)) : commitMessage(bumps.map((b) => b.check)),
    async () => {
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
    },
    reportedHead(openPullRequests, repository, branch),
    { rebuild },
  );
  report.diff = update.diff;
  const proposal = await proposeUpdate(context, checkout, prs, {
    update,
    openPullRequests,
    imageSet,
    branch,
    title: `Windows image update: ${images.map((i) => i.name).join(', ')}`,
    covers: (other) =>
      coversImageSet(
        images.map((image) => image.name),
        other,
      ),
    body: pullRequestBody(report.images, rebuild),
    message: (pr) =>
      updateOpenedMessage({
        pr,
        kind: rebuild ? 'rebuild' : 'images',
        images: bumps.length
          ? bumps.map(({ check }) => ({
              image: check.image,
              amis: { [check.region]: check.latest },
              previous: { [check.region]: check.pinned },
            }))
          : report.images.map((check) => ({ image: check.image, amis: { [check.region]: check.latest } })),
        validation: images.map((image) => ({
          image: image.name,
          status: 'skipped' as const,
          detail: 'built and validated on every push to the update branch',
        })),
      }),
  });
  recordProposal(report, proposal);
  return report;
}

/** The configured images with a base AMI, narrowed to `--images` when given. */
export function selectImages(config: HephestusConfig, images: string | undefined): ImageConfig[] {
  const all = config.images.filter((image) => image.base_ami !== undefined);
  if (images === undefined) {
    if (all.length === 0) throw new InputError('no image has a base_ami to track', { setting: 'images' });
    return all;
  }
  const names = parseImageNames(images);
  return names.map((name) => {
    const image = all.find((i) => i.name === name);
    if (!image) {
      throw new InputError(
        `no image ${JSON.stringify(name)} with a base_ami in the configuration (${all.map((i) => i.name).join(', ')})`,
        { setting: '--images' },
      );
    }
    return image;
  });
}

async function checkBaseAmis(
  context: FlowContext,
  checkout: Checkout,
  images: ImageConfig[],
): Promise<Array<{ image: ImageConfig; check: BaseAmiCheck }>> {
  return Promise.all(
    images.map(async (image) => {
      const base = image.base_ami as NonNullable<ImageConfig['base_ami']>;
      const region = base.region ?? (image.regions[0] as string);
      const setting = `images.${image.name}.base_ami`;
      const pinned = await readTarget(checkout.dir, base.pin, `${setting}.pin`);
      const ec2 = context.ec2For(region);
      const latest: BaseAmi = await findBaseAmi(ec2, region, {
        owners: base.owners,
        filters: base.filters,
        location: { setting },
      });
      const comparison = await compareWithPin(ec2, latest, pinned);
      context.logger.info(
        `${image.name}: pinned ${pinned}, newest ${latest.imageId} (${latest.name}) in ${region}: ${comparison.outcome}`,
      );
      return {
        image,
        check: {
          image: image.name,
          region,
          pinned,
          latest: latest.imageId,
          latestName: latest.name,
          outcome: comparison.outcome,
        },
      };
    }),
  );
}

function commitMessage(checks: BaseAmiCheck[]): string {
  const lines = checks.map((c) => `- ${c.image}: ${c.pinned} -> ${c.latest} (${c.latestName})`);
  const names = checks.map((c) => c.image).join(', ');
  return `Update base AMIs: ${names || 'none'}\n\n${lines.join('\n')}\n`;
}

/** True when `sha` is our own rebuild commit: a scheduled run finding no diff leaves such a PR open. */
async function isRequestedRebuild(context: FlowContext, checkout: Checkout, sha: string): Promise<boolean> {
  const commit = await new GitData(context.github(), checkout.repository).commit(sha);
  return commit !== undefined && rebuildOf(commit, checkout.author).length > 0;
}

function pullRequestBody(checks: BaseAmiCheck[], rebuild: boolean): string {
  const rows = checks.map(
    (c) =>
      // A base AMI's name is whatever its publisher chose: escaped like every other outside value.
      `| ${escapeMarkdown(c.image)} | ${escapeMarkdown(c.region)} | ${codeSpan(c.pinned)} | ${codeSpan(c.latest)} | ${escapeMarkdown(c.latestName)} | ${c.outcome} |`,
  );
  return [
    rebuild
      ? 'A rebuild of these images was asked for by hand (`--force`); every base AMI pin is current.'
      : 'Hephestus found newer Windows base AMIs and bumped the pins.',
    '',
    '| image | region | pinned | newest | newest name | |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Every push to this branch builds and validates the images; the results are commented below.',
    'Merging promotes the validated AMIs (they are never rebuilt on the default branch) and updates the consumers.',
  ].join('\n');
}
