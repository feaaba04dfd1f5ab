/**
 * Starting a platform's consumers: promote triggers each consumer's pipeline through the real CircleCI client
 * against the sandbox, several at once, and one that fails does not stop the others nor lose the record of
 * those triggered, so a re-run triggers only what is missing.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FlowContext } from '../../src/flows/flow-context.js';
import { PullRequests } from '../../src/github/pull-requests.js';
import { Logger } from '../../src/log/logger.js';
import { commitFileOnBranch } from '../../src/sandbox/github/bare-repo.js';
import type { RecordedCall } from '../../src/sandbox/http.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import {
  CONSUMERS_AT_ONCE,
  type OneConsumerStart,
  startConsumers,
} from '../../src/update/start-consumers.js';

const CONSUMERS = 24;
const TRIGGER = 'POST /api/v2/project/:slug*/pipeline';
const images = { win2022: { 'us-east-1': 'ami-0fedcba9876543211' } };
const consumers = Array.from({ length: CONSUMERS }, (_, i) => ({
  repository: `acme/service-${String(i + 1).padStart(2, '0')}`,
  mode: 'trigger' as const,
  branch: 'main',
}));
let sandbox: Sandbox;
let prNumber: number;

beforeAll(async () => {
  sandbox = await startSandbox();
  for (const consumer of consumers) sandbox.circleci.addProject(`gh/${consumer.repository}`);
  const { context } = flowContext();
  const [owner = '', repo = ''] = IMAGES_REPO.split('/');
  const octokit = context.github().octokit;
  const main = await octokit.rest.git.getRef({ owner, repo, ref: 'heads/main' });
  await octokit.rest.git.createRef({ owner, repo, ref: 'refs/heads/promoted', sha: main.data.object.sha });
  const person = { name: 'Ada Person', email: 'ada@example.invalid' };
  await commitFileOnBranch(
    sandbox.github.repo(IMAGES_REPO).dir,
    'promoted',
    'NOTES.md',
    'x\n',
    'Notes',
    person,
  );
  await sandbox.github.sync(IMAGES_REPO);
  const pr = await octokit.rest.pulls.create({
    owner,
    repo,
    title: 'Promoted images',
    head: 'promoted',
    base: 'main',
  });
  prNumber = pr.data.number;
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
});
beforeEach(() => {
  sandbox.circleci.router.clearFaults();
});

function flowContext() {
  let log = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      log += String(chunk);
      done();
    },
  });
  const context = new FlowContext({
    options: { repo: IMAGES_REPO },
    env: sandbox.env,
    logger: new Logger({ stream, out: stream }),
  });
  return { context, log: () => log };
}

type Configured = Parameters<typeof startConsumers>[1];

async function promote(
  configured: Configured = consumers,
  bump: OneConsumerStart['bump'] = () => Promise.reject(new Error('no consumer here opens a pull request')),
) {
  const { context, log } = flowContext();
  const [owner = '', repo = ''] = IMAGES_REPO.split('/');
  const before = sandbox.circleci.router.calls.length;
  const start = {
    prs: new PullRequests(context.github(), { owner, repo }),
    prNumber,
    images,
    parameters: { images: JSON.stringify(images) },
    bump,
  };
  try {
    const started = await startConsumers(context, configured, start, { channel: 'canary', images: [] });
    return { started, log: log(), triggers: triggersSince(before) };
  } catch (error) {
    return { error, log: log(), triggers: triggersSince(before) };
  } finally {
    await context.dispose();
  }
}

function triggersSince(index: number): RecordedCall[] {
  return sandbox.circleci.router.calls
    .slice(index)
    .filter((call) => `${call.method} ${call.route}` === TRIGGER);
}

const pipelineCounts = () => consumers.map((c) => sandbox.circleci.pipelines(`gh/${c.repository}`).length);

describe('startConsumers', () => {
  it('starts consumers several at once, never more than the bound, outcomes in configuration order', async () => {
    let inFlight = 0;
    let most = 0;
    let answered = 0;
    const bump: OneConsumerStart['bump'] = async () => {
      most = Math.max(most, ++inFlight);
      // Later starts answer sooner, so the outcomes' order must come from the configuration, not the answers.
      await new Promise((resolve) => setTimeout(resolve, 2 * (CONSUMERS - answered)));
      answered++;
      inFlight--;
      return { outcome: 'created' };
    };
    const direct = consumers.map((c) => ({ ...c, mode: 'pull-request' as const }));
    const run = await promote(direct, bump);
    expect(run.error, run.log).toBeUndefined();
    expect(most).toBe(CONSUMERS_AT_ONCE);
    expect(run.started?.consumers.map((c) => [c.repository, c.outcome])).toEqual(
      consumers.map((c) => [c.repository, 'created']),
    );
  });

  it('triggers every consumer once, and the comment remembers them', async () => {
    const run = await promote();
    expect(run.error, run.log).toBeUndefined();
    expect(run.started?.consumers.map((c) => [c.repository, c.outcome])).toEqual(
      consumers.map((c) => [c.repository, 'triggered']),
    );
    expect(run.triggers).toHaveLength(CONSUMERS);
    expect(pipelineCounts()).toEqual(consumers.map(() => 1));

    // A re-run triggers nothing.
    const again = await promote();
    expect(
      again.started?.consumers.every((c) => c.outcome === 'already-triggered'),
      again.log,
    ).toBe(true);
    expect(again.triggers).toHaveLength(0);
  });

  it('one failed trigger stops no other, fails the run naming it, and the re-run triggers only that one', async () => {
    const newer = { win2022: { 'us-east-1': 'ami-0fedcba9876543299' } };
    Object.assign(images, newer);
    sandbox.circleci.router.inject({
      route: TRIGGER,
      times: 1,
      respond: { status: 404, body: { message: 'Project not found' } },
    });
    const failed = await promote();
    expect(failed.error, failed.log).toBeDefined();
    expect(failed.triggers).toHaveLength(CONSUMERS);
    const missing = consumers.filter((_, i) => pipelineCounts()[i] === 1);
    expect(missing).toHaveLength(1);
    expect(failed.log).toContain(`consumer ${missing[0]?.repository} did not start`);
    expect(pipelineCounts().filter((count) => count === 2)).toHaveLength(CONSUMERS - 1);

    const rerun = await promote();
    expect(rerun.error, rerun.log).toBeUndefined();
    expect(rerun.triggers).toHaveLength(1);
    expect(
      rerun.started?.consumers.filter((c) => c.outcome === 'triggered').map((c) => c.repository),
    ).toEqual([missing[0]?.repository]);
    expect(pipelineCounts()).toEqual(consumers.map(() => 2));
  });
});
