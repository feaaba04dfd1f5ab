/**
 * revoke (by hand, on the images repository, at night when an image turned out bad): takes the image's AMIs
 * out of service everywhere. It marks them revoked in every region (tags with the reason, time and job) and
 * disables them (or deprecates them, `revoke.ec2_action`), rolls every channel one of them held back to its
 * previous validated image, records the revocation in the lock file (through the lock pull request), sends
 * each consumer the rolled-back AMIs with the reason (its update is worded as a rollback), and posts an
 * incident notice. A re-run finds each step done: the tags say so, the lock file holds the same bytes, and
 * the `revoke-announced` tag on the AMIs keeps consumers and the notice from going out twice.
 */
import { TAG } from '../aws/image-tags.js';
import { markRevokeAnnounced, type RetireAction } from '../aws/revoke-ami.js';
import { checkPipelineParameters } from '../circleci/pipeline-parameters.js';
import type { HephestusConfig, ImageConfig } from '../config/config-schema.js';
import { InputError } from '../errors.js';
import { publishingOf } from '../images/channel-moves.js';
import type { ImageAmiMap } from '../images/image-set.js';
import {
  type ChannelRollback,
  findRevokeTargets,
  type MarkedAmi,
  markRevoked,
  type RevokeTarget,
  rollBackChannels,
} from '../images/revoke-images.js';
import { jobLink, oneLine, revokeReason } from '../images/revoke-reason.js';
import type { LockWrite } from '../lock/lock-store.js';
import { recordRevocation } from '../lock/revocation-record.js';
import { InMemoryMessageMemory } from '../slack/message-memory.js';
import { revokedMessage } from '../slack/revoked-message.js';
import { type Checkout, checkOut } from '../update/checkout.js';
import { notify, slackFailed } from '../update/notices.js';
import { type ConsumerOutcome, failWithFirst, startEach } from '../update/start-consumers.js';
import { bumpRepository } from './bump-consumer.js';
import { type FlowContext, startReport } from './flow-context.js';
import type { FlowReportBase } from './flow-report.js';

export interface RevokeReport extends FlowReportBase {
  flow: 'revoke';
  outcome: 'revoked';
  image: string;
  reason: string;
  ec2Action: RetireAction;
  amis: MarkedAmi[];
  channels: ChannelRollback[];
  lock?: LockWrite;
  /** The pipeline parameters given to consumers: the rolled-back images, the reason and the job. */
  parameters?: Record<string, string>;
  consumers: ConsumerOutcome[];
  /** True when an earlier run already started the consumers and sent the notice. */
  alreadyAnnounced: boolean;
}

/** Who revoked, for tags, the lock file and the notice: the CircleCI job, else the user. */
interface Revoker {
  jobUrl?: string;
  by: string;
}

/** One revoke run: where it works, what it revokes, who runs it, and the report it fills in. */
interface RevokeRun {
  checkout: Checkout;
  image: ImageConfig;
  revoker: Revoker;
  report: RevokeReport;
}

/** Runs revoke; see the module comment. */
export async function revoke(context: FlowContext): Promise<RevokeReport> {
  const run = await startRevoke(context);
  const targets = await findRevokeTargets(
    context,
    run.image,
    run.checkout.config.channels,
    context.options.ami ?? [],
    run.report.reason,
  );
  // A re-run keeps the first run's time, so the lock file comes out the same bytes.
  const at = targets.find((t) => t.record.tags.revokedAt)?.record.tags.revokedAt ?? new Date().toISOString();
  await takeOutOfService(context, run, targets, at);
  await rollBackTheChannels(context, run, targets);
  await recordInLock(context, run, targets, at);
  if (announcedBefore(run, targets)) return run.report;
  await rollBackConsumers(context, run);
  await announce(context, run, targets);
  return run.report;
}

/** Checks the input (reason, image) before anything else, and starts the report. */
async function startRevoke(context: FlowContext): Promise<RevokeRun> {
  const repository = context.repository();
  const reason = revokeReason(context.options.reason);
  const checkout = await checkOut(context, { repository, commits: true });
  const image = configuredImage(checkout.config, context.options.image);
  const report = startReport<RevokeReport>(context, repository, {
    flow: 'revoke',
    outcome: 'revoked',
    image: image.name,
    reason,
    ec2Action: checkout.config.revoke.ec2_action,
    amis: [],
    channels: [],
    consumers: [],
    alreadyAnnounced: false,
  });
  return { checkout, image, revoker: revokerOf(context.env), report };
}

/** Tags the AMIs revoked and disables (or deprecates) them. */
async function takeOutOfService(
  context: FlowContext,
  { report, revoker }: RevokeRun,
  targets: readonly RevokeTarget[],
  at: string,
): Promise<void> {
  const marks = { reason: report.reason, at, by: revoker.jobUrl ?? revoker.by };
  report.amis = await markRevoked(context, targets, marks, report.ec2Action);
  report.summary.push(
    ...report.amis.map((a) => `${a.imageId} (${a.region}): tags ${a.tagged}, ${a.retired}`),
  );
}

/** Rolls every channel a revoked AMI held back to the image it held before. */
async function rollBackTheChannels(
  context: FlowContext,
  { checkout, report }: RevokeRun,
  targets: readonly RevokeTarget[],
): Promise<void> {
  report.channels = await rollBackChannels(context, report.image, targets, {
    publish: publishingOf(context, checkout.config),
    protect: checkout.config.deregistration_protection,
  });
  report.summary.push(...report.channels.map(describeRollback));
}

