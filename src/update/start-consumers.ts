/**
 * promote's last step: each consumer's update starts, either as a pipeline of the consumer triggered with the
 * images as a parameter (remembered in promote's comment on the merged PR, so a re-run does not trigger it twice
 * unless `--force`), or as the consumer's update pull request opened directly.
 */
import type { HephestusConfig } from '../config/config-schema.js';
import type { FlowContext, RepositoryName } from '../flows/flow-context.js';
import { parseRepository } from '../flows/flow-context.js';
import type { PullRequestRef } from '../flows/flow-report.js';
import type { PullRequests } from '../github/pull-requests.js';
import type { Outcome } from '../github/update-pull-request.js';
import type { ImageAmiMap } from '../images/image-set.js';
import { mapBounded } from '../map-bounded.js';
import {
  PROMOTE_COMMENT_KEY,
  type PromotedSummary,
  promotedComment,
  type TriggeredPipelines,
  triggeredPipelines,
} from './promoted-comment.js';

type ConsumerConfig = HephestusConfig['consumers'][number];

export interface ConsumerOutcome {
  repository: string;
  mode: 'trigger' | 'pull-request';
  /** A pipeline's, or the consumer's update pull request's. */
  outcome: 'triggered' | 'already-triggered' | 'would-trigger' | Outcome;
  projectSlug?: string;
  pipeline?: { id: string; number?: number };
  pullRequest?: PullRequestRef;
}

/** Opens a consumer's update pull request (bump-consumer on that repository). */
export type BumpRepository = (
  repository: RepositoryName,
  images: ImageAmiMap,
) => Promise<{ outcome: Outcome; pullRequest?: PullRequestRef }>;

/** The pipeline parameters, checked: `images` as JSON, and revoke's `rollback_reason` and `rollback_url`. */
export type ConsumerParameters = { images: string } & Record<string, string>;

/** What one consumer's start needs. */
export interface OneConsumerStart {
  images: ImageAmiMap;
  parameters: ConsumerParameters;
  bump: BumpRepository;
}

export interface ConsumerStart extends OneConsumerStart {
  prs: PullRequests;
  /** The merged pull request that carries promote's comment. */
  prNumber: number;
}

/**
 * Consumers started at once. A start is one CircleCI request (a trigger) or a bump (a clone and a few GitHub
 * requests, its writes one at a time through the client's queue); one after another, a platform's hundred
 * consumers cost a hundred round trips or more. 16 keeps that to about seven, far inside GitHub's 100 concurrent
 * requests, and CircleCI answers a burst it will not take with 429 and Retry-After, which its client honours.
 */
export const CONSUMERS_AT_ONCE = 16;

/** A consumer whose start failed, and why. */
export interface ConsumerFailure {
  repository: string;
  error: unknown;
}

/**
 * Starts every consumer, {@link CONSUMERS_AT_ONCE} at a time. One that fails does not stop the others: the
 * outcomes of those that started (in configuration order) and the failures, for the caller to record the first
 * before it reports the second ({@link failWithFirst}).
 */
export async function startEach(
  context: FlowContext,
  consumers: readonly ConsumerConfig[],
  start: OneConsumerStart,
  triggered: TriggeredPipelines,
): Promise<{ outcomes: ConsumerOutcome[]; failures: ConsumerFailure[] }> {
  const settled = await mapBounded(consumers, CONSUMERS_AT_ONCE, (consumer) =>
    startConsumer(context, consumer, start, triggered).then(
      (outcome) => ({ outcome }),
      (error: unknown) => ({ failure: { repository: consumer.repository, error } }),
    ),
  );
  return {
    outcomes: settled.flatMap((one) => ('outcome' in one ? [one.outcome] : [])),
    failures: settled.flatMap((one) => ('failure' in one ? [one.failure] : [])),
  };
}

/** Logs every failed start, naming its consumer, and throws the first one's error (its exit code). */
export function failWithFirst(context: FlowContext, failures: readonly ConsumerFailure[]): void {
  const [first] = failures;
  if (!first) return;
  for (const failure of failures) {
    const why = failure.error instanceof Error ? failure.error.message : String(failure.error);
    context.logger.error(`consumer ${failure.repository} did not start: ${why}`);
  }
  throw first.error;
}

