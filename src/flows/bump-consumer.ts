/**
 * bump-consumer (a repository that names the images, e.g. a service's `config.edn` and Helm chart): every
 * configured `bump.files` entry is edited with the format-preserving editor to the new AMI, committed on
 * `<prefix><image-set>`, pushed, and proposed through one pull request, with a Slack notice. The new images
 * come from `--images` (the pipeline parameter the promote flow passed), directly from promote, or, with
 * `bump.source: lock`, from the lock file on the images repository's default branch. Wherever they come from,
 * every AMI is checked with EC2 before anything is edited (see {@link verifyAmis}): a parameter or a lock file is
 * someone's word, and an id that is not a validated image of a trusted account stops the run with exit 1.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { whyNotValidated } from '../aws/validated-image.js';
import type { FileTarget, HephestusConfig } from '../config/config-schema.js';
import { AmiIdSchema } from '../config/config-schema.js';
import { DEFAULT_CONFIG_FILE, parseConfig } from '../config/load-config.js';
import { gitAuthor } from '../config/secrets.js';
import { editFile, unifiedDiff } from '../edit/edit-file.js';
import { editText } from '../edit/edit-text.js';
import { ExitCode, FailureError, InputError } from '../errors.js';
import { type BranchTip, type FileContent, GitData } from '../github/git-data.js';
import { hiddenBlock } from '../github/hidden-state.js';
import { codeSpan, escapeMarkdown } from '../github/markdown.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { PullRequest } from '../github/schema.js';
import { updateBranchName } from '../github/update-pull-request.js';
import {
  amiFor,
  coversImageSet,
  type ImageAmiMap,
  imageSetName,
  parseImageAmis,
} from '../images/image-set.js';
import { fetchLock } from '../lock/lock-store.js';
import { updateOpenedMessage } from '../slack/slack-messages.js';
import { updateBranchViaApi } from '../update/api-update-branch.js';
import {
  ASSUMED_DEFAULT_BRANCH,
  type Checkout,
  checkOut,
  readTarget,
  repoPath,
  targetIn,
} from '../update/checkout.js';
import { proposeUpdate, recordProposal } from '../update/propose-update.js';
import { type BranchUpdate, reportedHead, updateBranch } from '../update/update-branch.js';
import { type FlowContext, parseRepository, type RepositoryName } from './flow-context.js';
import type { FlowReportBase, PullRequestRef } from './flow-report.js';

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

/** The images an update PR carries, for announce: image to region to AMI. */
const IMAGES_MARKER = hiddenBlock('images', z.record(z.string(), z.record(z.string(), AmiIdSchema)));

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
  if (context.options.via !== 'api') {
    const prs = context.pullRequests(repository);
    // Listed while the clone runs, against the branch the clone assumes is the default one (listed again when
    // the configuration names another): one round trip less on the way to the push.
    const listed = prs.listOpen(ASSUMED_DEFAULT_BRANCH).then(
      (list) => ({ list }),
      (error: unknown) => ({ error }),
    );
    const checkout = await checkOut(context, { repository, commits: true });
    const early = await listed;
    const openPullRequests =
      checkout.config.git.default_branch === ASSUMED_DEFAULT_BRANCH && 'list' in early
        ? early.list
        : await prs.listOpen(checkout.config.git.default_branch);
    return bumpInClone(context, repository, checkout, given, prs, openPullRequests);
  }
  const data = new GitData(context.github(), { owner: repository.owner, repo: repository.repo });
  const { config, base } = await readConsumer(context, data);
  const author = gitAuthor(config.git, context.env);
  if (!author) throw noAuthor(context);
  const images = given ?? (await imagesFromLock(context, config));
  const prs = context.pullRequests(repository);
  const texts = new Map<string, string>();
  // Promises, so two entries naming one file read it once even when read at once.
  const reads = new Map<string, Promise<string>>();
  const readText = (entry: FileTarget, setting: string): Promise<string> => {
    const path = inRepository(entry.file, `${setting}.file`);
    let read = reads.get(path);
    if (!read) {
      read = data.readFile(path, base.sha).then((text) => {
        if (text === undefined) throw new InputError('file not found', { file: entry.file, setting });
        texts.set(path, text);
        return text;
      });
      reads.set(path, read);
    }
    return read;
  };
  // The files and the open PRs are independent reads: made at once, a bump costs one round trip for them.
  const files = config.bump?.files ?? [];
  const [openPullRequests] = await Promise.all([
    prs.listOpen(config.git.default_branch),
    ...[...files.entries()]
      .filter(([, entry]) => images[entry.image])
      .map(([index, entry]) => readText(entry, `bump.files[${index}]`)),
  ]);
  const bumps = await planBumps(config, images, async (entry, setting) =>
    targetIn(await readText(entry, setting), entry, setting),
  );
  await verifyAmis(context, config, bumps);
  const changed = editInMemory(files, bumps, texts);
  const plan = planOf(config, bumps, images);
  const update = await updateBranchViaApi(context, {
    data,
    base,
    branch: plan.branch,
    message: commitMessage(bumps),
    author,
    files: changed,
    diff: changed.map((file) => unifiedDiff(file.path, texts.get(file.path) ?? '', file.text)).join(''),
  });
  return propose(context, { config, author }, repository, plan, prs, openPullRequests, update);
}

