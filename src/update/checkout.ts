/**
 * A flow's own clone of its repository, over HTTPS from GITHUB_SERVER_URL with the token, and the
 * `hephestus.yml` read from it: the same in CircleCI and against the sandbox, whatever the job checked out.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertRepositoryMatches } from '../config/check-repository.js';
import type { FileTarget, HephestusConfig } from '../config/config-schema.js';
import { closestMatch } from '../config/did-you-mean.js';
import { loadConfig } from '../config/load-config.js';
import { assertPathsInside, repoPath } from '../config/repo-paths.js';
import { gitAuthor } from '../config/secrets.js';
import { maskTemplateActions } from '../edit/formats/go-template.js';
import { updaterFor, updaterForFormat } from '../edit/updaters.js';
import { InputError } from '../errors.js';
import type { FlowContext, RepositoryName } from '../flows/flow-context.js';
import {
  type CloneOptions,
  type GitIdentity,
  GitRepository,
  isMissingBranch,
  trackingRef,
} from '../git/git-repository.js';
import { describeClone, filesToCheckOut, LARGE_FILE_BYTES } from './clone-choice.js';
import { configFileOf, noAuthorError } from './config-file.js';

export interface Checkout {
  repository: RepositoryName;
  git: GitRepository;
  dir: string;
  config: HephestusConfig;
  /** The author commits are made as; undefined when neither configuration nor environment names one. */
  author?: GitIdentity;
  /** The branch checked out. */
  branch: string;
  /** The commit checked out. */
  sha: string;
}

/** The branch a checkout clones when none is given, before the configuration names the default branch. */
export const ASSUMED_DEFAULT_BRANCH = 'main';

// Commits are only made after the configuration named the real author; a clone needs some identity up front.
const READ_ONLY_IDENTITY: GitIdentity = { name: 'hephestus', email: 'hephestus@localhost' };

export interface CheckoutOptions {
  repository: RepositoryName;
  /** The branch to clone; the configured default branch when undefined. */
  branch?: string;
  /** The flow commits: the clone must carry the configured author. */
  commits?: boolean;
  /**
   * Leave the tip's big files on the server and check out only the files the configuration names when there are
   * any (see clone-choice.ts): for a flow that reads and edits only those.
   */
  smallFilesOnly?: boolean;
}

/** Clones `repository` at `branch` and reads its configuration (`--config`, relative to the clone). */
export async function checkOut(context: FlowContext, options: CheckoutOptions): Promise<Checkout> {
  const envAuthor = gitAuthor(undefined, context.env);
  let result = await cloneAndRead(context, options, envAuthor ?? READ_ONLY_IDENTITY);
  const author = gitAuthor(result.config.git, context.env);
  if (options.commits && !author) {
    throw noAuthorError(context);
  }
  // The identity only reaches `git commit`: the configured author needs no second clone.
  if (options.commits && author && (author.name !== envAuthor?.name || author.email !== envAuthor?.email)) {
    result = { ...result, git: result.git.withIdentity(author) };
  }
  const defaultBranch = result.config.git.default_branch;
  const given = context.options.branch;
  if (options.branch === undefined && given !== undefined && given !== defaultBranch) {
    // This flow works from the default branch; a --branch it would not use is a mistake to say, not to ignore.
    if (options.repository.fullName === context.repository().fullName) {
      throw new InputError(
        `--branch ${given}: this flow works from the default branch ${defaultBranch} (git.default_branch); pass --branch ${defaultBranch} or leave --branch out`,
        { setting: '--branch' },
      );
    }
  }
  if (options.branch === undefined && result.branch !== defaultBranch) {
    // Cloned a guess; the configuration names the default branch.
    await result.git.fetchBranch(defaultBranch);
    await result.git.resetBranch(defaultBranch, trackingRef(defaultBranch));
    result = { ...result, branch: defaultBranch, sha: await result.git.revParse('HEAD') };
  }
  assertPathsInside(result.dir, result.config, configFileOf(context));
  return { ...result, author };
}

