import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BUNDLE } from '../cli/run-cli.js';

interface Summary {
  ok: boolean;
  stages: Array<{ flow: string; repo: string; exitCode: number; outcome: unknown }>;
  pullRequests: Array<{ repo: string; title: string; merged: boolean; state: string }>;
  images: Array<{ image: string; region: string; status: string; channel?: string }>;
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
  it('runs the lifecycle across both repositories, the re-runs double nothing, and a revoke rolls back', async () => {
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
      // the image dashboard
      'monitor',
    ]);
    const revoke = summary.stages.findIndex((s) => s.flow === 'revoke');
    expect(summary.stages[revoke]).toMatchObject({ repo: 'acme/windows-images', outcome: 'revoked' });
    expect(summary.stages[revoke + 1]).toMatchObject({ repo: 'acme/vm-manager', outcome: 'created' });
    // Every PR merged but the rollback, left for a person; the re-runs opened none.
    expect(summary.pullRequests.map((p) => [p.repo, p.title, p.merged])).toEqual([
      ['acme/windows-images', 'Windows image update: win2022, win2019', true],
      ['acme/windows-images', 'Record validated images in images.lock.json', true],
      ['acme/windows-images', 'win2022: keep IIS logs on the default site', true],
      ['acme/windows-images', 'Record validated images in images.lock.json', true],
      ['acme/windows-images', 'Revoke win2022 in images.lock.json', true],
      ['acme/vm-manager', 'Windows image update: win2022, win2019', true],
      ['acme/vm-manager', 'Windows image update: win2022, win2019', true],
      ['acme/vm-manager', 'Windows image rollback: win2022', false],
    ]);
    expect(summary.pullRequests.at(-1)?.state).toBe('open');
    // Two images in two regions, plus the on-demand win2022 rebuild (win2019 was reused, not rebuilt), which
    // was revoked in both regions; edge is back on the first win2022 build.
    const rows = summary.images.map((i) => [i.image, i.region, i.status, i.channel ?? '-']).sort();
    expect(rows).toEqual([
      ['win2019', 'us-east-1', 'validated', 'edge'],
      ['win2019', 'us-west-2', 'validated', 'edge'],
      ['win2022', 'us-east-1', 'revoked', '-'],
      ['win2022', 'us-east-1', 'validated', 'edge'],
      ['win2022', 'us-west-2', 'revoked', '-'],
      ['win2022', 'us-west-2', 'validated', 'edge'],
    ]);
    expect(summary.issues).toEqual([
      { repo: 'acme/windows-images', number: expect.any(Number), title: 'Hephestus image dashboard' },
    ]);
    // One consumer pipeline per merged change of the images and one for the revoke; re-runs triggered none.
    expect(summary.pipelinesTriggered).toBe(3);
    // The narration shows the diffs, the Slack messages and the dashboard a person would see.
    expect(run.stderr).toMatch(/^\s+\+.*ami-/m);
    expect(run.stderr).toContain('Slack #');
    expect(run.stderr).toMatch(/Revoked:\s+- `ami-/);
  }, 240_000);
});
