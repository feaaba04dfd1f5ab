import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BUNDLE } from '../cli/run-cli.js';

interface Summary {
  ok: boolean;
  stages: Array<{ flow: string; repo: string; exitCode: number }>;
  pullRequests: Array<{ repo: string; title: string; merged: boolean }>;
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
      // the on-demand path: a person's PR changing one image
      'build-validate',
      'promote',
    ]);
    // Every PR merged; the re-runs opened none: the update and the person's PR, a lock-file PR after each
    // promote, and the one consumer PR.
    expect(summary.pullRequests.map((p) => [p.repo, p.title, p.merged])).toEqual([
      ['acme/windows-images', 'Windows image update: win2022, win2019', true],
      ['acme/windows-images', 'Record validated images in images.lock.json', true],
      ['acme/windows-images', 'win2022: keep IIS logs on the default site', true],
      ['acme/windows-images', 'Record validated images in images.lock.json', true],
      ['acme/vm-manager', 'Windows image update: win2022, win2019', true],
    ]);
    // Two images in two regions, plus the on-demand win2022 rebuild: win2019 was reused, not rebuilt.
    expect(summary.images.map((i) => i.image).sort()).toEqual([
      'win2019',
      'win2019',
      'win2022',
      'win2022',
      'win2022',
      'win2022',
    ]);
    expect(summary.images.every((image) => image.status === 'validated')).toBe(true);
    // One consumer pipeline per merged change of the images; the re-run of promote triggered none.
    expect(summary.pipelinesTriggered).toBe(2);
    // The narration shows the diffs and the Slack messages a person would see.
    expect(run.stderr).toMatch(/^\s+\+.*ami-/m);
    expect(run.stderr).toContain('Slack #');
  }, 240_000);
});
