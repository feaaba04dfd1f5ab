/**
 * Concurrency (issue 7): two `hephestus run open-update` processes at once against the same sandbox end with
 * one branch and one PR, and both say honestly what they did: one `created`, the other `updated` or
 * `unchanged`, both exit 0, one Slack notice. Run from the built bundle, as CircleCI would run two jobs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenUpdateReport } from '../../src/flows/open-update.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runCliAsync } from '../cli/run-cli-async.js';
import { checkSecrets } from './canary.js';
import { flowEnv, gitConfigsUnder, openPullHeads, published, sandboxSecrets } from './sandbox-flow.js';

const BRANCH = 'windows-update/win2019-win2022';
let sandbox: Sandbox;
let scratch: string;
beforeAll(async () => {
  sandbox = await startSandbox();
  scratch = await mkdtemp(path.join(tmpdir(), 'hephestus-concurrency-'));
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('concurrency', () => {
  it('two open-update runs at once: one branch, one PR, one created and one updated or unchanged', async ({
    task,
  }) => {
    task.meta.figure = 'fault';
    const env = { ...flowEnv(sandbox), TMPDIR: scratch, HEPHESTUS_WORK_DIR: scratch };
    const args = ['run', 'open-update', '--repo', IMAGES_REPO, '--json'];
    const runs = await Promise.all([runCliAsync(args, { env }), runCliAsync(args, { env })]);

    const reports = runs.map((run) => JSON.parse(run.stdout) as OpenUpdateReport);
    for (const run of runs) expect(run.status, run.stderr).toBe(0);
    expect(reports.map((r) => r.outcome).sort()).toSatisfy(
      (outcomes: string[]) =>
        outcomes[0] === 'created' && (outcomes[1] === 'updated' || outcomes[1] === 'unchanged'),
    );
    // Both name the same pull request, the one that is open.
    const numbers = reports.map((r) => r.pullRequest?.number);
    expect(numbers[0]).toBe(numbers[1]);
    expect(sandbox.github.pulls(IMAGES_REPO).map((p) => [p.number, p.state])).toEqual([[numbers[0], 'open']]);
    expect(openPullHeads(sandbox, IMAGES_REPO)).toEqual([BRANCH]);
    expect(Object.keys(sandbox.github.repo(IMAGES_REPO).branches).sort()).toEqual(['main', BRANCH]);
    expect(sandbox.slack.messages('#execution-teams')).toHaveLength(1);

    // Converges: a third run finds nothing to do.
    const third = await runCliAsync(args, { env });
    expect(third.status, third.stderr).toBe(0);
    expect((JSON.parse(third.stdout) as OpenUpdateReport).outcome).toBe('unchanged');
    expect(sandbox.slack.messages('#execution-teams')).toHaveLength(1);

    const captured = [
      ...[...runs, third].flatMap((run) => [run.stdout, run.stderr]),
      ...(await gitConfigsUnder(scratch)),
      ...published(sandbox),
    ];
    expect(checkSecrets(task, sandboxSecrets(sandbox), ...captured)).toBe(0);
  });
});
