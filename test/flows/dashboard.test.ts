/**
 * The dashboard issue `hephestus run monitor` keeps in the images repository, against the in-process sandbox
 * through the real clients: created once, edited in place only when its text changes, ticked boxes acted on
 * once (unticked, answered with a comment), forged boxes ignored, and `--dry-run` changing nothing.
 */
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boxLine, type DashboardAction } from '../../src/dashboard/dashboard-boxes.js';
import type { DashboardReport } from '../../src/dashboard/keep-dashboard.js';
import type { MonitorReport } from '../../src/flows/monitor.js';
import { SANDBOX_ACCOUNT_ID } from '../../src/sandbox/aws/aws-auth.js';
import { IMAGES_REPO, type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import { githubWrites, runSandboxFlow } from './flow-harness.js';

let sandbox: Sandbox;
let maintainer: Octokit;
const [owner, repo] = IMAGES_REPO.split('/') as [string, string];
const CANARY = { 'us-east-1': 'ami-0dab0000000000001', 'us-west-2': 'ami-0dab0000000000002' };

/** AMIs of ours, validated and holding `channel`, each a copy of a base image of its own region (snapshots included). */
function heldAmis(
  amis: Record<string, string>,
  channel: string,
  extraTags: Record<string, string> = {},
): void {
  for (const [region, imageId] of Object.entries(amis)) {
    const base = [...sandbox.ec2.state.images.values()].find(
      (i) => i.region === region && i.name.startsWith('Windows_Server-2022'),
    );
    if (!base) throw new Error(`the sandbox has no base image in ${region}`);
    // Our own snapshot, as a build leaves one: the channel move tags it along with the AMI.
    const snapshotId = `snap-${imageId.slice(4)}`;
    sandbox.ec2.state.snapshots.set(snapshotId, {
      snapshotId,
      region,
      ownerId: SANDBOX_ACCOUNT_ID,
      volumeId: 'vol-0123456789abcdef0',
      volumeSize: 30,
      state: 'completed',
      startTime: base.creationDate,
      description: `Created for ${imageId}`,
      tags: {},
    });
    sandbox.ec2.state.images.set(imageId, {
      ...base,
      blockDevices: base.blockDevices.map((device) => ({ ...device, snapshotId })),
      imageId,
      name: `win2022-${imageId}`,
      ownerId: SANDBOX_ACCOUNT_ID,
      ownerAlias: undefined,
      isPublic: false,
      tags: {
        'hephestus:image': 'win2022',
        'hephestus:status': 'validated',
        'hephestus:channel': channel,
        ...(region === 'us-east-1' ? { 'base-ami': base.imageId, 'hephestus:run': 'wf-canary' } : {}),
        ...extraTags,
      },
    });
  }
}

beforeAll(async () => {
  sandbox = await startSandbox();
  maintainer = new Octokit({ auth: sandbox.github.addUser('ada-maintainer'), baseUrl: sandbox.urls.github });
  heldAmis(CANARY, 'canary');
});
afterAll(() => sandbox?.stop());

async function monitor(options: { dryRun?: boolean } = {}): Promise<DashboardReport> {
  const run = await runSandboxFlow<MonitorReport>(sandbox, 'monitor', { repo: IMAGES_REPO, ...options });
  expect(run.exitCode, `${run.log}\n${JSON.stringify(run.report?.dashboard)}`).toBe(0);
  const dashboard = run.report?.dashboard;
  if (!dashboard) throw new Error(`monitor kept no dashboard:\n${run.log}`);
  return dashboard;
}

const dashboards = () => sandbox.github.issues(IMAGES_REPO).filter((i) => i.user === 'hephestus-bot');
const issueWrites = () => githubWrites(sandbox).filter((w) => /\/issues(\/\d+)?$/.test(w));

async function tick(action: DashboardAction, extra = ''): Promise<void> {
  const [issue] = dashboards();
  if (!issue?.body) throw new Error('no dashboard issue');
  const line = boxLine(action);
  const ticked = line.replace('- [ ]', '- [x]');
  const current = issue.body.includes(ticked) ? ticked : line;
  expect(issue.body).toContain(current);
  const body = issue.body.replace(current, `${ticked}${extra}`);
  await maintainer.rest.issues.update({ owner, repo, issue_number: issue.number, body });
}

const promote: DashboardAction = { kind: 'promote', image: 'win2022', from: 'canary', to: 'edge' };

describe('the dashboard issue', () => {
  it('is created once, showing each channel and region; an issue someone else opened with its marker is not it', async () => {
    const impostor = `${boxLine(promote).replace('- [ ]', '- [x]')}\n<!-- hephestus:dashboard {"version":1,"boxes":["promote/win2022/canary"]} -->`;
    await maintainer.rest.issues.create({ owner, repo, title: 'Hephestus image dashboard', body: impostor });
    const report = await monitor();
    expect(report).toMatchObject({ write: 'created', title: 'Hephestus image dashboard', boxes: [] });
    const [issue] = dashboards();
    expect(dashboards()).toHaveLength(1);
    expect(issue?.user).toBe('hephestus-bot');
    expect(issue?.body).toMatch(
      /\| canary \| us-east-1 \| `ami-0dab0000000000001` \| .*days.* \| `Windows_Server-2022-English-Full-Base-[\d.]+` \(`ami-\w+`, \d{4}-\d\d-\d\d\) \| wf-canary \|/,
    );
    expect(issue?.body).toMatch(
      /\| canary \| us-west-2 \| `ami-0dab0000000000002` \| .* \| unknown \| none recorded \|/,
    );
    expect(issue?.body).toContain('| edge | | nothing |');
    expect(issue?.body).toContain(boxLine(promote));
    expect(sandbox.github.issues(IMAGES_REPO).find((i) => i.user === 'ada-maintainer')?.body).toBe(impostor);
    expect(sandbox.ec2.state.images.get(CANARY['us-east-1'])?.tags['hephestus:channel']).toBe('canary');
  });

  it('is not written when its text is unchanged', async () => {
    const before = issueWrites().length;
    expect(await monitor()).toMatchObject({ write: 'unchanged', number: dashboards()[0]?.number });
    expect(issueWrites()).toHaveLength(before);
  });

  it('is edited in place when the fleet changes (a revoked AMI)', async () => {
    heldAmis({ 'us-east-1': 'ami-0bad0000000000001' }, 'stable', { 'hephestus:status': 'revoked' });
    expect(await monitor()).toMatchObject({ write: 'updated' });
    expect(dashboards()).toHaveLength(1);
    expect(dashboards()[0]?.body).toMatch(/Revoked:\n\n- `ami-0bad0000000000001` \(us-east-1/);
  });

  it('under --dry-run says what a ticked box would do and leaves it ticked', async () => {
    await tick(promote);
    const before = githubWrites(sandbox).length;
    const report = await monitor({ dryRun: true });
    expect(report.boxes).toEqual([expect.objectContaining({ outcome: 'would-do', action: promote })]);
    expect(githubWrites(sandbox)).toHaveLength(before);
    expect(dashboards()[0]?.body).toContain(boxLine(promote).replace('- [ ]', '- [x]'));
    expect(sandbox.ec2.state.images.get(CANARY['us-east-1'])?.tags['hephestus:channel']).toBe('canary');
  });

  it('acts on a ticked promote box once, unticks it and comments; a forged box is ignored', async () => {
    const forged = '\n- [x] Promote to stable <!-- hephestus:dashboard-box {"id":"promote/win2022/edge"} -->';
    await tick(promote, forged);
    const report = await monitor();
    expect(report.boxes).toEqual([expect.objectContaining({ outcome: 'done', action: promote })]);
    expect(report.ignored).toEqual(['promote/win2022/edge']);
    for (const id of Object.values(CANARY))
      expect(sandbox.ec2.state.images.get(id)?.tags['hephestus:channel']).toBe('edge');
    const [issue] = dashboards();
    expect(issue?.body).not.toContain('- [x]');
    const comments = sandbox.github.comments(IMAGES_REPO, issue?.number ?? 0);
    expect(comments.map((c) => c.user)).toEqual(['hephestus-bot']);
    expect(comments[0]?.body).toContain('Promote **win2022** from canary to edge: **done**');

    const again = await monitor();
    expect(again.boxes).toEqual([]);
    expect(sandbox.github.comments(IMAGES_REPO, issue?.number ?? 0)).toHaveLength(1);
  });

  it('acts on a ticked rebuild box: open-update --force for that image', async () => {
    await tick({ kind: 'rebuild', image: 'win2019' });
    const report = await monitor();
    expect(report.boxes).toEqual([
      expect.objectContaining({
        outcome: 'done',
        message: expect.stringMatching(/^open-update created #\d+/),
      }),
    ]);
    expect(sandbox.github.pulls(IMAGES_REPO).map((p) => p.head.ref)).toContain('windows-update/win2019');
    // The PR list is what monitor inspected before acting: the next run shows the new PR.
    expect(await monitor()).toMatchObject({ write: 'updated', boxes: [] });
    expect(dashboards()[0]?.body).toContain('`windows-update/win2019`');
  });

  it('refuses a promotion the checks refuse, and says why', async () => {
    const edgeToStable: DashboardAction = { kind: 'promote', image: 'win2022', from: 'edge', to: 'stable' };
    const held = sandbox.ec2.state.images.get(CANARY['us-west-2']);
    if (held) held.tags = { ...held.tags, 'hephestus:status': 'failed' };
    await tick(edgeToStable);
    const report = await monitor();
    expect(report.boxes).toEqual([expect.objectContaining({ outcome: 'refused', action: edgeToStable })]);
    expect(sandbox.ec2.state.images.get(CANARY['us-east-1'])?.tags['hephestus:channel']).toBe('edge');
    const [issue] = dashboards();
    expect(sandbox.github.comments(IMAGES_REPO, issue?.number ?? 0).at(-1)?.body).toContain('**refused**');
  });
});
