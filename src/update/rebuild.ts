/**
 * A rebuild asked for by hand (`open-update --force` with every base AMI pin current): open-update commits it as a
 * commit without changes whose subject names the images, build-validate builds those images again instead of
 * reusing validated AMIs of the same inputs, and a scheduled run leaves its pull request open. Only a commit of
 * ours (author and committer) counts. Pure.
 */
import { type CommitSummary, foreignCommits, type GitIdentity } from '../git/git-repository.js';

const SUBJECT = 'Rebuild images: ';

/** The commit message of a rebuild of `images`. */
export function rebuildMessage(images: readonly string[]): string {
  return `${SUBJECT}${images.join(', ')}\n\nAsked for by hand (--force) with every base AMI pin current.\n`;
}

/** The images `commit` asks to rebuild: empty unless it is our own rebuild commit. */
export function rebuildOf(commit: CommitSummary, author: GitIdentity | undefined): string[] {
  if (!author || !commit.subject.startsWith(SUBJECT)) return [];
  if (foreignCommits([commit], [author]).length > 0) return [];
  return commit.subject
    .slice(SUBJECT.length)
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}
