/**
 * API calls per flow: the REST requests the sandbox's GitHub counts for the real bump-consumer flow
 * (flow-step.ts) when it creates the pull request, updates it with a newer AMI, and finds nothing to change,
 * against the fewest requests that can do each with the seed configuration (labels, no reviewers; no Slack
 * token, so no notice): create = open + labels; update = list + edit; unchanged = list. A second run with
 * nothing to change must write nothing. Git traffic (clone, fetch, push) is counted separately in the details.
 */
import type { RecordedCall } from '../src/sandbox/http.js';
import type { Figure } from './figures.js';
import { benchFlowContext, bumpConsumerFlow } from './flow-step.js';
import { isGitCall, isWrite, startBenchGitHub } from './github-sandbox.js';

const REPO = 'acme/vm-manager';

interface Scenario {
  name: 'create' | 'update' | 'unchanged';
  expected: 'created' | 'updated' | 'unchanged';
  ami: string;
  minimum: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'create', expected: 'created', ami: 'ami-0aaaaaaaaaaaaaaa1', minimum: 2 },
  { name: 'update', expected: 'updated', ami: 'ami-0bbbbbbbbbbbbbbb2', minimum: 2 },
  { name: 'unchanged', expected: 'unchanged', ami: 'ami-0bbbbbbbbbbbbbbb2', minimum: 1 },
];

export async function apiCallFigures(): Promise<Figure[]> {
  const github = await startBenchGitHub();
  try {
    await github.seed(REPO);
    const figures: Figure[] = [];
    let unchangedWrites = -1;
    for (const scenario of SCENARIOS) {
      const context = benchFlowContext(github);
      const recording = github.record();
      const report = await bumpConsumerFlow(context, REPO, scenario.ami);
      const calls = recording.done();
      await context.dispose();
      const rest = calls.filter((call) => !isGitCall(call));
      const writes = rest.filter(isWrite);
      if (scenario.name === 'unchanged') unchangedWrites = writes.length;
      const ratio = rest.length / scenario.minimum;
      figures.push({
        name: `API calls: ${scenario.name}`,
        ours: `REST calls (outcome ${report.outcome})`,
        baseline: `minimum ${scenario.minimum}`,
        ratio,
        goal: '<= 1.5x',
        met: ratio <= 1.5 && report.outcome === scenario.expected,
        details: {
          outcome: report.outcome,
          restCalls: rest.length,
          minimum: scenario.minimum,
          writes: writes.length,
          gitCalls: calls.length - rest.length,
          routes: rest.map(route).join(', '),
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
    await github.stop();
  }
}

function route(call: RecordedCall): string {
  return `${call.method} ${call.route}`;
}
