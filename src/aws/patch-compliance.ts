/**
 * The patch compliance gate: SSM Patch Manager scans the validation instance (`AWS-RunPatchBaseline`,
 * `Operation=Scan`, which installs nothing and never reboots), then its patch state is read
 * (DescribeInstancePatchStates for the counts, DescribeInstancePatches for the patches that are not in) and
 * held against thresholds. The evaluation is pure; the calls are the small functions below it.
 */
import {
  DescribeInstancePatchStatesCommand,
  type InstancePatchState,
  paginateDescribeInstancePatches,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { finishedInvocation } from './ssm-invocation.js';
import type { WaitSettings } from './waits.js';

export const PATCH_BASELINE_DOCUMENT = 'AWS-RunPatchBaseline';
/** The document's Windows step; GetCommandInvocation needs it named, the document having three. */
const WINDOWS_STEP = 'PatchWindows';
/** The patch states that make an instance non-compliant, as DescribeInstancePatches' State filter takes them. */
const NONCOMPLIANT_STATES = ['Missing', 'Failed', 'InstalledPendingReboot', 'InstalledRejected'];

export interface PatchThresholds {
  maxCriticalNonCompliant: number;
  maxSecurityNonCompliant: number;
  maxFailed: number;
  /** No limit when undefined. */
  maxMissing?: number;
}

export interface PatchComplianceSettings {
  thresholds: PatchThresholds;
  /** The baseline the scan must have used (id or ARN); any when undefined. */
  baselineId?: string;
}

/** The counts of an instance's patch state, as the gate and the reports use them. */
export interface PatchCounts {
  installed: number;
  installedPendingReboot: number;
  missing: number;
  failed: number;
  criticalNonCompliant: number;
  securityNonCompliant: number;
  otherNonCompliant: number;
}

/** A patch that is not (fully) in. */
export interface NonCompliantPatch {
  kbId: string;
  title: string;
  classification: string;
  severity: string;
  state: string;
}

/** What the gate found on one instance. */
export interface PatchReport {
  baselineId: string;
  /** When the scan ended (ISO 8601), as SSM recorded it. */
  scannedAt?: string;
  counts: PatchCounts;
  noncompliant: NonCompliantPatch[];
  /** Why the gate failed; empty when it passed. */
  violations: string[];
}

/** Whether `actual` (an id or an ARN) names the baseline `expected` (an id or an ARN). */
export function sameBaseline(actual: string, expected: string): boolean {
  const id = (value: string) => value.slice(value.lastIndexOf('/') + 1);
  return id(actual) === id(expected);
}

/** Why the patch state breaks the thresholds (or came from the wrong baseline); empty when it does not. Pure. */
export function patchViolations(
  counts: PatchCounts,
  baselineId: string,
  settings: PatchComplianceSettings,
): string[] {
  const { thresholds } = settings;
  const over = (count: number, max: number | undefined, what: string) =>
    max !== undefined && count > max ? [`${what}: ${count} (allowed: ${max})`] : [];
  return [
    ...(settings.baselineId !== undefined && !sameBaseline(baselineId, settings.baselineId)
      ? [`scanned against baseline ${baselineId}, not the configured ${settings.baselineId}`]
      : []),
    ...over(
      counts.criticalNonCompliant,
      thresholds.maxCriticalNonCompliant,
      'critical patches not installed',
    ),
    ...over(
      counts.securityNonCompliant,
      thresholds.maxSecurityNonCompliant,
      'security updates not installed',
    ),
    ...over(counts.failed, thresholds.maxFailed, 'patches failed to install'),
    ...over(counts.missing, thresholds.maxMissing, 'patches missing'),
  ];
}

/** The counts of SSM's InstancePatchState. */
export function patchCounts(state: InstancePatchState): PatchCounts {
  return {
    installed: state.InstalledCount ?? 0,
    installedPendingReboot: state.InstalledPendingRebootCount ?? 0,
    missing: state.MissingCount ?? 0,
    failed: state.FailedCount ?? 0,
    criticalNonCompliant: state.CriticalNonCompliantCount ?? 0,
    securityNonCompliant: state.SecurityNonCompliantCount ?? 0,
    otherNonCompliant: state.OtherNonCompliantCount ?? 0,
  };
}

/** One line on a patch for a comment, a log or a Slack notice: `KB5044281 (SecurityUpdates, Critical, MISSING)`. */
export function describePatch(patch: NonCompliantPatch): string {
  return `${patch.kbId} (${patch.classification}, ${patch.severity}, ${patch.state})`;
}

/** Scans the instance, reads its patch state and evaluates it; throws when the scan itself fails. */
export async function checkPatchCompliance(
  ssm: SSMClient,
  instanceId: string,
  settings: PatchComplianceSettings,
  wait: WaitSettings,
): Promise<PatchReport> {
  const commandId = await sendScan(ssm, instanceId, wait);
  const scan = await finishedInvocation(
    ssm,
    { instanceId, commandId, pluginName: WINDOWS_STEP },
    `patch scan on ${instanceId}`,
    wait,
  );
  if (scan.Status !== 'Success') {
    // The agent's own "failed to run commands: exit status N" ends standard error; the cause is the line before.
    const stderr = (scan.StandardErrorContent ?? '').replace(
      /failed to run commands: exit status \d+\s*$/,
      '',
    );
    const detail = lastLine(stderr) ?? lastLine(scan.StandardOutputContent ?? '');
    throw new Error(
      `the patch scan (${PATCH_BASELINE_DOCUMENT}) on ${instanceId} ended ${scan.Status ?? 'without a status'}, exit code ${scan.ResponseCode ?? '?'}${detail ? `: ${detail}` : ''}`,
    );
  }
  const state = await patchState(ssm, instanceId);
  const counts = patchCounts(state);
  const baselineId = state.BaselineId ?? '';
  return {
    baselineId,
    ...(state.OperationEndTime ? { scannedAt: state.OperationEndTime.toISOString() } : {}),
    counts,
    noncompliant: await noncompliantPatches(ssm, instanceId),
    violations: patchViolations(counts, baselineId, settings),
  };
}

async function sendScan(ssm: SSMClient, instanceId: string, wait: WaitSettings): Promise<string> {
  const timeoutSeconds = Math.max(Math.ceil(wait.maxWaitMs / 1000), 30);
  const { Command } = await ssm.send(
    new SendCommandCommand({
      DocumentName: PATCH_BASELINE_DOCUMENT,
      InstanceIds: [instanceId],
      Comment: 'hephestus patch compliance scan',
      TimeoutSeconds: timeoutSeconds,
      // Scan never installs and never reboots: the gate reports what the image carries, it does not fix it.
      Parameters: { Operation: ['Scan'], RebootOption: ['NoReboot'] },
    }),
  );
  if (!Command?.CommandId) throw new Error('SendCommand returned no command id');
  return Command.CommandId;
}

async function patchState(ssm: SSMClient, instanceId: string): Promise<InstancePatchState> {
  const { InstancePatchStates = [] } = await ssm.send(
    new DescribeInstancePatchStatesCommand({ InstanceIds: [instanceId] }),
  );
  const state = InstancePatchStates.find((s) => s.InstanceId === instanceId);
  if (!state) throw new Error(`SSM reports no patch state for ${instanceId} after its scan succeeded`);
  return state;
}

async function noncompliantPatches(ssm: SSMClient, instanceId: string): Promise<NonCompliantPatch[]> {
  const patches: NonCompliantPatch[] = [];
  const pages = paginateDescribeInstancePatches(
    { client: ssm },
    { InstanceId: instanceId, Filters: [{ Key: 'State', Values: NONCOMPLIANT_STATES }] },
  );
  for await (const page of pages) {
    for (const patch of page.Patches ?? []) {
      patches.push({
        kbId: patch.KBId ?? '?',
        title: patch.Title ?? '',
        classification: patch.Classification ?? '',
        severity: patch.Severity ?? '',
        state: patch.State ?? '',
      });
    }
  }
  return patches;
}

function lastLine(text: string): string | undefined {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .at(-1)
    ?.slice(0, 300);
}
