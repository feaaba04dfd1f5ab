/** The pure evaluators of the patch and Inspector gates: thresholds, baselines, severities. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  atLeast,
  evaluateFindings,
  INSPECTOR_SEVERITIES,
  type InspectorFinding,
} from '../../src/aws/inspector-findings.js';
import {
  type PatchCounts,
  type PatchThresholds,
  patchViolations,
  sameBaseline,
} from '../../src/aws/patch-compliance.js';

const DEFAULTS: PatchThresholds = { maxCriticalNonCompliant: 0, maxSecurityNonCompliant: 0, maxFailed: 0 };
const CLEAN: PatchCounts = {
  installed: 42,
  installedPendingReboot: 0,
  missing: 0,
  failed: 0,
  criticalNonCompliant: 0,
  securityNonCompliant: 0,
  otherNonCompliant: 0,
};
const BASELINE = 'arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0c6f0e8d1a2b3c4d5';

const counts = fc.record({
  installed: fc.nat(200),
  installedPendingReboot: fc.nat(20),
  missing: fc.nat(20),
  failed: fc.nat(20),
  criticalNonCompliant: fc.nat(20),
  securityNonCompliant: fc.nat(20),
  otherNonCompliant: fc.nat(20),
});
const thresholds = fc.record(
  {
    maxCriticalNonCompliant: fc.nat(20),
    maxSecurityNonCompliant: fc.nat(20),
    maxFailed: fc.nat(20),
    maxMissing: fc.nat(20),
  },
  { requiredKeys: ['maxCriticalNonCompliant', 'maxSecurityNonCompliant', 'maxFailed'] },
);

describe('patchViolations', () => {
  it('passes a clean scan and names each count over its limit with the defaults', () => {
    expect(patchViolations(CLEAN, BASELINE, { thresholds: DEFAULTS })).toEqual([]);
    expect(
      patchViolations(
        {
          ...CLEAN,
          missing: 3,
          failed: 1,
          criticalNonCompliant: 1,
          securityNonCompliant: 2,
          otherNonCompliant: 1,
        },
        BASELINE,
        { thresholds: DEFAULTS },
      ),
    ).toEqual([
      'critical patches not installed: 1 (allowed: 0)',
      'security updates not installed: 2 (allowed: 0)',
      'patches failed to install: 1 (allowed: 0)',
    ]);
  });

  it('fails exactly when some count is over its limit (property)', () => {
    fc.assert(
      fc.property(counts, thresholds, (c, t) => {
        const over =
          c.criticalNonCompliant > t.maxCriticalNonCompliant ||
          c.securityNonCompliant > t.maxSecurityNonCompliant ||
          c.failed > t.maxFailed ||
          (t.maxMissing !== undefined && c.missing > t.maxMissing);
        expect(patchViolations(c, BASELINE, { thresholds: t }).length > 0).toBe(over);
      }),
    );
  });

  it('never passes more when a limit is lowered (property)', () => {
    fc.assert(
      fc.property(counts, thresholds, fc.nat(5), (c, t, cut) => {
        const lower = { ...t, maxFailed: Math.max(0, t.maxFailed - cut) };
        expect(patchViolations(c, BASELINE, { thresholds: lower }).length).toBeGreaterThanOrEqual(
          patchViolations(c, BASELINE, { thresholds: t }).length,
        );
      }),
    );
  });

  it('fails a scan against another baseline than the configured one, id or ARN', () => {
    expect(sameBaseline(BASELINE, 'pb-0c6f0e8d1a2b3c4d5')).toBe(true);
    expect(sameBaseline('pb-0c6f0e8d1a2b3c4d5', BASELINE)).toBe(true);
    expect(
      patchViolations(CLEAN, BASELINE, { thresholds: DEFAULTS, baselineId: 'pb-0123456789abcdef0' }),
    ).toEqual([`scanned against baseline ${BASELINE}, not the configured pb-0123456789abcdef0`]);
  });
});

const finding = fc.record({
  vulnerabilityId: fc.stringMatching(/^CVE-20\d\d-\d{4,5}$/),
  title: fc.string({ maxLength: 20 }),
  severity: fc.constantFrom(...INSPECTOR_SEVERITIES, 'UNTRIAGED'),
});

describe('evaluateFindings', () => {
  it('blocks the findings at or above the threshold, worst first', () => {
    const findings: InspectorFinding[] = [
      { vulnerabilityId: 'CVE-2026-21002', title: 'SMB', severity: 'MEDIUM' },
      { vulnerabilityId: 'CVE-2026-21001', title: 'Kerberos', severity: 'CRITICAL' },
      { vulnerabilityId: 'CVE-2026-21004', title: 'Untriaged', severity: 'UNTRIAGED' },
      { vulnerabilityId: 'CVE-2026-21003', title: 'RDP', severity: 'HIGH' },
    ];
    const report = evaluateFindings(findings, 'HIGH');
    expect(report.blocking.map((f) => f.vulnerabilityId)).toEqual(['CVE-2026-21001', 'CVE-2026-21003']);
    expect(report.findings.map((f) => f.severity)).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'UNTRIAGED']);
  });

  it('blocks a finding exactly when its rank reaches the threshold (property)', () => {
    fc.assert(
      fc.property(
        fc.array(finding, { maxLength: 15 }),
        fc.constantFrom(...INSPECTOR_SEVERITIES),
        (all, threshold) => {
          const { blocking, findings } = evaluateFindings(all, threshold);
          expect(findings).toHaveLength(all.length);
          const rank = (s: string) =>
            INSPECTOR_SEVERITIES.indexOf(s as (typeof INSPECTOR_SEVERITIES)[number]);
          expect(blocking).toHaveLength(all.filter((f) => rank(f.severity) >= rank(threshold)).length);
          for (const f of blocking) expect(atLeast(f.severity, threshold)).toBe(true);
        },
      ),
    );
  });
});
