import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BUNDLE } from '../cli/run-cli.js';

interface Summary {
  ok: boolean;
  stages: Array<{ flow: string; repo: string; exitCode: number }>;
  pullRequests: Array<{ repo: string; state: string; merged: boolean }>;
  images: Array<{ image: string; region: string; status: string; channel?: string }>;
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
  it('runs the lifecycle across both repositories, and the re-runs double nothing', async () => {
    const run = await runDemo();
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.ok).toBe(true);
    expect(summary.stages.map((s) => s.flow)).toEqual([
      'open-update',
      'build-validate',
      'promote',
      'bump-consumer',
      'announce',
      'open-update',
      'promote',
      'bump-consumer',
      'announce',
    ]);
    // One PR per repository, both merged: the re-runs opened none.
    expect(summary.pullRequests.map((p) => [p.repo, p.state, p.merged])).toEqual([
      ['acme/windows-images', 'closed', true],
      ['acme/vm-manager', 'closed', true],
    ]);
    expect(summary.images.length).toBeGreaterThan(0);
    expect(summary.images.every((image) => image.status === 'validated')).toBe(true);
    expect(summary.pipelinesTriggered).toBe(1);
    // The narration shows the diffs and the Slack messages a person would see.
    expect(run.stderr).toMatch(/^\s+\+.*ami-/m);
    expect(run.stderr).toContain('Slack #');
  }, 240_000);
});
