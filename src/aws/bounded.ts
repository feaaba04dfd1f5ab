/**
 * A bound on AWS calls made at once. EC2 throttles the Describe* actions per account and region with a bucket of
 * 100 requests refilled at 20 a second; a flow that fans out over many images and regions stays well inside it
 * when it keeps at most {@link AWS_CALLS_AT_ONCE} tasks running, each making a call or two.
 */

/** Tasks running at once in mapBounded's AWS uses (map-bounded.ts; each makes at most two calls at a time). */
export const AWS_CALLS_AT_ONCE = 32;
