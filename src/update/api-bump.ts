/**
 * bump-consumer through GitHub's contents and git data API (`--via api`): no clone, but four content-creating
 * requests per consumer and no compare-and-swap on the ref. The files are read and edited in memory.
 */
import { posix } from 'node:path';
import type { FileTarget, HephestusConfig } from '../config/config-schema.js';
import { gitAuthor } from '../config/secrets.js';
import { unifiedDiff } from '../edit/edit-file.js';
import { editText } from '../edit/edit-text.js';
import { FailureError, InputError } from '../errors.js';
import type { FlowContext, RepositoryName } from '../flows/flow-context.js';
import { type BranchTip, type FileContent, GitData } from '../github/git-data.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { ImageAmiMap } from '../images/image-set.js';
import { lockedImages } from '../lock/locked-images.js';
import { commitUpdateViaApi } from './api-update-branch.js';
import { targetIn } from './checkout.js';
import { configFileOf, noAuthorError, readConfigAt } from './config-file.js';
import { type CommittedBump, type PlannedBump, planBumps, planOf, startAmiCheck } from './consumer-bump.js';
import { consumerCommitMessage } from './consumer-bump-text.js';

/** Plans, checks and commits the bump of `repository` to `given` (else the lock file's images) on its update branch. */
export async function bumpViaApi(
  context: FlowContext,
  repository: RepositoryName,
  given: ImageAmiMap | undefined,
  prs: PullRequests,
): Promise<CommittedBump> {
  const data = new GitData(context.github(), { owner: repository.owner, repo: repository.repo });
  const { config, base } = await readConsumer(context, data);
  const author = gitAuthor(config.git, context.env);
  if (!author) throw noAuthorError(context);
  const images = given ?? (await lockedImages(context, config));
  const files = new ConsumerFiles(data, base.sha);
  // The files, the open PRs and EC2's check of the AMIs are independent: made at once, they cost one round trip.
  // The check is awaited before the first write.
  const checked = startAmiCheck(context, config, images);
  const [openPullRequests] = await Promise.all([
    prs.listOpen(config.git.default_branch),
    ...[...(config.bump?.files ?? []).entries()]
      .filter(([, entry]) => images[entry.image])
      .map(([index, entry]) => files.read(entry, `bump.files[${index}]`)),
  ]);
  const bumps = await planBumps(config, images, async (entry, setting) =>
    targetIn(await files.read(entry, setting), entry, setting),
  );
  await checked;
  const changed = editInMemory(config.bump?.files ?? [], bumps, files.texts);
  const plan = planOf(config, bumps, images);
  const commit = await commitUpdateViaApi(context, {
    data,
    base,
    branch: plan.branch,
    message: consumerCommitMessage(bumps),
    author,
    files: changed,
    diff: changed.map((file) => unifiedDiff(file.path, files.texts.get(file.path) ?? '', file.text)).join(''),
  });
  return { target: { config, author }, plan, openPullRequests, commit };
}

/** The consumer's files at the base commit, each read once. */
class ConsumerFiles {
  /** Path to text at the base, of every file read. */
  readonly texts = new Map<string, string>();
  // Promises, so two entries naming one file read it once even when read at once.
  private readonly reads = new Map<string, Promise<string>>();

  constructor(
    private readonly data: GitData,
    private readonly sha: string,
  ) {}

  read(entry: FileTarget, setting: string): Promise<string> {
    const path = inRepository(entry.file, `${setting}.file`);
    let read = this.reads.get(path);
    if (!read) {
      read = this.data.readFile(path, this.sha).then((text) => {
        if (text === undefined) throw new InputError('file not found', { file: entry.file, setting });
        this.texts.set(path, text);
        return text;
      });
      this.reads.set(path, read);
    }
    return read;
  }
}

/** The files `bumps` change, with their new text, edited from `texts` (path -> text at the base). */
function editInMemory(
  files: NonNullable<HephestusConfig['bump']>['files'],
  bumps: readonly PlannedBump[],
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

/**
 * The consumer's configuration and default-branch tip, through the contents API. As the clone does, `main` is
 * read first and the configured default branch after, when the configuration names another.
 */
async function readConsumer(
  context: FlowContext,
  data: GitData,
): Promise<{ config: HephestusConfig; base: BranchTip }> {
  const file = configFileOf(context);
  const at = async (branch: string) => {
    const base = await data.branch(branch);
    if (!base) throw new FailureError(`${data.fullName} has no branch ${branch}`);
    const config = await readConfigAt(data, base.sha, inRepository(file, '--config'), file);
    if (config === undefined)
      throw new InputError(`configuration file not found in ${data.fullName}`, { file });
    return { config, base };
  };
  const guess = await at('main');
  const branch = guess.config.git.default_branch;
  return branch === 'main' ? guess : at(branch);
}

/** A path from configuration as a path in the repository (refused when it leads out of it). */
function inRepository(file: string, setting: string): string {
  const path = posix.normalize(file.replace(/\\/g, '/'));
  if (path.startsWith('../') || path === '..' || posix.isAbsolute(path) || path === '.') {
    throw new InputError(`${JSON.stringify(file)} lies outside the repository`, { setting });
  }
  return path.replace(/^\.\//, '');
}
