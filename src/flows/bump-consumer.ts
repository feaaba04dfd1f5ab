/**
 * bump-consumer (a repository that names the images, e.g. a service's `config.edn` and Helm chart): every
 * configured `bump.files` entry is edited with the format-preserving editor to the new AMI, committed on
 * `<prefix><image-set>`, pushed, and proposed through one pull request, with a Slack notice. The new images
 * come from `--images` (the pipeline parameter the promote flow passed), directly from promote, or, with
 * `bump.source: lock`, from the lock file on the images repository's default branch.
 */
import type { HephestusConfig } from '../config/config-schema.js';
import { editFile } from '../edit/edit-file.js';
import { ExitCode, InputError } from '../errors.js';
import { updateBranchName } from '../github/update-pull-request.js';
import { updateOpenedMessage } from '../slack/slack-messages.js';
import { checkout, readTarget, repoPath } from './checkout.js';
import { type FlowContext, parseRepository, type RepositoryName } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';
import { amiFor, type ImageAmiMap, imageSetName, parseImageAmis } from './image-set.js';
import { fetchLock } from './lock-store.js';
import { proposeUpdate, recordProposal } from './propose-update.js';
import { updateBranch } from './update-branch.js';

export interface FileBump {
  file: string;
  path: string;
  innerPath?: string;
  image: string;
  before: string;
  after: string;
}

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

const IMAGES_MARKER = /<!-- hephestus:images (\{.*?\}) -->/;

/** Runs bump-consumer on `--repo` with `--images`, or with the lock file when configured so. */
export async function bumpConsumer(context: FlowContext): Promise<BumpConsumerReport> {
  const given = context.options.images;
  return bumpRepository(context, context.repository(), given ? parseImageAmis(given) : undefined);
}

