/**
 * API calls per flow: every request the sandbox's GitHub counts (REST and git smart HTTP alike) for the real
 * bump-consumer flow (flow-step.ts) when it creates the pull request, updates it with a newer AMI, and finds
 * nothing to change, against the fewest requests that can do each with the seed configuration (labels, no
 * reviewers; no Slack token, so no notice). The fewest: the git requests of the shell floor's clone and push
 * (counted here, not assumed), plus for create: open + labels; update: list + edit; unchanged: list (the
 * branch's head known from the same fetch as the clone, the least any tool can do). A second run with nothing
 * to change must write nothing.
 *
 * Git and REST are counted together because the flow trades one for the other: it reads the update branch's
 * head with one REST request where a fetch of the branch costs two or three git requests. The flow's EC2 check of
 * the AMI (ec2-sandbox.ts) is not a GitHub request: the details list it apart (`ec2Calls`), outside the ratio.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RecordedCall } from '../src/sandbox/http.js';
import { startBenchEc2 } from './ec2-sandbox.js';
import type { Figure } from './figures.js';
import { benchFlowContext, bumpConsumerFlow } from './flow-step.js';
import { type BenchGitHub, isGitCall, isWrite, startBenchGitHub } from './github-sandbox.js';
import { floorClone, floorCommitAndPush } from './shell-floor.js';

const REPO = 'acme/vm-manager';

interface Scenario {
  name: 'create' | 'update' | 'unchanged';
  expected: 'created' | 'updated' | 'unchanged';
  ami: string;
  /** The fewest REST requests, on top of the floor's git requests. */
  minimumRest: number;
  pushes: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'create', expected: 'created', ami: 'ami-0aaaaaaaaaaaaaaa1', minimumRest: 2, pushes: true },
  { name: 'update', expected: 'updated', ami: 'ami-0bbbbbbbbbbbbbbb2', minimumRest: 2, pushes: true },
  { name: 'unchanged', expected: 'unchanged', ami: 'ami-0bbbbbbbbbbbbbbb2', minimumRest: 1, pushes: false },
];

export async function apiCallFigures(): Promise<Figure[]> {
  const github = await startBenchGitHub();
  const ec2 = await startBenchEc2();
  try {
    await github.seed(REPO);
    for (const scenario of SCENARIOS) ec2.plantValidated(scenario.ami);
    const floor = await floorRequests(github);
    const figures: Figure[] = [];
    let unchangedWrites = -1;
    for (const scenario of SCENARIOS) {
      const context = benchFlowContext(github, ec2);
      const recording = await github.record();
      const ec2Before = ec2.service.calls.length;
      const report = await bumpConsumerFlow(context, REPO, scenario.ami);
      const calls = await recording.done();
      const ec2Calls = ec2.service.calls.slice(ec2Before);
      await context.dispose();
      const rest = calls.filter((call) => !isGitCall(call));
      const writes = rest.filter(isWrite);
      if (scenario.name === 'unchanged') unchangedWrites = writes.length;
      const minimumGit = floor.clone + (scenario.pushes ? floor.push : 0);
      const minimum = minimumGit + scenario.minimumRest;
      const ratio = calls.length / minimum;
      figures.push({
        name: `API calls: ${scenario.name}`,
        ours: `requests, REST + git (outcome ${report.outcome})`,
        baseline: `minimum ${minimum} (${minimumGit} git + ${scenario.minimumRest} REST)`,
        ratio,
        goal: '<= 1.5x',
        met: ratio <= 1.5 && report.outcome === scenario.expected,
        details: {
          outcome: report.outcome,
          requests: calls.length,
          restCalls: rest.length,
          gitCalls: calls.length - rest.length,
          minimum,
          minimumGit,
          minimumRest: scenario.minimumRest,
          writes: writes.length,
          routes: calls.map(route).join(', '),
          // Not in the ratio, which counts GitHub's requests against a GitHub-only floor.
          ec2Calls: ec2Calls.map((call) => call.action).join(', '),
        },
      });
    }
    figures.push({
      name: 'API calls: re-run writes',
      ours: 'writes when nothing changed',
      baseline: '0 writes',
      ratio: unchangedWrites,
      goal: '0 writes',
      met: unchangedWrites === 0,
      details: { writes: unchangedWrites },
    });
    return figures;
  } finally {
    await ec2.stop();
    await github.stop();
  }
}

/** The git requests of the shell floor's clone, and of its push, counted by the sandbox. */
async function floorRequests(github: BenchGitHub): Promise<{ clone: number; push: number }> {
  const dir = await mkdtemp(path.join(github.tmp, 'floor-'));
  const clone = await github.record();
  await floorClone(github.cloneUrl(REPO), path.join(dir, 'repo'));
  const cloned = (await clone.done()).length;
  const push = await github.record();
  await floorCommitAndPush(path.join(dir, 'repo'), 'floor-requests', 'ami-0ccccccccccccccc3');
  const pushed = (await push.done()).length;
  await rm(dir, { recursive: true, force: true });
  return { clone: cloned, push: pushed };
}

function route(call: RecordedCall): string {
  return `${call.method} ${call.route}`;
}
