/**
 * A map with a bound on the tasks running at once, for flows that fan out over images, regions or consumers
 * within a service's limits. Small enough to keep here: p-limit's queue does the same, with a dependency.
 */

/** `task` over `items`, at most `limit` running at once; the results in the order of `items`, or the first failure. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T, index);
      } catch (error) {
        // The other workers stop taking new items; those already running finish.
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
