/** The comment monitor leaves on the dashboard issue after acting on ticked boxes. Pure. */
import { escapeMarkdown } from '../github/markdown.js';
import type { ActionOutcome } from './dashboard-actions.js';
import { boxLabel } from './dashboard-boxes.js';

const VERDICT: Record<ActionOutcome['outcome'], string> = {
  done: 'done',
  refused: 'refused',
  failed: 'failed (try again by ticking it again)',
  'would-do': 'dry run, nothing changed',
};

/** One line per ticked box: what it asked, and what monitor did or why it refused. */
export function actionComment(outcomes: readonly ActionOutcome[], runUrl?: string): string {
  const run = runUrl && /^https?:\/\/[^\s<>()[\]`|]+$/.test(runUrl) ? ` ([monitor run](${runUrl}))` : '';
  return [
    `Hephestus acted on the ticked boxes${run}:`,
    '',
    ...outcomes.map(
      (o) => `- ${boxLabel(o.action)}: **${VERDICT[o.outcome]}**: ${escapeMarkdown(o.message)}`,
    ),
    '',
  ].join('\n');
}
