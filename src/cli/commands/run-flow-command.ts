/**
 * `hephestus run <flow>`: builds the flow context, runs the flow, prints its report (`--json`: the report as
 * one document; otherwise a readable summary) and returns the report's exit code.
 */
import { type ExitCode, InputError } from '../../errors.js';
import { FlowContext, type FlowOptions } from '../../flows/flow-context.js';
import type { FlowName, FlowReportBase } from '../../flows/flow-report.js';
import type { CommandContext } from '../run-command.js';

/** Runs `flow` and reports; the exit code is the report's. */
export async function runFlowCommand(
  flow: string,
  options: FlowOptions,
  command: CommandContext,
): Promise<ExitCode> {
  const context = new FlowContext({ options, logger: command.logger });
  try {
    const report = await runFlow(flow as FlowName, context);
    command.logger.result(command.json ? report : summarize(report));
    return report.exitCode;
  } finally {
    await context.dispose();
  }
}

/** Runs one flow by name. */
export async function runFlow(flow: FlowName, context: FlowContext): Promise<FlowReportBase> {
  switch (flow) {
    case 'open-update':
      return (await import('../../flows/open-update.js')).openUpdate(context);
    case 'build-validate':
      return (await import('../../flows/build-validate.js')).buildValidate(context);
    case 'promote':
      return (await import('../../flows/promote.js')).promote(context);
    case 'bump-consumer':
      return (await import('../../flows/bump-consumer.js')).bumpConsumer(context);
    case 'announce':
      return (await import('../../flows/announce.js')).announce(context);
    case 'monitor':
      return (await import('../../flows/monitor.js')).monitor(context);
    case 'check-lock':
      return (await import('../../flows/check-lock.js')).checkLock(context);
    case 'revoke':
      return (await import('../../flows/revoke.js')).revoke(context);
    default:
      throw new InputError(`unknown flow ${JSON.stringify(flow)}`, { setting: 'flow' });
  }
}

/** The readable form of a report. */
export function summarize(report: FlowReportBase): string {
  const extra = report as FlowReportBase & { pullRequest?: { url: string } };
  const lines = [
    `${report.flow} on ${report.repository}: ${report.outcome}${report.dryRun ? ' (dry run: nothing was written)' : ''}`,
    ...report.summary.map((line) => `  ${line}`),
  ];
  if (extra.pullRequest) lines.push(`  pull request: ${extra.pullRequest.url}`);
  return lines.join('\n');
}