/** Bumps `repository`'s configured files to `images` (else the lock file's) through its update pull request. */
export async function bumpRepository(
  context: FlowContext,
  repository: RepositoryName,
  given: ImageAmiMap | undefined,
): Promise<BumpConsumerReport> {
  const co = await checkout(context, { repository, commits: true });
  const images = given ?? (await imagesFromLock(context, co.config));
  const bumps = await planBumps(co.dir, co.config, images);
  const names = [...new Set(bumps.map((b) => b.image))];
  const imageSet = imageSetName(names);
  const branch = updateBranchName(imageSet, co.config.git.branch_prefix);
  const used = Object.fromEntries(names.map((name) => [name, images[name] ?? {}]));
  const report: BumpConsumerReport = {
    flow: 'bump-consumer',
    outcome: 'unchanged',
    repository: repository.fullName,
    dryRun: context.dryRun,
    exitCode: ExitCode.ok,
    imageSet,
    branch,
    images: used,
    files: bumps,
    diff: '',
    summary: [],
    slack: [],
  };
  const prs = context.pullRequests(repository);
  // One list serves both this run's own PR (its body keeps our markers) and the update below.
  const openPullRequests = await prs.listOpen(co.config.git.default_branch);
  const bumpFiles = co.config.bump?.files ?? [];
  const update = await updateBranch(context, co, branch, commitMessage(bumps), async () => {
    for (const [index, entry] of bumpFiles.entries()) {
      const bump = bumps.find((b) => b.index === index);
      if (!bump) continue;
      await editFile({
        file: repoPath(co.dir, entry.file, `bump.files[${index}].file`),
        path: entry.path,
        value: bump.after,
        format: entry.format,
        embedded: entry.embedded,
        innerPath: entry.inner_path,
        root: co.dir,
      });
    }
  });
  report.diff = update.diff;
  const proposal = await proposeUpdate(context, co, prs, {
    update,
    openPullRequests,
    imageSet,
    branch,
    title: `Windows image update: ${names.join(', ')}`,
    body: pullRequestBody(bumps, used),
    message: (pr) =>
      updateOpenedMessage({
        pr,
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

/** The AMIs the images repository's lock file names, for `bump.source: lock`. */
async function imagesFromLock(context: FlowContext, config: HephestusConfig): Promise<ImageAmiMap> {
  const bump = config.bump;
  if (bump?.source !== 'lock') {
    throw new InputError(
      'no images: pass --images (the pipeline parameter the images pipeline sets), or set bump.source: lock',
      { setting: '--images' },
    );
  }
  if (!bump.images_repository) {
    throw new InputError('bump.source: lock needs bump.images_repository (owner/name)', {
      setting: 'bump.images_repository',
    });
  }
  const source = parseRepository(bump.images_repository, 'bump.images_repository');
  const { lock, file } = await fetchLock(context, source);
  if (!lock) {
    throw new InputError(`${source.fullName} has no ${file} on its default branch`, {
      setting: 'bump.images_repository',
    });
  }
  const images: ImageAmiMap = Object.fromEntries(
    Object.entries(lock.images)
      .filter(([, entry]) => Object.keys(entry.amis).length > 0)
      .map(([image, entry]) => [image, entry.amis]),
  );
  context.logger.info(`images from ${source.fullName}:${file}: ${JSON.stringify(images)}`);
  return images;
}

/** The images an update PR body records (for announce), or undefined when it records none. */
export function imagesOfBody(body: string): ImageAmiMap | undefined {
  const match = IMAGES_MARKER.exec(body);
  if (!match?.[1]) return undefined;
  try {
    return parseImageAmis(match[1]);
  } catch {
    return undefined;
  }
}

async function planBumps(
  dir: string,
  config: HephestusConfig,
  images: ImageAmiMap,
): Promise<Array<FileBump & { index: number }>> {
  const files = config.bump?.files;
  if (!files)
    throw new InputError('no bump.files in the configuration: nothing names the images', { setting: 'bump' });
  const bumps: Array<FileBump & { index: number }> = [];
  for (const [index, entry] of files.entries()) {
    const amis = images[entry.image];
    if (!amis) continue;
    const setting = `bump.files[${index}]`;
    if (entry.value === 'name') {
      throw new InputError('the images parameter carries AMI ids, not names; use value: ami', {
        setting: `${setting}.value`,
      });
    }
    const after = amiFor(amis, entry.region);
    if (!after) {
      throw new InputError(`no AMI of ${entry.image} in ${entry.region} in --images`, {
        setting: `${setting}.region`,
      });
    }
    const before = await readTarget(dir, entry, setting);
    bumps.push({
      index,
      file: entry.file,
      path: entry.path,
      innerPath: entry.inner_path,
      image: entry.image,
      before,
      after,
    });
  }
  if (bumps.length === 0) {
    throw new InputError(
      `no bump.files entry names ${Object.keys(images).join(', ')} (configured: ${[...new Set(files.map((f) => f.image))].join(', ')})`,
      { setting: '--images' },
    );
  }
  return bumps;
}

function commitMessage(bumps: FileBump[]): string {
  const names = [...new Set(bumps.map((b) => b.image))].join(', ');
  const lines = bumps.map((b) => `- ${b.file} ${b.innerPath ?? b.path}: ${b.before} -> ${b.after}`);
  return `Update Windows images: ${names}\n\n${lines.join('\n')}\n`;
}

function pullRequestBody(bumps: FileBump[], images: ImageAmiMap): string {
  const rows = bumps.map(
    (b) => `| ${b.image} | \`${b.file}\` | \`${b.innerPath ?? b.path}\` | \`${b.before}\` | \`${b.after}\` |`,
  );
  // Escaped like the other markers, so no value can end the HTML comment.
  const marker = JSON.stringify(images).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
  return [
    'New Windows images passed validation; Hephestus updated the places that name them.',
    '',
    '| image | file | path | from | to |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Merging announces the rollout.',
    '',
    `<!-- hephestus:images ${marker} -->`,
  ].join('\n');
}
