/**
 * Hidden markers Hephestus leaves in what it writes on GitHub, so a later run recognises its own work:
 * the state block at the end of an update PR's body (which image set, which labels and reviewers Hephestus set,
 * so it removes only its own labels and never re-requests a review already given), and comment markers
 * (to edit a comment in place instead of posting it again).
 */
import { z } from 'zod';

/** What Hephestus set on an update pull request. */
export interface ManagedState {
  imageSet: string;
  labels: string[];
  reviewers: string[];
  teamReviewers: string[];
}

const STATE_PREFIX = '<!-- hephestus:pull-request ';
const STATE_PATTERN = /\n*<!-- hephestus:pull-request (\{.*?\}) -->\s*$/s;

const ManagedStateSchema = z.object({
  imageSet: z.string(),
  labels: z.array(z.string()).default([]),
  reviewers: z.array(z.string()).default([]),
  teamReviewers: z.array(z.string()).default([]),
});

/** `body` with the state block appended (any earlier one replaced); lists are sorted so equal states give equal bodies. */
export function withManagedState(body: string, state: ManagedState): string {
  const sorted: ManagedState = {
    imageSet: state.imageSet,
    labels: sortedUnique(state.labels),
    reviewers: sortedUnique(state.reviewers),
    teamReviewers: sortedUnique(state.teamReviewers),
  };
  // `<` and `>` escaped so that no value can close the HTML comment early.
  const json = JSON.stringify(sorted).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
  const text = withoutManagedState(body).trimEnd();
  return `${text}${text ? '\n\n' : ''}${STATE_PREFIX}${json} -->\n`;
}

/** The state block of a PR body, or undefined when there is none or it does not parse. */
export function readManagedState(body: string): ManagedState | undefined {
  const match = STATE_PATTERN.exec(normalizeBody(body));
  if (!match?.[1]) return undefined;
  try {
    const parsed = ManagedStateSchema.safeParse(JSON.parse(match[1]));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** `body` without its state block. */
export function withoutManagedState(body: string): string {
  return normalizeBody(body).replace(STATE_PATTERN, '');
}

/** The hidden line that identifies a comment of kind `key` (`update-blocked`), as its first line. */
export function commentMarker(key: string): string {
  return `<!-- hephestus:comment ${key} -->`;
}

/** A comment body carrying the marker of `key`. */
export function markedComment(key: string, text: string): string {
  return `${commentMarker(key)}\n${text.trimEnd()}\n`;
}

/** GitHub may hand back `\r\n` line ends for a body sent with `\n`; compare bodies after this. */
export function normalizeBody(body: string): string {
  return body.replace(/\r\n/g, '\n');
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort((a, b) => a.localeCompare(b));
}
