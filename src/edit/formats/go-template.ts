/**
 * Templated YAML (a Helm chart's `templates/*.yaml`): Go template actions (`{{ ... }}`) make the file invalid YAML,
 * though the value Hephestus edits often sits in plain text around them (the embedded `config.edn` of a ConfigMap
 * whose metadata is templated). The actions are set aside for the edit: each is replaced by filler of the same
 * length (a line holding only actions becomes blank; an action within a line becomes `x`s), so every offset stays
 * the same. The edit runs on that text, and its change is put into the original only when it touches no action:
 * a value written by template code is refused with the reason. Pure: text in, text out.
 *
 * Written here because no library in reach parses Go templates and YAML together; the masking is the whole of it.
 */
import { lineColumnAt } from '../../errors.js';
import { EditError } from '../format.js';

export interface TemplateAction {
  start: number;
  end: number;
}

export interface MaskedTemplate {
  /** The text with every action replaced by filler of the same length. */
  masked: string;
  actions: TemplateAction[];
}

// An action runs from `{{` to the first `}}` (Go templates do not nest actions; a `}}` inside a string literal
// of an action is rare enough in charts to be left out).
const ACTION = /\{\{[\s\S]*?\}\}/g;

/** The text with its template actions masked, or undefined when it has none. */
export function maskTemplateActions(text: string): MaskedTemplate | undefined {
  const actions: TemplateAction[] = [];
  for (const match of text.matchAll(ACTION)) {
    actions.push({ start: match.index, end: match.index + match[0].length });
  }
  if (actions.length === 0) return undefined;
  let masked = '';
  let at = 0;
  for (const action of actions) {
    masked += text.slice(at, action.start);
    const fill = onlyActionsOnLines(text, action, actions) ? ' ' : 'x';
    // Line breaks inside a multi-line action stay, so lines keep their numbers.
    masked += text.slice(action.start, action.end).replace(/[^\r\n]/g, fill);
    at = action.end;
  }
  masked += text.slice(at);
  return { masked, actions };
}

/**
 * The original text with the edit (`maskedBefore` -> `maskedAfter`) applied, when the edit touched no action;
 * else an EditError naming the action's line.
 */
export function unmaskEdit(
  original: string,
  template: MaskedTemplate,
  maskedAfter: string,
  path: string,
): string {
  const before = template.masked;
  if (before === maskedAfter) return original;
  let start = 0;
  while (start < before.length && start < maskedAfter.length && before[start] === maskedAfter[start]) start++;
  let endBefore = before.length;
  let endAfter = maskedAfter.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === maskedAfter[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  const touched = template.actions.find((action) => action.start < endBefore && action.end > start);
  if (touched) {
    const { line } = lineColumnAt(original, touched.start);
    throw new EditError(
      'verification',
      `the value at ${path} is written by template code ({{ ... }} at line ${line}); Hephestus edits a templated ` +
        "file only where the value sits in plain text: set it in the chart's values file instead",
      lineColumnAt(original, touched.start),
    );
  }
  return original.slice(0, start) + maskedAfter.slice(start, endAfter) + original.slice(endBefore);
}

/** True when the lines `action` spans hold nothing but actions and blanks (e.g. `{{- include "labels" . }}`). */
function onlyActionsOnLines(
  text: string,
  action: TemplateAction,
  actions: readonly TemplateAction[],
): boolean {
  const lineStart = text.lastIndexOf('\n', action.start - 1) + 1;
  const next = text.indexOf('\n', action.end);
  const lineEnd = next < 0 ? text.length : next;
  let rest = '';
  let at = lineStart;
  for (const other of actions) {
    if (other.end <= lineStart || other.start >= lineEnd) continue;
    rest += text.slice(at, Math.max(at, other.start));
    at = Math.max(at, other.end);
  }
  rest += text.slice(at, lineEnd);
  return rest.trim() === '';
}
