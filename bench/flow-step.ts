/**
 * The real bump-consumer flow (src/flows/bump-consumer.ts: checkout, edit every configured file, update
 * branch, pull request) run in the benchmark's process against its GitHub sandbox, as `hephestus run
 * bump-consumer --repo <repo> --images win2022=<ami>` would run it. In-process rather than through the CLI so
 * that the server (in this process) and the flow share one event loop the same way in every figure, and several
 * repositories can share one flow context (one GitHub client, whose write queue serializes their writes).
 *
 * The flow checks every AMI it writes with EC2 before it edits anything (src/update/consumer-bump.ts
 * `verifyAmis`), so it also talks to the sandbox's EC2 (ec2-sandbox.ts), where each benchmark plants the AMIs it
 * bumps as validated images before the flow runs. That check is measured with the rest: a real run pays it.
 */
import { type BumpConsumerReport, bumpRepository } from '../src/flows/bump-consumer.js';
import { FlowContext, parseRepository } from '../src/flows/flow-context.js';
import { Logger } from '../src/log/logger.js';
import type { BenchEc2 } from './ec2-sandbox.js';
import { BENCH_TOKEN, type BenchGitHub } from './github-sandbox.js';

/** The file the seed configuration bumps for win2022 (the shell floors edit the same one). */
export const BUMP_FILE = 'resources/config.edn';

/**
 * A flow context aimed at the bench GitHub (writes unpaced) and EC2 (endpoint, the sandbox's credentials,
 * region); no Slack token, so notices are skipped (not counted).
 */
export function benchFlowContext(github: BenchGitHub, ec2: BenchEc2): FlowContext {
  return new FlowContext({
    options: {},
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: github.url,
      GITHUB_TOKEN: BENCH_TOKEN,
      HEPHESTUS_WORK_DIR: github.tmp,
      // As the sandbox's own environment sets it (src/sandbox/start-sandbox.ts): without it the client paces
      // writes a second apart as GitHub asks, and the fan-out would measure that wait (its details report the
      // floor it adds, pacedWritesFloorS) instead of Hephestus.
      HEPHESTUS_GITHUB_PACING: 'off',
      ...ec2.env,
      PATH: process.env.PATH,
      HOME: process.env.HOME,
    },
    logger: new Logger({ level: 'error' }),
  });
}

/** Runs bump-consumer on `fullName` with the Windows Server 2022 AMI `ami`; its report. */
export function bumpConsumerFlow(
  context: FlowContext,
  fullName: string,
  ami: string,
): Promise<BumpConsumerReport> {
  return bumpRepository(context, parseRepository(fullName, '--repo'), { win2022: { 'us-east-1': ami } });
}
