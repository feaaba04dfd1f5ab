/** bump-consumer in a clone (`--via clone`, the default): the files edited on disk, committed and pushed with git. */
import { editFile } from '../edit/edit-file.js';
import type { FlowContext, RepositoryName } from '../flows/flow-context.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { ImageAmiMap } from '../images/image-set.js';
import { lockedImages } from '../lock/locked-images.js';
import { ASSUMED_DEFAULT_BRANCH, type Checkout, checkOut, readTarget, repoPath } from './checkout.js';
import { type CommittedBump, type PlannedBump, planBumps, planOf, startAmiCheck } from './consumer-bump.js';
import { consumerCommitMessage } from './consumer-bump-text.js';
import { commitUpdate, reportedHead } from './update-branch.js';

/** Plans, checks and commits the bump of `repository` to `given` (else the lock file's images) on its update branch. */
export async function bumpInClone(
  context: FlowContext,
  repository: RepositoryName,
  given: ImageAmiMap | undefined,
  prs: PullRequests,
): Promise<CommittedBump> {
  // Listed while the clone runs, against the branch the clone assumes is the default one (listed again when
  // the configuration names another): one round trip less on the way to the push.
  const listed = prs.listOpen(ASSUMED_DEFAULT_BRANCH).then(
    (list) => ({ list }),
    (error: unknown) => ({ error }),
  );
  // Only the configured files are read and edited: a big repository is cloned without the rest (clone-choice.ts).
  const checkout = await checkOut(context, { repository, commits: true, smallFilesOnly: true });
  const early = await listed;
  const openPullRequests =
    checkout.config.git.default_branch === ASSUMED_DEFAULT_BRANCH && 'list' in early
      ? early.list
      : await prs.listOpen(checkout.config.git.default_branch);
  const images = given ?? (await lockedImages(context, checkout.config));
  // EC2's answer is awaited before anything leaves the clone (see commitUpdate's `checked`): the files are edited
  // and committed meanwhile, a round trip off the way to the push.
  const checked = startAmiCheck(context, checkout.config, images);
  const bumps = await planBumps(checkout.config, images, (entry, setting) =>
    readTarget(checkout.dir, entry, setting),
  );
  const plan = planOf(checkout.config, bumps, images);
  const commit = await commitUpdate(
    context,
    checkout,
    plan.branch,
    consumerCommitMessage(bumps),
    () => editFiles(checkout, bumps),
    reportedHead(openPullRequests, repository, plan.branch),
    { checked },
  );
  return { target: checkout, plan, openPullRequests, commit };
}

/** Writes each bump into its file, in the order of `bump.files`. */
async function editFiles(checkout: Checkout, bumps: readonly PlannedBump[]): Promise<void> {
  for (const [index, entry] of (checkout.config.bump?.files ?? []).entries()) {
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
}
