/**
 * Runs a flow in-process against the sandbox the way `hephestus run --verbose` does (redacting logger, clients
 * from the environment), and gathers everything the run published, to look for secrets in.
 */
import { Writable } from 'node:stream';
import { runFlow } from '../../src/cli/run-flow-command.js';
import { redactorFromEnv } from '../../src/config/secrets.js';
import { type ExitCode, HephestusError } from '../../src/errors.js';
import { FlowContext, type FlowOptions } from '../../src/flows/flow-context.js';
import type { FlowName, FlowReportBase } from '../../src/flows/flow-report.js';
import { Logger } from '../../src/log/logger.js';
import type { Redactor } from '../../src/log/redact.js';
import type { Sandbox } from '../../src/sandbox/start-sandbox.js';

export interface FlowRun<R> {
  report?: R;
  exitCode: ExitCode;
  error?: HephestusError;
  /** Everything the run printed: log lines (debug level) and its result. */
  output: string;
}

/** Runs `flow` against `sandbox`; a thrown HephestusError becomes the exit code, as the CLI maps it. */
export async function runFlowOnSandbox<R extends FlowReportBase>(
  sandbox: Sandbox,
  flow: FlowName,
  options: FlowOptions,
): Promise<FlowRun<R>> {
  let output = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  const env = { ...sandbox.env };
  const logger = new Logger({ stream, out: stream, level: 'debug', redactor: redactorFromEnv(env) });
  const context = new FlowContext({ options, env, logger });
  try {
    const report = (await runFlow(flow, context)) as R;
    logger.result(report);
    return { report, exitCode: report.exitCode, output };
  } catch (error) {
    if (!(error instanceof HephestusError)) throw error;
    logger.error(error.describe());
    return { exitCode: error.exitCode, error, output };
  } finally {
    await context.dispose();
  }
}

/** The sandbox's secrets (tokens and AWS keys, as its environment hands them out). */
export function sandboxSecrets(sandbox: Sandbox): Redactor {
  return redactorFromEnv(sandbox.env);
}

/** What the run left where people read it: PR titles, bodies and comments, and Slack messages. */
export function published(sandbox: Sandbox): string[] {
  const { pulls, comments } = sandbox.github.state;
  return [
    ...pulls.map((pull) => `${pull.title}\n${pull.body ?? ''}`),
    ...comments.map((comment) => comment.body),
    ...sandbox.slack.state.messages.map((message) => JSON.stringify(message)),
  ];
}

/** Open pull requests of `repo` (`owner/name`), as head branch names. */
export function openPullHeads(sandbox: Sandbox, repo: string): string[] {
  return sandbox.github.state.pulls
    .filter((p) => p.repo === repo && p.state === 'open')
    .map((p) => p.head.ref);
}
