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

/** Starts every configured consumer's update; the outcomes in configuration order, and the comment's summary line. */
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
  const outcomes: ConsumerOutcome[] = [];
  for (const consumer of consumers) outcomes.push(await startConsumer(context, consumer, start, triggered));
  if (context.dryRun || triggers.length === 0) return { consumers: outcomes, summary: [] };
  const body = promotedComment({ ...promoted, consumers: outcomes }, triggered);
  const comment = await start.prs.upsertComment(start.prNumber, PROMOTE_COMMENT_KEY, body);
  return { consumers: outcomes, summary: [`comment ${comment.action} on #${start.prNumber}`] };
}

/** Starts one consumer's update: its pipeline triggered (unless `triggered` has it), or its pull request opened. */
export function startConsumer(
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