/**
 * Starts every configured consumer's update; the outcomes in configuration order, and the comment's summary line.
 * When some fail, the comment still records the pipelines that were triggered (so a re-run does not trigger them
 * again) before the first failure is thrown.
 */
export async function startConsumers(
  context: FlowContext,
  consumers: readonly ConsumerConfig[],
  start: ConsumerStart,
  promoted: Omit<PromotedSummary, 'consumers'>,
): Promise<{ consumers: ConsumerOutcome[]; summary: string[] }> {
  const triggers = consumers.filter((c) => c.mode === 'trigger');
  const existing = triggers.length
    ? await start.prs.ownComment(start.prNumber, PROMOTE_COMMENT_KEY)
    : undefined;
  const triggered = triggeredPipelines(existing?.body);
  const { outcomes, failures } = await startEach(context, consumers, start, triggered);
  const newlyTriggered = outcomes.some((outcome) => outcome.outcome === 'triggered');
  if (context.dryRun || triggers.length === 0 || (failures.length > 0 && !newlyTriggered)) {
    failWithFirst(context, failures);
    return { consumers: outcomes, summary: [] };
  }
  const body = promotedComment({ ...promoted, consumers: outcomes }, triggered);
  const comment = await start.prs.upsertComment(start.prNumber, PROMOTE_COMMENT_KEY, body);
  failWithFirst(context, failures);
  return { consumers: outcomes, summary: [`comment ${comment.action} on #${start.prNumber}`] };
}

/** Starts one consumer's update: its pipeline triggered (unless `triggered` has it), or its pull request opened. */
function startConsumer(
  context: FlowContext,
  consumer: ConsumerConfig,
  start: OneConsumerStart,
  triggered: TriggeredPipelines,
): Promise<ConsumerOutcome> {
  return consumer.mode === 'pull-request'
    ? openConsumerPullRequest(consumer, start)
    : triggerConsumer(context, consumer, start.parameters, triggered);
}

async function openConsumerPullRequest(
  consumer: ConsumerConfig,
  start: OneConsumerStart,
): Promise<ConsumerOutcome> {
  const bumped = await start.bump(
    parseRepository(consumer.repository, 'consumers[].repository'),
    start.images,
  );
  return {
    repository: consumer.repository,
    mode: 'pull-request',
    outcome: bumped.outcome,
    pullRequest: bumped.pullRequest,
  };
}

/** Triggers the consumer's pipeline unless this run's images already did (recorded in `triggered`). */
async function triggerConsumer(
  context: FlowContext,
  consumer: ConsumerConfig,
  parameters: ConsumerParameters,
  triggered: TriggeredPipelines,
): Promise<ConsumerOutcome> {
  const projectSlug = consumer.project_slug ?? `gh/${consumer.repository}`;
  const key = `${projectSlug}@${consumer.branch}`;
  const trigger = (outcome: ConsumerOutcome['outcome'], pipeline?: ConsumerOutcome['pipeline']) => ({
    repository: consumer.repository,
    mode: 'trigger' as const,
    outcome,
    projectSlug,
    ...(pipeline ? { pipeline } : {}),
  });
  const before = triggered[key];
  if (before && before.images === parameters.images && !context.options.force)
    return trigger('already-triggered', { id: before.id });
  if (context.dryRun) {
    context.wouldDo(
      `trigger a pipeline of ${projectSlug} on ${consumer.branch} with images=${parameters.images}`,
    );
    return trigger('would-trigger');
  }
  const pipeline = await context
    .circleci()
    .triggerPipeline({ projectSlug, branch: consumer.branch, parameters });
  context.logger.info(`triggered pipeline ${pipeline.number} of ${projectSlug} (${consumer.branch})`);
  triggered[key] = { id: pipeline.id, images: parameters.images };
  return trigger('triggered', { id: pipeline.id, number: pipeline.number });
}
