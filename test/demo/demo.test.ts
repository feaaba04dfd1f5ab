import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BUNDLE } from '../cli/run-cli.js';

interface Summary {
  ok: boolean;
  stages: Array<{ flow: string; repo: string; exitCode: number; expectedExitCode: number; outcome: unknown }>;
  pullRequests: Array<{ repo: string; title: string; merged: boolean; state: string }>;
  images: Array<{
    image: string;
    region: string;
    ami: string;
    status: string;
    channel?: string;
    patches?: { installed: number; missing: number; failed: number };
  }>;
  issues: Array<{ repo: string; number: number; title: string }>;
  slackMessages: number;
  pipelinesTriggered: number;
}

function runDemo(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BUNDLE, 'demo', '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('hephestus demo', () => {
  it('runs the lifecycle across both repositories, the re-runs double nothing, a revoke rolls back and the patch gate catches a build', async () => {
    const run = await runDemo();
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.ok).toBe(true);
    expect(summary.stages.map((s) => s.flow)).toEqual([
      // the scheduled lifecycle
      'open-update',
      'build-validate',
      'promote',
      'bump-consumer',
      'announce',
      // every step re-run
      'open-update',
      'promote',
      'bump-consumer',
      'announce',
      // the on-demand path: a person's PR changing one image, rolled out to the consumer
      'build-validate',
      'promote',
      'bump-consumer',
      'announce',
      // on call revokes that image; the consumer's pipeline, triggered by revoke, opens the rollback PR
      'revoke',
      'bump-consumer',
      // a second person's PR, failed by the patch gate; its kept instance swept after the expiry
      'build-validate',
      'ami sweep',
      // the image dashboard
      'monitor',
    ]);
    const revoke = summary.stages.findIndex((s) => s.flow === 'revoke');
    expect(summary.stages[revoke]).toMatchObject({ repo: 'acme/windows-images', outcome: 'revoked' });
    expect(summary.stages[revoke + 1]).toMatchObject({ repo: 'acme/vm-manager', outcome: 'created' });
    // Only the build the gate catches fails, as the story expects: the demo still succeeded.
    const caught = summary.stages.findIndex((s) => s.exitCode !== 0);
    expect(summary.stages[caught]).toEqual({
      flow: 'build-validate',
      repo: 'acme/windows-images',
      exitCode: 1,
      expectedExitCode: 1,
      outcome: 'failed',
    });
    expect(summary.stages.filter((s) => s.exitCode !== 0)).toHaveLength(1);
    expect(summary.stages.every((s) => s.exitCode === s.expectedExitCode)).toBe(true);
    const sweep = summary.stages[caught + 1];
    expect(sweep).toMatchObject({ flow: 'ami sweep', exitCode: 0, outcome: { kept: [] } });
    const swept = (sweep?.outcome as { terminated?: string[] } | undefined)?.terminated ?? [];
    expect(swept).toHaveLength(1);
    // Every PR merged but the rollback, left for a person, and the PR whose build failed; the re-runs opened none.
    expect(summary.pullRequests.map((p) => [p.repo, p.title, p.merged])).toEqual([
      ['acme/windows-images', 'Windows image update: win2022, win2019', true],
      ['acme/windows-images', 'Record validated images in images.lock.json', true],
      ['acme/windows-images', 'win2022: keep IIS logs on the default site', true],
      ['acme/windows-images', 'Record validated images in images.lock.json', true],
      ['acme/windows-images', 'Revoke win2022 in images.lock.json', true],
      ['acme/windows-images', 'win2019: log the .NET 3.5 feature state', false],
      ['acme/vm-manager', 'Windows image update: win2022, win2019', true],
      ['acme/vm-manager', 'Windows image update: win2022, win2019', true],
      ['acme/vm-manager', 'Windows image rollback: win2022', false],
    ]);
    const open = summary.pullRequests.filter((p) => p.state === 'open').map((p) => p.title);
    expect(open).toEqual(['win2019: log the .NET 3.5 feature state', 'Windows image rollback: win2022']);
    // Two images in two regions, plus the on-demand win2022 rebuild (win2019 was reused, not rebuilt), which
    // was revoked in both regions; edge is back on the first win2022 build. The caught PR's win2019 failed the
    // patch gate (the month's cumulative update missing); its win2022, rebuilt since main's was revoked, passed.
    const compliant = { installed: 4, missing: 0, failed: 0 };
    const unpatched = { installed: 3, missing: 1, failed: 0 };
    const rows = summary.images
      .map((i) => [i.image, i.region, i.status, i.channel ?? '-', JSON.stringify(i.patches)])
      .sort();
    expect(rows).toEqual(
      [
        ['win2019', 'us-east-1', 'failed', '-', unpatched],
        ['win2019', 'us-east-1', 'validated', 'edge', compliant],
        ['win2019', 'us-west-2', 'failed', '-', unpatched],
        ['win2019', 'us-west-2', 'validated', 'edge', compliant],
        ['win2022', 'us-east-1', 'revoked', '-', compliant],
        ['win2022', 'us-east-1', 'validated', '-', compliant],
        ['win2022', 'us-east-1', 'validated', 'edge', compliant],
        ['win2022', 'us-west-2', 'revoked', '-', compliant],
        ['win2022', 'us-west-2', 'validated', '-', compliant],
        ['win2022', 'us-west-2', 'validated', 'edge', compliant],
      ].map(([image, region, status, channel, patches]) => [
        image,
        region,
        status,
        channel,
        JSON.stringify(patches),
      ]),
    );
    expect(summary.issues).toEqual([
      { repo: 'acme/windows-images', number: expect.any(Number), title: 'Hephestus image dashboard' },
    ]);
    // One consumer pipeline per merged change of the images and one for the revoke; re-runs triggered none.
    expect(summary.pipelinesTriggered).toBe(3);
    // The narration shows the diffs, the Slack messages and the dashboard a person would see.
    expect(run.stderr).toMatch(/^\s+\+.*ami-/m);
    expect(run.stderr).toContain('Slack #');
    expect(run.stderr).toMatch(/Revoked:\s+- `ami-/);
    // The caught build: the PR comment names the missing KB and how to connect to the kept instance, Slack's
    // failed notice says what is missing, and EC2 shows that instance terminated after the sweep.
    const [kept] = swept;
    expect(run.stderr).toMatch(/\| KB5044281 \| SecurityUpdates \| Critical \| MISSING \|/);
    expect(run.stderr).toContain(`aws ssm start-session --target ${kept} --region us-east-1`);
    expect(run.stderr).toMatch(/# Failed: build-validate \(win2019\)[\s\S]*KB5044281/);
    expect(run.stderr).toMatch(new RegExp(`${kept}  running [\\s\\S]*${kept}  terminated `));
  }, 240_000);
});
