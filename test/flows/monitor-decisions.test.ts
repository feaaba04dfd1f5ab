/** The monitor's pure parts: its configuration section, and the verdicts it reads from checks, reviews and comments. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { InputError } from '../../src/errors.js';
import type { BuildValidateReport } from '../../src/flows/build-validate.js';
import { summarizeChecks, summarizeReviews } from '../../src/github/pull-request-status.js';
import { validationRecord } from '../../src/images/build-comment.js';
import { VALIDATION_RECORD } from '../../src/lock/build-record.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';
import { blockersOf } from '../../src/update/update-status.js';

const seed = await readFile(join(seedDirs.imagesRepo, 'hephestus.yml'), 'utf8');
const SHA = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';

describe('the monitor section of hephestus.yml', () => {
  it('defaults when absent, and is read with the rest of the file', () => {
    expect(parseConfig(seed, 'hephestus.yml').monitor).toEqual({
      auto_merge: false,
      require_approval: false,
      stale_after_days: 7,
      dashboard: { enabled: true, title: 'Hephestus image dashboard', max_age_days: 45 },
    });
    const config = parseConfig(
      `monitor:\n  auto_merge: true\n  reminder_channels: ["#ops"]\n${seed}`,
      'hephestus.yml',
    );
    expect(config.monitor).toMatchObject({ auto_merge: true, reminder_channels: ['#ops'] });
    expect(config.git.branch_prefix).toBe('windows-update/');
  });

  it('names the line and setting of a bad value', () => {
    const bad = `${seed}\nmonitor:\n  stale_after_days: -1\n`;
    const line = bad.split('\n').indexOf('  stale_after_days: -1') + 1;
    expect(() => parseConfig(bad, 'hephestus.yml')).toThrow(
      expect.objectContaining({
        location: expect.objectContaining({ line, setting: 'monitor.stale_after_days' }),
      }),
    );
    expect(() => parseConfig(bad, 'hephestus.yml')).toThrow(InputError);
  });
});

describe('verdicts', () => {
  const report = (images: BuildValidateReport['images']): BuildValidateReport => ({
    flow: 'build-validate',
    outcome: 'validated',
    repository: 'acme/windows-images',
    dryRun: false,
    exitCode: 0,
    branch: 'windows-update/win2022',
    sha: SHA,
    run: 'wf-1',
    images,
    summary: [],
    slack: [],
  });
  const image = (amis: Record<string, string>): BuildValidateReport['images'][number] => ({
    image: 'win2022',
    inputHash: 'sha256:abc',
    action: 'built',
    status: 'validated',
    amis,
  });

  it('records "validated" only with AMIs to show for it', () => {
    expect(validationRecord(report([image({ 'us-east-1': 'ami-0123456789abcdef0' })])).outcome).toBe(
      'validated',
    );
    expect(validationRecord(report([image({})])).outcome).toBe('failed');
    expect(validationRecord(report([])).outcome).toBe('failed');
  });

  it('reads back exactly the record it wrote, and nothing from a block that does not parse', () => {
    const record = validationRecord(report([image({ 'us-east-1': 'ami-0123456789abcdef0' })]));
    const body = `### Hephestus: every image validated\n\n${VALIDATION_RECORD.encode(record)}`;
    expect(VALIDATION_RECORD.decode(body)).toEqual(record);
    expect(VALIDATION_RECORD.decode(body.replace(SHA, 'not-a-sha'))).toBeUndefined();
    expect(
      VALIDATION_RECORD.decode(body.replace('"validated","images"', '"passed","images"')),
    ).toBeUndefined();
  });

  it('any failing check fails the lot, any unfinished one keeps it pending', () => {
    const state = fc.constantFrom('success', 'pending', 'failure', 'error') as fc.Arbitrary<
      'success' | 'pending' | 'failure' | 'error'
    >;
    const run = fc.record({
      status: fc.constantFrom('queued', 'in_progress', 'completed'),
      conclusion: fc.option(
        fc.constantFrom('success', 'failure', 'neutral', 'skipped', 'cancelled', 'timed_out'),
        {
          nil: undefined,
        },
      ),
    });
    fc.assert(
      fc.property(fc.array(state), fc.array(run), (states, runs) => {
        const summary = summarizeChecks(
          states.map((s, i) => ({ name: `s${i}`, state: s, url: undefined })),
          runs.map((r, i) => ({ name: `r${i}`, url: undefined, ...r })),
        );
        const states_ = summary.checks.map((c) => c.state);
        expect(summary.checks).toHaveLength(states.length + runs.length);
        if (states_.includes('failure')) expect(summary.state).toBe('failure');
        else if (states_.includes('pending')) expect(summary.state).toBe('pending');
        else expect(summary.state).toBe(states_.length ? 'success' : 'none');
      }),
    );
    expect(
      summarizeChecks([], [{ name: 'build', status: 'completed', conclusion: 'cancelled', url: undefined }])
        .state,
    ).toBe('failure');
  });

  it("counts each reviewer's latest verdict; comments change nothing, a dismissal clears", () => {
    const review = (user: string, state: string) => ({
      user,
      state,
      submittedAt: undefined,
      commitId: undefined,
    });
    expect(
      summarizeReviews([
        review('alice', 'CHANGES_REQUESTED'),
        review('alice', 'COMMENTED'),
        review('bob', 'APPROVED'),
      ]),
    ).toEqual({ decision: 'changes_requested', approvedBy: ['bob'], changesRequestedBy: ['alice'] });
    expect(
      summarizeReviews([review('alice', 'CHANGES_REQUESTED'), review('alice', 'DISMISSED')]).decision,
    ).toBe('none');
  });

  it('needs approval only where configured, and a known mergeable state', () => {
    const ready = {
      validation: { state: 'passed' as const, amis: [] },
      checks: { state: 'none' as const, checks: [] },
      reviews: { decision: 'none' as const, approvedBy: [], changesRequestedBy: [] },
      mergeable: true,
      mergeableState: 'clean',
      draft: false,
    };
    expect(blockersOf(ready, { require_approval: false })).toEqual([]);
    expect(blockersOf(ready, { require_approval: true })).toEqual(['not approved']);
    expect(blockersOf({ ...ready, mergeable: null }, { require_approval: false })).toEqual([
      'mergeability unknown',
    ]);
    expect(
      blockersOf({ ...ready, mergeable: false, mergeableState: 'dirty' }, { require_approval: false }),
    ).toEqual(['not mergeable (dirty)']);
  });
});
