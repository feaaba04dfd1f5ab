/**
 * The optional Inspector gate: Amazon Inspector's active findings for the validation instance
 * (`inspector2:ListFindings` filtered by the instance id), held against a severity. Inspector scans an
 * instance on its own schedule, minutes after SSM sees it, so an instance it has not scanned yet shows no
 * findings: the gate can only fail an image, never prove it clean (docs/setup.md says so).
 */
import { type Inspector2Client, paginateListFindings } from '@aws-sdk/client-inspector2';

/** Inspector's severities, mildest first. */
export const INSPECTOR_SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type InspectorSeverity = (typeof INSPECTOR_SEVERITIES)[number];

export interface InspectorFinding {
  /** The CVE (or other vulnerability id). */
  vulnerabilityId: string;
  title: string;
  severity: string;
}

export interface InspectorReport {
  findings: InspectorFinding[];
  /** The findings at or above the threshold; the gate fails when there are any. */
  blocking: InspectorFinding[];
}

/** Whether `severity` is `threshold` or worse; UNTRIAGED and unknown severities count as not. Pure. */
export function atLeast(severity: string, threshold: InspectorSeverity): boolean {
  const rank = INSPECTOR_SEVERITIES.indexOf(severity as InspectorSeverity);
  return rank >= 0 && rank >= INSPECTOR_SEVERITIES.indexOf(threshold);
}

/** The report of `findings` against `threshold`, worst first. Pure. */
export function evaluateFindings(
  findings: readonly InspectorFinding[],
  threshold: InspectorSeverity,
): InspectorReport {
  const rank = (f: InspectorFinding) => INSPECTOR_SEVERITIES.indexOf(f.severity as InspectorSeverity);
  const sorted = [...findings].sort(
    (a, b) => rank(b) - rank(a) || a.vulnerabilityId.localeCompare(b.vulnerabilityId),
  );
  return { findings: sorted, blocking: sorted.filter((f) => atLeast(f.severity, threshold)) };
}

/** One line on a finding: `CVE-2026-21001 (CRITICAL)`. */
export function describeFinding(finding: InspectorFinding): string {
  return `${finding.vulnerabilityId} (${finding.severity})`;
}

/** The instance's active findings, every page. */
export async function instanceFindings(
  client: Inspector2Client,
  instanceId: string,
): Promise<InspectorFinding[]> {
  const findings: InspectorFinding[] = [];
  const pages = paginateListFindings(
    { client },
    {
      filterCriteria: {
        resourceId: [{ comparison: 'EQUALS', value: instanceId }],
        findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }],
      },
      maxResults: 100,
    },
  );
  for await (const page of pages) {
    for (const finding of page.findings ?? []) {
      findings.push({
        vulnerabilityId: finding.packageVulnerabilityDetails?.vulnerabilityId ?? finding.findingArn ?? '?',
        title: finding.title ?? finding.description ?? '',
        severity: finding.severity ?? 'UNTRIAGED',
      });
    }
  }
  return findings;
}