/** bump-consumer in a clone (`--via clone`, the default): edited on disk, committed and pushed with git. */
async function bumpInClone(
  context: FlowContext,
  repository: RepositoryName,
  checkout: Checkout,
  given: ImageAmiMap | undefined,
  prs: PullRequests,
  /** One list serves both this run's own PR (its body keeps our markers) and the update below. */
  openPullRequests: PullRequest[],
): Promise<BumpConsumerReport> {
  const images = given ?? (await imagesFromLock(context, checkout.config));
  const bumps = await planBumps(checkout.config, images, (entry, setting) => readTarget(checkout.dir, entry, setting));
  await verifyAmis(context, checkout.config, bumps);
  const plan = planOf(checkout.config, bumps, images);
  const bumpFiles = checkout.config.bump?.files ?? [];
  const head = reportedHead(openPullRequests, repository, plan.branch);
  const update = await updateBranch(
    context,
    checkout,
    plan.branch,
    commitMessage(bumps),
    async () => {
      for (const [index, entry] of bumpFiles.entries()) {
        const bump = bumps.find((b) => b.index === index);
        if (!bump) continue;
        await editFile({
          file: repoPath(checkout.dir, entry.file, `bump.files[${index}].file`),
          path: entry.path,
          value: bump.after,
          format: entry.format,
          embedded: entry.embedded,
          innerPath: entry.inner_path,
          root: checkout.dir,
        });
      }
    },
    head,
  );
  return propose(context, checkout, repository, plan, prs, openPullRequests, update);
}

/** The files `bumps` change, with their new text, edited from `texts` (path -> text at the base). */
function editInMemory(
  files: NonNullable<HephestusConfig['bump']>['files'],
  bumps: ReadonlyArray<FileBump & { index: number }>,
  texts: ReadonlyMap<string, string>,
): FileContent[] {
  const edited = new Map<string, string>();
  for (const bump of bumps) {
    const entry = files[bump.index] as (typeof files)[number];
    const path = inRepository(entry.file, `bump.files[${bump.index}].file`);
    const current = edited.get(path) ?? (texts.get(path) as string);
    const edit = {
      file: entry.file,
      path: entry.path,
      value: bump.after,
      format: entry.format,
      embedded: entry.embedded,
      innerPath: entry.inner_path,
    };
    edited.set(path, editText(edit, current).text);
  }
  return [...edited]
    .filter(([path, text]) => text !== texts.get(path))
    .map(([path, text]) => ({ path, text }));
}

interface BumpPlan {
  bumps: Array<FileBump & { index: number }>;
  names: string[];
  imageSet: string;
  branch: string;
  used: ImageAmiMap;
}

function planOf(config: HephestusConfig, bumps: BumpPlan['bumps'], images: ImageAmiMap): BumpPlan {
  const names = [...new Set(bumps.map((b) => b.image))];
  const imageSet = imageSetName(names);
  return {
    bumps,
    names,
    imageSet,
    branch: updateBranchName(imageSet, config.git.branch_prefix),
    used: Object.fromEntries(names.map((name) => [name, images[name] ?? {}])),
  };
}

