/**
 * Faults survived (issue 7), through the open-update flow on a fresh sandbox each: GitHub 5xx bursts and
 * rate limits, a rejected push, an unreachable remote, Slack 429 and 500, EC2 throttling. Each run must end
 * with exactly one update PR and one Slack notice; a failed run must say what failed (exit 1) and the re-run
 * must finish the job; the re-run after success must change nothing. No secret may appear in anything.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { checkSecrets } from './canary.js';
import { type FlowRun, openPullHeads, published, runFlowOnSandbox, sandboxSecrets } from './sandbox-flow.js';

const BRANCH = 'windows-update/win2019-win2022';

interface FaultCase {
  name: string;
  inject: (sandbox: Sandbox) => void;
  /** `true`: the first run must still succeed (the fault is retried away); `false`: it may fail with exit 1. */
  survivesFirstRun: boolean;
}

const slackServerError = (sandbox: Sandbox, times: number) =>
  sandbox.slack.router.inject({
    route: 'POST /api/chat.postMessage',
    times,
    respond: { status: 500, headers: {}, body: 'upstream connect error' },
  });

const LIST_PULLS = 'GET /repos/:owner/:repo/pulls';
const CREATE_PULL = 'POST /repos/:owner/:repo/pulls';

const faults: FaultCase[] = [
  {
    name: 'GitHub 502 burst while looking for the pull request',
    inject: (s) => s.github.faults.serverErrors(LIST_PULLS, { status: 502, times: 3 }),
    survivesFirstRun: true,
  },
  {
    name: 'GitHub 503 burst on creating the pull request',
    inject: (s) => s.github.faults.serverErrors(CREATE_PULL, { status: 503, times: 2 }),
    survivesFirstRun: true,
  },
  {
    // git over HTTP has no retry of its own: the clone fails, says so, and the next run does the work.
    name: 'GitHub 502 on every route, git included',
    inject: (s) => s.github.faults.serverErrors(undefined, { status: 502, times: 1 }),
    survivesFirstRun: false,
  },
  {
    name: 'GitHub secondary rate limit (403, retry-after) on creating the pull request',
    inject: (s) => s.github.faults.secondaryRateLimit(CREATE_PULL, { retryAfter: 1, times: 1 }),
    survivesFirstRun: true,
  },
  {
    name: 'GitHub secondary rate limit (429, retry-after) on labelling',
    inject: (s) =>
      s.github.faults.secondaryRateLimit('POST /repos/:owner/:repo/issues/:number/labels', {
        status: 429,
        retryAfter: 1,
        times: 1,
      }),
    survivesFirstRun: true,
  },
  {
    name: 'GitHub primary rate limit, reset in a second',
    inject: (s) => s.github.faults.rateLimit(LIST_PULLS, { times: 1, resetInSeconds: 1 }),
    survivesFirstRun: true,
  },
  {
    name: 'git remote unreachable once',
    inject: (s) => s.github.faults.gitUnreachable(1),
    survivesFirstRun: false,
  },
  {
    name: 'Slack 429 with Retry-After',
    inject: (s) => s.slack.rateLimit('chat.postMessage', 1, 1),
    survivesFirstRun: true,
  },
  {
    name: 'Slack 500 once',
    inject: (s) => slackServerError(s, 1),
    survivesFirstRun: true,
  },
  {
    name: 'EC2 throttling on DescribeImages',
    inject: (s) => s.ec2.throttle({ action: 'DescribeImages', times: 2 }),
    survivesFirstRun: true,
  },
];

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox();
});
afterEach(async () => {
  await sandbox?.stop();
});

const open = (): Promise<FlowRun<OpenUpdateReport>> =>
  runFlowOnSandbox<OpenUpdateReport>(sandbox, 'open-update', { repo: IMAGES_REPO });

describe('faults survived: open-update', () => {
  for (const fault of faults) {
    it(fault.name, async ({ task }) => {
      task.meta.figure = 'fault';
      fault.inject(sandbox);

      const first = await open();
      const runs = [first];
      if (fault.survivesFirstRun) {
        expect(first.exitCode, first.output).toBe(0);
        expect(first.report?.outcome).toBe('created');
      } else if (first.exitCode !== 0) {
        // It may fail, but then as a real failure that names what failed, and a re-run finishes the job.
        expect(first.exitCode, first.output).toBe(1);
        expect(first.error?.describe() ?? first.output).toMatch(/git: (clone|fetch|push)/);
        const retry = await open();
        runs.push(retry);
        expect(retry.exitCode, retry.output).toBe(0);
        expect(retry.report?.outcome).toMatch(/created|updated/);
      }
      expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([BRANCH]);
      expect(sandbox.slack.messages('#execution-teams')).toHaveLength(1);

      // Converges: a re-run with the fault gone changes nothing.
      const again = await open();
      runs.push(again);
      expect(again.exitCode, again.output).toBe(0);
      expect(again.report?.outcome).toBe('unchanged');
      expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([BRANCH]);
      expect(sandbox.slack.messages('#execution-teams')).toHaveLength(1);

      const captured = [...runs.map((run) => run.output), ...published(sandbox)];
      expect(checkSecrets(task, sandboxSecrets(sandbox), ...captured), 'a secret in the output').toBe(0);
    });
  }
});