async function cloneAndRead(
  context: FlowContext,
  options: CheckoutOptions,
  identity: GitIdentity,
): Promise<Omit<Checkout, 'author'>> {
  const dir = join(await context.workDir('clone'), 'repo');
  const branch = options.branch ?? ASSUMED_DEFAULT_BRANCH;
  const clone = {
    url: `${context.endpoints.githubServer}/${options.repository.fullName}.git`,
    token: context.githubToken(),
    dir,
    branch,
    author: identity,
    // The newest commit only: a bump costs the same at 2,000 and 20,000 commits. The update branch is fetched
    // to a bounded depth, which its foreign-commit check needs (see update-branch.ts).
    history: 'tip' as const,
    redactor: context.logger.redactor,
  };
  const { git, sparse } = await (options.smallFilesOnly
    ? cloneSmallFiles(context, options.repository, clone)
    : cloneWhole(context, options.repository, clone)
  ).catch(async (error: unknown) => {
    if (options.branch !== undefined && isMissingBranch(error))
      throw await missingBranch(context, options.repository, options.branch);
    throw error;
  });
  const [config, sha] = await Promise.all([
    loadConfig(repoPath(dir, configFileOf(context), '--config')),
    git.revParse('HEAD'),
  ]);
  if (sparse) await git.sparseCheckout(filesToCheckOut(config, configFileOf(context)));
  // A template, pin or build name that is not there stops the flow here (exit 2), before it builds or writes.
  await assertRepositoryMatches(config, dir, configFileOf(context));
  return { repository: options.repository, git, dir, config, branch, sha };
}

type Clone = { git: GitRepository; sparse: boolean };

function cloneWhole(context: FlowContext, repository: RepositoryName, clone: CloneOptions): Promise<Clone> {
  context.logger.info(`cloning ${repository.fullName} (${clone.branch})`);
  return GitRepository.clone(clone).then((git) => ({ git, sparse: false }));
}

/**
 * Clones the tip leaving files above LARGE_FILE_BYTES on the server: as many round trips as a whole clone, and the
 * bytes of only the small files. When the tip has such files the checkout is sparse: the configuration now, the
 * files it names once it is read (see clone-choice.ts).
 */
async function cloneSmallFiles(
  context: FlowContext,
  repository: RepositoryName,
  clone: CloneOptions,
): Promise<Clone> {
  const git = await GitRepository.clone({
    ...clone,
    blobLimitBytes: LARGE_FILE_BYTES,
    sparse: [configFileOf(context)],
  });
  const choice = describeClone(git.filesLeftOnServer);
  context.logger.info(`cloned ${repository.fullName} (${clone.branch}) ${choice.way}: ${choice.reason}`);
  return { git, sparse: git.isSparse };
}

/** The branch a flow was asked for does not exist: exit 2 naming where it came from, with a did-you-mean. */
async function missingBranch(
  context: FlowContext,
  repository: RepositoryName,
  branch: string,
): Promise<InputError> {
  const setting = context.options.branch === branch ? '--branch' : 'CIRCLE_BRANCH';
  const branches = await context
    .github()
    .octokit.rest.git.listMatchingRefs({ owner: repository.owner, repo: repository.repo, ref: 'heads/' })
    .then(({ data }) => data.map((ref) => ref.ref.replace(/^refs\/heads\//, '')))
    .catch(() => []);
  const suggestion = closestMatch(branch, branches);
  return new InputError(
    `no branch ${branch} in ${repository.fullName}${suggestion ? `; did you mean ${suggestion}?` : ''}`,
    { setting },
  );
}

/** The string value at a configured target (embedded documents looked into), as the editor would read it. */
export async function readTarget(dir: string, target: FileTarget, setting: string): Promise<string> {
  return targetIn(await readFile(repoPath(dir, target.file, setting), 'utf8'), target, setting);
}

/** The string value at a configured target in `content` (the target file's text). */
export function targetIn(content: string, target: FileTarget, setting: string): string {
  const text = content.replace(/^\uFEFF/, '');
  const outer = updaterFor(target.file, target.format);
  // A templated YAML file (a Helm chart) is read with its template code set aside, as the editor does.
  const template = outer.format === 'yaml' ? maskTemplateActions(text) : undefined;
  try {
    const outerValue = outer.readString(template?.masked ?? text, target.path);
    const value =
      target.embedded === undefined || target.inner_path === undefined
        ? outerValue
        : updaterForFormat(target.embedded, `${setting}.embedded`).readString(outerValue, target.inner_path);
    if (template && !text.includes(value)) throw new Error('the value is written by template code');
    return value;
  } catch (error) {
    throw new InputError(`cannot read ${target.path} in ${target.file}: ${(error as Error).message}`, {
      file: target.file,
      setting,
    });
  }
}

export { repoPath };
