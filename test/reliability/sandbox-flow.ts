/**
 * Runs a flow in-process against the sandbox the way `hephestus run --verbose` does (redacting logger, clients
 * from the environment), and gathers everything the run published, to look for secrets in.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runFlow } from '../../src/cli/commands/run-flow-command.js';
import { redactorFromEnv, SECRET_VARIABLES } from '../../src/config/secrets.js';
import { type ExitCode, HephestusError } from '../../src/errors.js';
import { FlowContext, type FlowOptions } from '../../src/flows/flow-context.js';
import type { FlowName, FlowReportBase } from '../../src/flows/flow-report.js';
import { Logger } from '../../src/log/logger.js';
import type { Redactor } from '../../src/log/redact.js';
import type { Sandbox } from '../../src/sandbox/start-sandbox.js';
import { CANARY_ENV, transformedForms } from './canary.js';

export interface FlowRun<R> {
  report?: R;
  exitCode: ExitCode;
  error?: HephestusError;
  /** Everything the run printed: log lines (debug level) and its result. */
  output: string;
  /** The `.git/config` of every clone the run made, read before its scratch directories were removed. */
  gitConfigs: string[];
}

/** A flow context that reads the `.git/config` of the clones in its scratch directories before removing them. */
class InspectedFlowContext extends FlowContext {
  readonly gitConfigs: string[] = [];
  private readonly scratch: string[] = [];

  override async workDir(prefix: string): Promise<string> {
    const dir = await super.workDir(prefix);
    this.scratch.push(dir);
    return dir;
  }

  override async dispose(): Promise<void> {
    this.gitConfigs.push(...(await Promise.all(this.scratch.map(gitConfigsUnder))).flat());
    await super.dispose();
  }
}

/** The `.git/config` files under `dir`, read. */
export async function gitConfigsUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries
    .filter((e) => e.isFile() && e.name === 'config' && path.basename(e.parentPath) === '.git')
    .map((e) => path.join(e.parentPath, e.name));
  return Promise.all(files.map((file) => readFile(file, 'utf8')));
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
  const env = flowEnv(sandbox);
  const logger = new Logger({ stream, out: stream, level: 'debug', redactor: redactorFromEnv(env) });
  const context = new InspectedFlowContext({ options, env, logger });
  let run: Omit<FlowRun<R>, 'gitConfigs'>;
  try {
    const report = (await runFlow(flow, context)) as R;
    logger.result(report);
    run = { report, exitCode: report.exitCode, output };
  } catch (error) {
    if (!(error instanceof HephestusError)) throw error;
    logger.error(error.describe());
    run = { exitCode: error.exitCode, error, output };
  } finally {
    await context.dispose();
  }
  return { ...run, output, gitConfigs: context.gitConfigs };
}

/** The secret variables the sandbox does not check, set to the canary so that a leak of them shows too. */
const UNCHECKED_CANARIES = { PASSWORD: CANARY_ENV.PASSWORD, CCI_PASSWORD: CANARY_ENV.CCI_PASSWORD };

/** The environment a flow runs with: the sandbox's, plus the canary in the secrets it does not check. */
export function flowEnv(sandbox: Sandbox): Record<string, string> {
  return { ...sandbox.env, ...(UNCHECKED_CANARIES as Record<string, string>) };
}

/**
 * The secrets a flow run holds: the sandbox's tokens and AWS keys (random per sandbox) and the canaries, in every
 * form the redactor knows and, for the tokens no child process gets (GitHub, Slack, CircleCI), in the forms
 * branch code could turn them into (see transformedForms).
 */
export function sandboxSecrets(sandbox: Sandbox): Redactor {
  const env = flowEnv(sandbox);
  const detector = redactorFromEnv(env);
  detector.add(...childFreeTokens(env).flatMap(transformedForms));
  return detector;
}

/** The values of the tokens no child process may see: every secret variable but AWS's. */
export function childFreeTokens(env: Record<string, string | undefined>): string[] {
  // AWS credentials, the job's and the Packer role's (HEPHESTUS_PACKER_AWS_*), are meant for AWS clients and Packer.
  return SECRET_VARIABLES.filter((name) => !/^(HEPHESTUS_PACKER_)?AWS_/.test(name))
    .map((name) => env[name])
    .filter((value): value is string => value !== undefined && value !== '');
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
