/**
 * The check boxes of the dashboard issue: what each asks for, the line monitor renders for it, and which ones
 * a person ticked. Pure.
 *
 * Ticks are untrusted. A box counts only when its line carries the hidden per-box id monitor itself put there
 * (never matched by label text), that id is among the boxes monitor wrote in the state block, and it
 * is among the boxes monitor offers now (so the image and channel still exist in the configuration). A line
 * anyone else adds, with or without a copied id, for something monitor never offered is ignored.
 */
import { z } from 'zod';
import { hiddenBlock } from '../github/hidden-state.js';
import { escapeMarkdown } from '../github/markdown.js';

/** What a box asks monitor to do. */
export type DashboardAction =
  | { kind: 'rebuild'; image: string }
  | { kind: 'promote'; image: string; from: string; to: string }
  | { kind: 'revoke'; image: string; channel: string };

/** The hidden id at the end of each box's line. */
export const DASHBOARD_BOX = hiddenBlock('dashboard-box', z.object({ id: z.string().min(1).max(300) }));

/** The issue's own state: which boxes monitor rendered (the only ids whose ticks count). */
export const DASHBOARD_STATE = hiddenBlock(
  'dashboard',
  z.object({ version: z.literal(1), boxes: z.array(z.string()) }),
);

/** A box's id: the action and what it acts on (`promote/win2022/canary`). */
export function boxId(action: DashboardAction): string {
  switch (action.kind) {
    case 'rebuild':
      return `rebuild/${action.image}`;
    case 'promote':
      return `promote/${action.image}/${action.from}`;
    case 'revoke':
      return `revoke/${action.image}/${action.channel}`;
  }
}

/** What a box says, for people; every name escaped. */
export function boxLabel(action: DashboardAction): string {
  const image = `**${escapeMarkdown(action.image)}**`;
  switch (action.kind) {
    case 'rebuild':
      return `Rebuild ${image} now (an update PR with the current base AMI)`;
    case 'promote':
      return `Promote ${image} from ${escapeMarkdown(action.from)} to ${escapeMarkdown(action.to)}`;
    case 'revoke':
      return `Revoke ${image} in ${escapeMarkdown(action.channel)} (roll the channel back)`;
  }
}

/** The box's line, unticked. */
export function boxLine(action: DashboardAction): string {
  return `- [ ] ${boxLabel(action)} ${DASHBOARD_BOX.encode({ id: boxId(action) })}`;
}

const BOX_LINE = /^\s*[-*] \[([ xX])\] .*$/;

/** The ids of the ticked boxes in `body` (any line of the box form carrying a box id), in order, once each. */
export function tickedIds(body: string): string[] {
  const ids = body.split(/\r?\n/).flatMap((line) => {
    const match = BOX_LINE.exec(line);
    if (!match || match[1] === ' ') return [];
    const box = DASHBOARD_BOX.decodeAll(line);
    return box.length === 1 && box[0] ? [box[0].id] : [];
  });
  return [...new Set(ids)];
}

/**
 * The actions ticked in `body` that count: ids monitor wrote (its state block) and offers now (`offered`).
 * `ignored` names the other ticked ids, for the log.
 */
export function tickedActions(
  body: string,
  offered: readonly DashboardAction[],
): { actions: DashboardAction[]; ignored: string[] } {
  const written = new Set(DASHBOARD_STATE.decode(body)?.boxes ?? []);
  const byId = new Map(offered.map((action) => [boxId(action), action]));
  const actions: DashboardAction[] = [];
  const ignored: string[] = [];
  for (const id of tickedIds(body)) {
    const action = byId.get(id);
    if (action && written.has(id)) actions.push(action);
    else ignored.push(id);
  }
  return { actions, ignored };
}

/** `body` with the boxes of `ids` unticked (every other character kept). */
export function untick(body: string, ids: readonly string[]): string {
  const wanted = new Set(ids);
  return body
    .split('\n')
    .map((line) => {
      const box = DASHBOARD_BOX.decodeAll(line);
      if (box.length !== 1 || !box[0] || !wanted.has(box[0].id)) return line;
      return line.replace(/^(\s*[-*] )\[[xX]\]/, '$1[ ]');
    })
    .join('\n');
}