/** Records the revocation in the lock file, through the lock pull request (or a direct push). */
async function recordInLock(
  context: FlowContext,
  { checkout, revoker, report }: RevokeRun,
  targets: readonly RevokeTarget[],
  at: string,
): Promise<void> {
  report.lock = await recordRevocation(context, checkout, {
    image: report.image,
    targets,
    rollbacks: report.channels,
    reason: report.reason,
    at,
    by: revoker,
  });
  report.summary.push(...report.lock.summary);
}

/** True when an earlier run already started the consumers and sent the notice (the AMIs' tags say so). */
function announcedBefore({ report }: RevokeRun, targets: readonly RevokeTarget[]): boolean {
  report.alreadyAnnounced = targets.every((t) => t.record.tags.revokeAnnounced !== undefined);
  if (report.alreadyAnnounced) {
    report.summary.push('consumers and the notice went out on an earlier run: nothing sent');
  }
  return report.alreadyAnnounced;
}

function configuredImage(config: HephestusConfig, name: string | undefined): ImageConfig {
  if (!name) throw new InputError('revoke needs an image: pass --image NAME', { setting: '--image' });
  const image = config.images.find((i) => i.name === name);
  if (!image) {
    throw new InputError(
      `unknown image ${JSON.stringify(name)}; configured: ${config.images.map((i) => i.name).join(', ') || 'none'}`,
      { setting: '--image' },
    );
  }
  return image;
}

function revokerOf(env: Record<string, string | undefined>): Revoker {
  const who = oneLine(env.CIRCLE_USERNAME ?? env.USER ?? '').slice(0, 64) || 'unknown';
  return { jobUrl: jobLink(env.CIRCLE_BUILD_URL), by: who };
}

function describeRollback(r: ChannelRollback): string {
  const to = r.replacement ?? 'no image';
  const what = {
    'rolled-back': `rolled back to ${to}`,
    emptied: 'left empty: no earlier validated image',
    unchanged: `already rolled back (holds ${to})`,
    'would-roll-back': 'would be rolled back',
  }[r.outcome];
  return `${r.channel} in ${r.region} (was ${r.revoked}): ${what}`;
}

/** The images each consumer goes back to: what the rolled-back channels hold now. */
function rolledBackImages(report: RevokeReport): ImageAmiMap {
  const amis = Object.fromEntries(
    report.channels.flatMap((c) => (c.replacement ? [[c.region, c.replacement]] : [])),
  );
  return Object.keys(amis).length ? { [report.image]: amis } : {};
}

/** Starts each consumer's update with the rolled-back AMIs, the reason and the job link. */
async function rollBackConsumers(
  context: FlowContext,
  { checkout, report, revoker }: RevokeRun,
): Promise<void> {
  const images = rolledBackImages(report);
  if (!Object.keys(images).length || !checkout.config.consumers.length) {
    report.summary.push(
      `consumers: ${checkout.config.consumers.length ? 'no image to roll back to' : 'none configured'}`,
    );
    return;
  }
  const parameters: Record<string, string> & { images: string } = {
    images: JSON.stringify(images),
    rollback_reason: report.reason,
    ...(revoker.jobUrl ? { rollback_url: revoker.jobUrl } : {}),
  };
  checkPipelineParameters(parameters, 'consumers[].parameters');
  report.parameters = parameters;
  const rollback = { reason: report.reason, url: revoker.jobUrl };
  const { outcomes, failures } = await startEach(
    context,
    checkout.config.consumers,
    { images, parameters, bump: (repository, amis) => bumpRepository(context, repository, amis, rollback) },
    {},
  );
  for (const outcome of outcomes) {
    report.consumers.push(outcome);
    report.summary.push(`consumer ${outcome.repository}: ${outcome.outcome}`);
  }
  failWithFirst(context, failures);
}

/** Posts the incident notice and, once everything went out, remembers that on the AMIs. */
async function announce(
  context: FlowContext,
  { checkout, report, revoker }: RevokeRun,
  targets: readonly RevokeTarget[],
): Promise<void> {
  const message = revokedMessage({
    repository: report.repository,
    image: report.image,
    reason: report.reason,
    retired: report.ec2Action === 'disable' ? 'disabled' : 'deprecated',
    amis: targets.map(({ region, record }) => {
      const rollback = report.channels.find((c) => c.revoked === record.imageId && c.region === region);
      return {
        region,
        imageId: record.imageId,
        channel: rollback?.channel,
        replacement: rollback?.replacement,
      };
    }),
    consumers: report.consumers.map((c) => ({ repository: c.repository, url: c.pullRequest?.url })),
    by: revoker.by,
    jobUrl: revoker.jobUrl,
    lockPullRequest: report.lock?.pullRequest,
  });
  report.slack = await notify(context, checkout.config, 'revoked', message, {
    memory: new InMemoryMessageMemory(),
    threadUnder: null,
  });
  if (slackFailed(checkout.config, report.slack)) report.exitCode = 1;
  if (context.dryRun || report.slack.some((o) => o.status === 'failed')) return;
  const at = new Date().toISOString();
  await Promise.all(targets.map((t) => markRevokeAnnounced(context.ec2For(t.region), t.record.imageId, at)));
  context.logger.info(`marked ${targets.map((t) => t.record.imageId).join(', ')} ${TAG.revokeAnnounced}`);
}
