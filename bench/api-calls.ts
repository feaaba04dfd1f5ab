/**
 * API calls per flow: the REST requests the sandbox's GitHub counts for the pull-request half of a bump when it
 * creates the PR, updates it with a newer AMI, and finds nothing to change, against the fewest requests that can
 * do each (with the seed configuration's labels and reviewers: create = open + labels + reviewers; update = list +
 * edit; unchanged = list). A second run with nothing to change must write nothing. Git traffic (clone, fetch,
 * push) is counted separately in the details.
 */
import path from 'node:path';
import { PullRequests } from '../src/github/pull-requests.js';
import {
  type UpdateRequest,
  updateBranchName,
  updatePullRequest,
} from '../src/github/update-pull-request.js';
import type { RecordedCall } from '../src/sandbox/http.js';
import type { Figure } from './figures.js';
import { bumpRepository } from './git-step.js';
import { BOT, isGitCall, isWrite, startBenchGitHub } from './github-sandbox.js';

const REPO = 'acme/vm-manager';
const IMAGE_SET = 'win2022';

/** The update request for `ami`, with the seed hephestus.yml's labels and reviewers. */
function request(ami: string): UpdateRequest {
  return {
    imageSet: IMAGE_SET,
    branch: updateBranchName(IMAGE_SET),
    base: 'main',
    title: `Update ${IMAGE_SET} to ${ami}`,
    body: `The validated ${IMAGE_SET} image is now \`${ami}\`.`,
    labels: ['windows-update', 'automated'],
    reviewers: ['platform-team'],
    author: BOT,
  };
}

interface Scenario {
  name: 'create' | 'update' | 'unchanged';
  expected: 'created' | 'updated' | 'unchanged';
  ami: string;
  minimum: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'create', expected: 'created', ami: 'ami-0aaaaaaaaaaaaaaa1', minimum: 3 },
  { name: 'update', expected: 'updated', ami: 'ami-0bbbbbbbbbbbbbbb2', minimum: 2 },
  { name: 'unchanged', expected: 'unchanged', ami: 'ami-0bbbbbbbbbbbbbbb2', minimum: 1 },
];

export async function apiCallFigures(): Promise<Figure[]> {
  const github = await startBenchGitHub();
  try {
    await github.seed(REPO);
    const prs = new PullRequests(github.client(), { owner: 'acme', repo: 'vm-manager' });
    const figures: Figure[] = [];
    let unchangedWrites = -1;
    for (const [index, scenario] of SCENARIOS.entries()) {
      const recording = github.record();
      const step = await bumpRepository({
        url: github.cloneUrl(REPO),
        dir: path.join(github.tmp, `clone-${index}`),
        branch: updateBranchName(IMAGE_SET),
        ami: scenario.ami,
      });
      const report = await updatePullRequest(prs, step, request(scenario.ami));
      const calls = recording.done();
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
