/**
 * The real bump-consumer flow (src/flows/bump-consumer.ts: checkout, edit every configured file, update
 * branch, pull request) run in the benchmark's process against its GitHub sandbox, as `hephestus run
 * bump-consumer --repo <repo> --images win2022=<ami>` would run it. In-process rather than through the CLI so
 * that the server (in this process) and the flow share one event loop the same way in every figure, and several
 * repositories can share one flow context (one GitHub client, whose write queue serializes their writes).
 */
import { type BumpConsumerReport, bumpRepository } from '../src/flows/bump-consumer.js';
import { FlowContext, parseRepository } from '../src/flows/flow-context.js';
import { Logger } from '../src/log/logger.js';
import { BENCH_TOKEN, type BenchGitHub } from './github-sandbox.js';

/** The file the seed configuration bumps for win2022 (the shell floors edit the same one). */
export const BUMP_FILE = 'resources/config.edn';

/** A flow context aimed at the bench GitHub; no Slack token, so notices are skipped (not counted). */
export function benchFlowContext(github: BenchGitHub): FlowContext {
  return new FlowContext({
    options: {},
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: github.url,
      GITHUB_TOKEN: BENCH_TOKEN,
      HEPHESTUS_WORK_DIR: github.tmp,
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
