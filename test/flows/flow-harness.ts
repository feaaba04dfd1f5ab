/** The sandbox and a way to run one flow in-process against it, with its log kept for the assertion messages. */
import { Writable } from 'node:stream';
import { runFlow } from '../../src/cli/commands/run-flow-command.js';
import { type ExitCode, HephestusError } from '../../src/errors.js';
import { FlowContext, type FlowOptions } from '../../src/flows/flow-context.js';
import type { FlowName, FlowReportBase } from '../../src/flows/flow-report.js';
import { Logger } from '../../src/log/logger.js';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/aws/aws-auth.js';
import type { Sandbox } from '../../src/sandbox/start-sandbox.js';

export interface FlowRun<R> {
  report?: R;
  exitCode: ExitCode;
  error?: HephestusError;
  log: string;
}

/** Runs `flow` as `hephestus run` would, against `sandbox`; thrown HephestusErrors become the exit code. */
export async function runSandboxFlow<R extends FlowReportBase>(
  sandbox: Sandbox,
  flow: FlowName,
  options: FlowOptions,
  env: Record<string, string> = {},
): Promise<FlowRun<R>> {
  let log = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      log += String(chunk);
      done();
    },
  });
  const logger = new Logger({ stream, out: stream });
  const context = new FlowContext({ options, env: { ...sandbox.env, ...env }, logger });
  try {
    const report = (await runFlow(flow, context)) as R;
    return { report, exitCode: report.exitCode, log };
  } catch (error) {
    if (error instanceof HephestusError)
      return { exitCode: error.exitCode, error, log: `${log}\n${error.describe()}` };
    throw error;
  } finally {
    await context.dispose();
  }
}

/** GitHub calls that change something (git pushes included, fetches not). */
export function githubWrites(sandbox: Sandbox): string[] {
  return sandbox.github.router.calls
    .filter((c) => c.method !== 'GET' && !c.route.includes('upload-pack'))
    .map((c) => `${c.method} ${c.path}`);
}

/**
 * Puts `images` (image to region to AMI id) in the sandbox's EC2 as AMIs of ours that Hephestus validated and
 * promoted to `channel`, the state bump-consumer checks before it writes an id; returns them as the `images`
 * pipeline parameter.
 */
export function validatedAmis(
  sandbox: Sandbox,
  images: Record<string, Record<string, string>>,
  channel = 'canary',
): string {
  const base = [...sandbox.ec2.state.images.values()][0];
  if (!base) throw new Error('the sandbox has no image to copy');
  for (const [image, amis] of Object.entries(images)) {
    for (const [region, imageId] of Object.entries(amis)) {
      sandbox.ec2.state.images.set(imageId, {
        ...base,
        imageId,
        region,
        name: `${image}-${imageId}`,
        ownerId: SANDBOX_ACCOUNT_ID,
        ownerAlias: undefined,
        isPublic: false,
        tags: {
          'hephestus:image': image,
          'hephestus:status': 'validated',
          'hephestus:channel': channel,
        },
      });
    }
  }
  return JSON.stringify(images);
}
