/**
 * The git half of an update without a clone, for updates of a few small files: the new files committed on the
 * default branch's tip through GitHub's git data API (a tree on the base tree, a commit as the configured
 * author) and the update branch created or moved to it. The same results as the clone path (update-branch.ts):
 * nothing written when the branch already holds the same content, and a branch carrying someone else's commits
 * on top of ours never overwritten.
 *
 * GitHub's ref update has no compare-and-swap (a push's lease): a commit someone pushes between our compare and
 * our forced move is lost. The window is two requests long; the clone path (`--via clone`, the default) has none.
 */
import { FailureError } from '../errors.js';
import type { FlowContext } from '../flows/flow-context.js';
import type { GitIdentity } from '../git/git-repository.js';
import { type BranchTip, blobSha, type FileContent, type GitData } from '../github/git-data.js';
import { commitsNotOurs } from './foreign-commits.js';
import type { UpdateCommit } from './update-branch.js';

export interface ApiUpdateCommitInput {
  data: GitData;
  /** The default branch's tip the files were read at. */
  base: BranchTip;
  branch: string;
  message: string;
  author: GitIdentity;
  /** The files the update changes (unchanged ones left out), with their new text. */
  files: readonly FileContent[];
  /** The update's diff against the base, for the report. */
  diff: string;
}

// A branch created (or moved by someone) between our read and our write is looked at once more, then we give up.
const ATTEMPTS = 2;

/** Brings `input.branch` to the update as described in the module comment; dry runs write nothing. */
export async function commitUpdateViaApi(
  context: FlowContext,
  input: ApiUpdateCommitInput,
): Promise<UpdateCommit> {
  const { data, branch, diff } = input;
  for (let attempt = 1; ; attempt++) {
    const remote = await data.branchSha(branch);
    if (input.files.length === 0) {
      // The default branch holds the update. A branch with someone's work on it is theirs to close; ours goes.
      const foreign =
        remote === undefined
          ? []
          : (
              await commitsNotOurs(context, data.repository, {
                branch,
                base: input.base.sha,
                head: remote,
                author: input.author,
              })
            ).foreign;
      return {
        step: {
          status: 'no-diff',
          branchExists: remote !== undefined,
          ...(foreign.length ? { foreignCommits: foreign } : {}),
        },
        diff: '',
      };
    }
    if (remote !== undefined) {
      const { foreign, comparison } = await commitsNotOurs(context, data.repository, {
        branch,
        base: input.base.sha,
        head: remote,
        author: input.author,
      });
      if (foreign.length > 0) {
        // Someone's commits stay: up to date when the branch holds the update's files already, else left to them
        // (putting the update on top could undo what they meant).
        const holds = holdsFiles(comparison.files, input.files);
        return holds
          ? { step: { status: 'up-to-date', foreignCommits: foreign }, diff, sha: remote }
          : { step: { status: 'blocked', foreignCommits: foreign }, diff };
      }
      if (comparison.behindBy === 0 && sameFiles(comparison.files, input.files)) {
        return { step: { status: 'up-to-date' }, diff, sha: remote };
      }
    }
    if (context.dryRun) {
      context.wouldDo(`commit and move ${branch} (${remote ? 'replacing' : 'creating'} it) through the API`);
      return { step: { status: 'pushed' }, diff };
    }
    const tree = await data.createTree(input.base.tree, input.files);
    const commit = await data.createCommit(input.message, tree, [input.base.sha], input.author);
    // The branch holds only our commits (checked above): replacing them is rebuilding our own update.
    const moved =
      remote === undefined
        ? await data.createBranch(branch, commit)
        : await data.moveBranch(branch, commit, true);
    if (moved.ok) {
      context.logger.info(`committed ${branch} at ${commit.slice(0, 12)} through the API`);
      return { step: { status: 'pushed' }, diff, sha: commit };
    }
    if (attempt >= ATTEMPTS) {
      throw new FailureError(
        `GitHub: could not ${remote ? 'move' : 'create'} ${branch} in ${data.fullName}: ${moved.message}`,
      );
    }
  }
}

/**
 * True when the branch's changes against the base are exactly `files`, byte for byte: the branch's tree is the
 * tree the update would write, with no tree written to find out.
 */
function sameFiles(
  changed: ReadonlyArray<{ path: string; sha: string | null; status: string }>,
  files: readonly FileContent[],
): boolean {
  if (changed.length !== files.length) return false;
  const wanted = new Map(files.map((file) => [file.path, blobSha(file.text)]));
  return changed.every((file) => file.status !== 'removed' && wanted.get(file.path) === file.sha);
}

/** True when every file of the update has, on the branch, the text the update would write (other changes aside). */
function holdsFiles(
  changed: ReadonlyArray<{ path: string; sha: string | null; status: string }>,
  files: readonly FileContent[],
): boolean {
  const onBranch = new Map(changed.filter((f) => f.status !== 'removed').map((f) => [f.path, f.sha]));
  return files.every((file) => onBranch.get(file.path) === blobSha(file.text));
}
