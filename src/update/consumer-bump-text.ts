/** The commit message and pull request body of a consumer's update. Pure. */
import { codeSpan, escapeMarkdown } from '../github/markdown.js';
import type { ImageAmiMap } from '../images/image-set.js';
import type { FileBump } from './consumer-bump.js';
import { encodeImages } from './images-marker.js';

export function consumerCommitMessage(bumps: readonly FileBump[]): string {
  const names = [...new Set(bumps.map((b) => b.image))].join(', ');
  const lines = bumps.map((b) => `- ${b.file} ${b.innerPath ?? b.path}: ${b.before} -> ${b.after}`);
  return `Update Windows images: ${names}\n\n${lines.join('\n')}\n`;
}

/** Why a consumer's update is a rollback: revoke's reason and job link, both cleaned by the caller. */
export interface RollbackNote {
  reason: string;
  url?: string;
}

/** The update pull request's title: an update, or a rollback after revoke. */
export function consumerPullRequestTitle(names: readonly string[], rollback?: RollbackNote): string {
  return `Windows image ${rollback ? 'rollback' : 'update'}: ${names.join(', ')}`;
}

/** The table of edits, and the images for announce in a hidden block. */
export function consumerPullRequestBody(
  bumps: readonly FileBump[],
  images: ImageAmiMap,
  rollback?: RollbackNote,
): string {
  const rows = bumps.map(
    (b) =>
      `| ${escapeMarkdown(b.image)} | ${codeSpan(b.file)} | ${codeSpan(b.innerPath ?? b.path)} | ${codeSpan(b.before)} | ${codeSpan(b.after)} |`,
  );
  const intro = rollback
    ? [
        `**Rollback.** The images these places named were revoked: ${escapeMarkdown(rollback.reason)}`,
        `Hephestus puts back the images their channels hold again (validated earlier).${rollback.url ? ` [Revoke job](${rollback.url})` : ''}`,
      ]
    : ['New Windows images passed validation; Hephestus updated the places that name them.'];
  return [
    ...intro,
    '',
    '| image | file | path | from | to |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Merging announces the rollout.',
    '',
    encodeImages(images),
  ].join('\n');
}
