/** The commit message and pull request body of a base AMI update (open-update). Pure. */
import { codeSpan, escapeMarkdown } from '../github/markdown.js';
import type { BaseAmiCheck } from '../images/base-ami-check.js';

export function baseAmiCommitMessage(checks: BaseAmiCheck[]): string {
  const lines = checks.map((c) => `- ${c.image}: ${c.pinned} -> ${c.latest} (${c.latestName})`);
  const names = checks.map((c) => c.image).join(', ');
  return `Update base AMIs: ${names || 'none'}\n\n${lines.join('\n')}\n`;
}

/** The table of pins and newest base AMIs, and what merging does. */
export function baseAmiPullRequestBody(checks: BaseAmiCheck[], rebuild: boolean): string {
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