/** The PR half, the same for both paths: open or update the update PR, and report. */
async function propose(
  context: FlowContext,
  checkout: Pick<Checkout, 'config' | 'author'>,
  repository: RepositoryName,
  plan: BumpPlan,
  prs: PullRequests,
  openPullRequests: PullRequest[],
  update: BranchUpdate,
): Promise<BumpConsumerReport> {
  const { names, used } = plan;
  const report: BumpConsumerReport = {
    flow: 'bump-consumer',
    outcome: 'unchanged',
    repository: repository.fullName,
    dryRun: context.dryRun,
    exitCode: ExitCode.ok,
    imageSet: plan.imageSet,
    branch: plan.branch,
    images: used,
    files: plan.bumps,
    diff: update.diff,
    summary: [],
    slack: [],
  };
  const proposal = await proposeUpdate(context, checkout, prs, {
    update,
    openPullRequests,
    imageSet: plan.imageSet,
    branch: plan.branch,
    title: `Windows image update: ${names.join(', ')}`,
    body: pullRequestBody(plan.bumps, used),
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

/**
 * The consumer's configuration and default-branch tip, through the contents API. As the clone does, `main` is
 * read first and the configured default branch after, when the configuration names another.
 */
async function readConsumer(
  context: FlowContext,
  data: GitData,
): Promise<{ config: HephestusConfig; base: BranchTip }> {
  const file = context.options.config ?? DEFAULT_CONFIG_FILE;
  const at = async (branch: string) => {
    const base = await data.branch(branch);
    if (!base) throw new FailureError(`${data.fullName} has no branch ${branch}`);
    const text = await data.readFile(inRepository(file, '--config'), base.sha);
    if (text === undefined)
      throw new InputError(`configuration file not found in ${data.fullName}`, { file });
    return { config: parseConfig(text, file), base };
  };
  const guess = await at('main');
  const branch = guess.config.git.default_branch;
  return branch === 'main' ? guess : at(branch);
}

function noAuthor(context: FlowContext): InputError {
  return new InputError(
    'no git author: set git.author_name and git.author_email in hephestus.yml (or HEPHESTUS_GIT_AUTHOR_NAME/_EMAIL)',
    { file: context.options.config ?? DEFAULT_CONFIG_FILE, setting: 'git.author_name' },
  );
}

/** A path from configuration as a path in the repository (refused when it leads out of it). */
function inRepository(file: string, setting: string): string {
  const path = posix.normalize(file.replace(/\\/g, '/'));
  if (path.startsWith('../') || path === '..' || posix.isAbsolute(path) || path === '.') {
    throw new InputError(`${JSON.stringify(file)} lies outside the repository`, { setting });
  }
  return path.replace(/^\.\//, '');
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
  const images = IMAGES_MARKER.decode(body);
  return images && Object.keys(images).length > 0 ? images : undefined;
}

async function planBumps(
  config: HephestusConfig,
  images: ImageAmiMap,
  readValue: (entry: FileTarget, setting: string) => Promise<string>,
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
    const before = await readValue(entry, setting);
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

/**
 * Checks every AMI a bump would write with EC2 before any edit: it must exist, be owned by a configured
 * account (`bump.accounts`, else the credentials' own), be available, tagged validated for its image, and have
 * reached `bump.channel` (else the first channel) or a later one. Any other id fails the run (exit 1) naming it:
 * no branch, no pull request.
 */
async function verifyAmis(
  context: FlowContext,
  config: HephestusConfig,
  bumps: ReadonlyArray<FileBump & { index: number }>,
): Promise<void> {
  const files = config.bump?.files ?? [];
  const channel = config.bump?.channel ?? (config.channels[0] as string);
  const checked = new Map<string, Promise<string | undefined>>();
  const problems: string[] = [];
  for (const bump of bumps) {
    const region = files[bump.index]?.region ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION;
    if (!region) {
      problems.push(
        `${bump.after} (${bump.image}): no region to look it up in (set bump.files[${bump.index}].region)`,
      );
      continue;
    }
    const key = `${region}/${bump.after}/${bump.image}`;
    let check = checked.get(key);
    if (!check) {
      check = whyNotValidated(context.ec2For(region), bump.after, {
        owners: config.bump?.accounts ?? [],
        channels: config.channels,
        // A dry run of promote moves nothing, so its images are not in the channel yet.
        channel: context.dryRun ? (config.channels[0] as string) : channel,
        image: bump.image,
      }).then((why) => (why && !(context.dryRun && /channel/.test(why)) ? why : undefined));
      checked.set(key, check);
      const why = await check;
      if (why) problems.push(`${bump.after} (${bump.image}, ${region}) ${why}`);
    }
  }
  if (problems.length)
    throw new FailureError(
      `refusing to bump: ${problems.join('; ')}. Only AMIs Hephestus validated are written; nothing was changed`,
    );
}

function commitMessage(bumps: FileBump[]): string {
  const names = [...new Set(bumps.map((b) => b.image))].join(', ');
  const lines = bumps.map((b) => `- ${b.file} ${b.innerPath ?? b.path}: ${b.before} -> ${b.after}`);
  return `Update Windows images: ${names}\n\n${lines.join('\n')}\n`;
}

function pullRequestBody(bumps: FileBump[], images: ImageAmiMap): string {
  const rows = bumps.map(
    (b) =>
      `| ${escapeMarkdown(b.image)} | ${codeSpan(b.file)} | ${codeSpan(b.innerPath ?? b.path)} | ${codeSpan(b.before)} | ${codeSpan(b.after)} |`,
  );
  return [
    'New Windows images passed validation; Hephestus updated the places that name them.',
    '',
    '| image | file | path | from | to |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Merging announces the rollout.',
    '',
    IMAGES_MARKER.encode(images),
  ].join('\n');
}
