/**
 * What build-validate leaves for promote besides the AMI tags. An AMI carries its own record in tags (the
 * model in aws/image-tags plus the two below); an artifact of another builder (a docker image, a file, a
 * vSphere template) has nowhere to carry tags, so its would-be lock entry rides in a hidden block of the
 * build-validate comment on the pull request, which promote reads back after the merge.
 */
import { commentMarker } from '../github/pull-request-marker.js';
import type { PullRequests } from '../github/pull-requests.js';
import { type LockEntry, parseLockFile } from './lock-file.js';

/** Tags build-validate adds next to the image-tags model, for the lock file. */
export const RECORD_TAG = {
  packerVersion: 'hephestus:packer-version',
  runUrl: 'hephestus:run-url',
} as const;

/** The comment kind build-validate writes on a pull request. */
export const BUILD_COMMENT_KEY = 'build-validate';

const RECORD = /<!-- hephestus:artifacts (\{.*?\}) -->/;

/** The hidden block for `entries` (image to lock entry), escaped so no value can end the HTML comment. */
export function encodeArtifactRecords(entries: Record<string, LockEntry>): string {
  const json = JSON.stringify(entries)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/--/g, '-\\u002d');
  return `<!-- hephestus:artifacts ${json} -->`;
}

/** The entries a comment's hidden block holds; none when it has no (valid) block. */
export function decodeArtifactRecords(body: string): Record<string, LockEntry> {
  const match = RECORD.exec(body);
  if (!match?.[1]) return {};
  try {
    return parseLockFile(`{"version":1,"images":${match[1]}}`, 'build-validate comment').images;
  } catch {
    return {};
  }
}

/** The artifact records of the build-validate comment on pull request `number`. */
export async function artifactRecordsOf(
  prs: PullRequests,
  number: number,
): Promise<Record<string, LockEntry>> {
  const comment = (await prs.listComments(number)).find((c) =>
    c.body.includes(commentMarker(BUILD_COMMENT_KEY)),
  );
  return comment ? decodeArtifactRecords(comment.body) : {};
}
