/**
 * Reads why `git push --porcelain` refused a ref. A branch that moved under us ("someone pushed first") is worth
 * a fetch and another try; a refusal by the server (protected branch, hook) is not.
 */

/** `moved`: the remote branch is not where we expected (retry on top of it); `refused`: the server said no. */
export type PushRejection = 'moved' | 'refused';

/** Client-side reasons (`[rejected] (...)`) and server-side lock failures that mean the branch moved meanwhile. */
const MOVED = [
  /\[rejected\].*\((stale info|fetch first|non-fast-forward)\)/,
  /\[remote rejected\].*\((cannot lock ref|failed to update ref|incorrect old value)/,
];

/** Classifies the output of a failed push; `undefined` when no ref was rejected (a network or auth failure). */
export function pushRejection(output: string): PushRejection | undefined {
  if (MOVED.some((pattern) => pattern.test(output))) return 'moved';
  if (/\[(remote )?rejected\]/.test(output)) return 'refused';
  return undefined;
}
