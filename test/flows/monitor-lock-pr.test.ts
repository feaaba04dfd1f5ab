/**
 * `hephestus run monitor` with the lock file's own pull request open (`windows-update/lock`, as promote opens it):
 * it is not an update awaiting validation, so monitor names it in its summary and does not report it as
 * "validation pending".
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MonitorReport } from '../../src/flows/monitor.js';
import { GitHubClient } from '../../src/github/github-client.js';
import { commitFileOnBranch } from '../../src/sandbox/github/bare-repo.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { runSandboxFlow } from './flow-harness.js';

let sandbox: Sandbox;
const [owner, repo] = IMAGES_REPO.split('/') as [string, string];

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox?.stop());

it('names the lock-file pull request instead of reporting it as validation pending', async () => {
  const gitDir = sandbox.github.repo(IMAGES_REPO).dir;
  await promisify(execFile)('git', ['--git-dir', gitDir, 'branch', 'windows-update/lock', 'main']);
  await commitFileOnBranch(
    gitDir,
    'windows-update/lock',
    'images.lock.json',
    '{"images":{}}\n',
    'Record the promoted AMIs',
    { name: 'hephestus', email: 'hephestus@localhost' },
  );
  await sandbox.github.sync(IMAGES_REPO);
  const github = new GitHubClient({
    token: sandbox.tokens.github,
    baseUrl: sandbox.urls.github,
    pacing: false,
  });
  const { data: pull } = await github.octokit.rest.pulls.create({
    owner,
    repo,
    head: 'windows-update/lock',
    base: 'main',
    title: 'Record the promoted AMIs',
  });

  const run = await runSandboxFlow<MonitorReport>(sandbox, 'monitor', { repo: IMAGES_REPO });
  expect(run.exitCode, run.log).toBe(0);
  expect(run.report?.pullRequests.map((p) => p.number)).not.toContain(pull.number);
  expect(run.report?.summary).toContain(
    `#${pull.number} updates the lock file (checked by check_lock, not monitored)`,
  );
  expect(JSON.stringify(run.report)).not.toContain('validation pending');
});
