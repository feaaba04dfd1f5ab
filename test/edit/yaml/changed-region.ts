/** The part of `before` that `after` replaced: what is left after removing their common prefix and suffix. */
export function changedRegion(
  before: string,
  after: string,
): { start: number; end: number; inserted: string } {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let suffix = 0;
  while (
    suffix < before.length - start &&
    suffix < after.length - start &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  ) {
    suffix++;
  }
  return { start, end: before.length - suffix, inserted: after.slice(start, after.length - suffix) };
}

/** Whether `after` differs from `before` only inside the one occurrence of `oldText` at or after `from`. */
export function changedOnlyWithin(before: string, after: string, oldText: string, from = 0): boolean {
  const start = before.indexOf(oldText, from);
  if (start < 0) throw new Error(`${JSON.stringify(oldText)} is not in the text`);
  const region = changedRegion(before, after);
  return region.start >= start && region.end <= start + oldText.length;
}
