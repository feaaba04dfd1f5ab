/**
 * A bound on AWS calls made at once. EC2 throttles the Describe* actions per account and region with a bucket of
 * 100 requests refilled at 20 a second; a flow that fans out over many images and regions stays well inside it
 * when it keeps at most {@link AWS_CALLS_AT_ONCE} tasks running, each making a call or two.
 */

/** Tasks running at once in {@link mapBounded}'s AWS uses (each makes at most two calls at a time). */
export const AWS_CALLS_AT_ONCE = 32;

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
