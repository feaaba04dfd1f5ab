/**
 * What a ticked dashboard box does, one handler per kind, each the same operation a person runs by hand and
 * with the same checks: rebuild is `run open-update --force --images NAME`, promote is the channel move
 * promote and announce use (refused unless every AMI is a validated image of ours that reached the first
 * channel), revoke is the revoke flow. Under `--dry-run` each says what it would do and changes nothing.
 * A refusal (bad input, a check that said no) is an outcome, reported on the issue; a service that kept failing
 * is reported there too, and fails the monitor run.
 */

import { ExternalServiceError, FailureError, HephestusError } from '../errors.js';
import { FlowContext } from '../flows/flow-context.js';
import { openUpdate } from '../flows/open-update.js';
import { revoke } from '../flows/revoke.js';
import { type ChannelSettings, moveToChannel, refuseUnvalidated } from '../images/channel-moves.js';
import type { DashboardAction } from './dashboard-boxes.js';
import type { DashboardImage } from './dashboard-text.js';

export interface ActionOutcome {
  action: DashboardAction;
  outcome: 'done' | 'refused' | 'failed' | 'would-do';
  /** What happened, for the issue comment and the report (Markdown-free). */
  message: string;
}

type Handler<K extends DashboardAction['kind']> = (
  context: FlowContext,
  action: Extract<DashboardAction, { kind: K }>,
  fleet: DashboardImage[],
  config: ChannelSettings,
) => Promise<string>;

const HANDLERS: { [K in DashboardAction['kind']]: Handler<K> } = {
  rebuild: rebuildImage,
  promote: promoteImage,
  revoke: (context, action, fleet) => revokeChannelImage(context, action, fleet),
};

/** Runs the box's action; Hephestus's own errors become outcomes that say why. */
export async function runAction(
  context: FlowContext,
  action: DashboardAction,
  fleet: DashboardImage[],
  config: ChannelSettings,
): Promise<ActionOutcome> {
  const handler = HANDLERS[action.kind] as Handler<DashboardAction['kind']>;
  try {
    const message = await handler(context, action, fleet, config);
    return { action, outcome: context.dryRun ? 'would-do' : 'done', message };
  } catch (error) {
    if (!(error instanceof HephestusError)) throw error;
    return {
      action,
      outcome: error instanceof ExternalServiceError ? 'failed' : 'refused',
      message: error.message,
    };
  }
}

/** `run open-update --force --images NAME`, in a context of its own that shares the run's environment and log. */
async function rebuildImage(context: FlowContext, action: { image: string }): Promise<string> {
  const child = new FlowContext({
    options: { ...context.options, images: action.image, force: true },
    env: context.env,
    logger: context.logger,
  });
  try {
    const report = await openUpdate(child);
    const pr = report.pullRequest ? ` #${report.pullRequest.number}` : '';
    return `open-update ${report.outcome}${pr} (${report.branch})`;
  } finally {
    await child.dispose();
  }
}

/** Moves the AMIs holding `from` into `to`, after the checks announce makes. */
async function promoteImage(
  context: FlowContext,
  action: { image: string; from: string; to: string },
  fleet: DashboardImage[],
  config: ChannelSettings,
): Promise<string> {
  const amis = channelAmis(fleet, action.image, action.from);
  const images = { [action.image]: amis };
  await refuseUnvalidated(context, config.channels, images);
  const moves = await moveToChannel(context, config, images, action.to);
  if (context.dryRun) return `would promote ${describeAmis(amis)} to ${action.to}`;
  return moves
    .map(
      (m) => `${m.imageId} (${m.region}) ${m.outcome === 'moved' ? 'moved to' : 'already in'} ${m.channel}`,
    )
    .join('; ');
}

/**
 * Revokes the image `channel` holds, through the revoke flow as `hephestus run revoke --image NAME --ami ...`
 * would: the same checks, rollback, lock record, consumer rollback and notice. The reason names the dashboard and
 * who could have ticked (people with write access to the bot's issue); the job link comes from the environment.
 */
async function revokeChannelImage(
  context: FlowContext,
  action: { image: string; channel: string },
  fleet: DashboardImage[],
): Promise<string> {
  const amis = channelAmis(fleet, action.image, action.channel);
  const child = new FlowContext({
    options: {
      ...context.options,
      image: action.image,
      ami: Object.values(amis),
      reason: `revoked from the image dashboard (${action.channel} image ticked for revocation)`,
    },
    env: context.env,
    logger: context.logger,
  });
  try {
    const report = await revoke(child);
    if (context.dryRun) return `would revoke ${describeAmis(amis)}`;
    return `revoked ${describeAmis(amis)}; channels rolled back: ${report.channels.length}`;
  } finally {
    await child.dispose();
  }
}

/** The AMIs (region to id) holding `channel` for `image`; refused when it holds none. */
function channelAmis(fleet: DashboardImage[], image: string, channel: string): Record<string, string> {
  const amis = fleet.find((i) => i.image === image)?.channels.find((c) => c.channel === channel)?.amis ?? [];
  if (amis.length === 0) throw new FailureError(`${channel} holds no image of ${image}`);
  return Object.fromEntries(amis.map((ami) => [ami.region, ami.imageId]));
}

function describeAmis(amis: Record<string, string>): string {
  return Object.entries(amis)
    .map(([region, id]) => `${id} in ${region}`)
    .join(', ');
}
