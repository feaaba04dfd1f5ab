/**
 * SSM Patch Manager for Windows, as far as a validation reads it: `AWS-RunPatchBaseline` scans (run from
 * ssm.ts's SendCommand), DescribeInstancePatchStates and DescribeInstancePatches. What an instance would find
 * comes from its AMI's patch profile: set by a test (`setImageProfile`) or by the AMI tag
 * `sandbox:patch-profile`, and inherited along the image's lineage (a CreateImage image from its build
 * instance's AMI, a copy from its source), so a base AMI marked `missing-critical` yields built images that
 * miss the update. Images with no profile anywhere in their lineage are compliant. The baseline is the one
 * registered for the instance's `Patch Group`/`PatchGroup` tag, else the region's default Windows baseline.
 */
import type { AwsClock } from './aws-clock.js';
import type { Ec2Instance, Ec2State } from './ec2-state.js';
import { SsmError } from './ssm-error.js';

/** The tag a Packer template (or a test) puts on an AMI to pick its patch profile. */
export const PATCH_PROFILE_TAG = 'sandbox:patch-profile';
/** The account that owns AWS's predefined patch baselines. */
const AWS_BASELINE_OWNER = '075727635805';
/** A stand-in id for AWS-DefaultPatchBaseline (Windows); AWS's ids differ per region. */
export const DEFAULT_WINDOWS_BASELINE = 'pb-0c6f0e8d1a2b3c4d5';

export type PatchState =
  | 'INSTALLED'
  | 'INSTALLED_OTHER'
  | 'INSTALLED_PENDING_REBOOT'
  | 'INSTALLED_REJECTED'
  | 'MISSING'
  | 'NOT_APPLICABLE'
  | 'FAILED';

/** One patch as DescribeInstancePatches reports it. */
export interface SandboxPatch {
  kbId: string;
  title: string;
  /** Windows Update's classification: SecurityUpdates, CriticalUpdates, Updates, DefinitionUpdates, ... */
  classification: string;
  /** MSRC severity: Critical, Important, Moderate, Low, Unspecified. */
  severity: string;
  state: PatchState;
}

const MONTHLY_CU: Omit<SandboxPatch, 'state'> = {
  kbId: 'KB5044281',
  title: '2026-10 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems',
  classification: 'SecurityUpdates',
  severity: 'Critical',
};
const DOTNET_CU: Omit<SandboxPatch, 'state'> = {
  kbId: 'KB5044029',
  title:
    '2026-10 Cumulative Update for .NET Framework 3.5, 4.8 and 4.8.1 for Microsoft server operating system version 21H2 for x64',
  classification: 'SecurityUpdates',
  severity: 'Important',
};
const MSRT: Omit<SandboxPatch, 'state'> = {
  kbId: 'KB890830',
  title: 'Windows Malicious Software Removal Tool x64 - v5.130 (KB890830)',
  classification: 'UpdateRollups',
  severity: 'Unspecified',
};
const SERVICING_STACK: Omit<SandboxPatch, 'state'> = {
  kbId: 'KB5043126',
  title:
    '2026-10 Servicing Stack Update for Microsoft server operating system version 21H2 for x64-based Systems',
  classification: 'CriticalUpdates',
  severity: 'Unspecified',
};

/** The profiles a tag can name; `compliant` is every image's default. */
export const PATCH_PROFILES: Record<string, SandboxPatch[]> = {
  compliant: [
    { ...MONTHLY_CU, state: 'INSTALLED' },
    { ...DOTNET_CU, state: 'INSTALLED' },
    { ...SERVICING_STACK, state: 'INSTALLED' },
    { ...MSRT, state: 'INSTALLED' },
  ],
  'missing-critical': [
    { ...MONTHLY_CU, state: 'MISSING' },
    { ...DOTNET_CU, state: 'INSTALLED' },
    { ...SERVICING_STACK, state: 'INSTALLED' },
    { ...MSRT, state: 'INSTALLED' },
  ],
  'failed-install': [
    { ...MONTHLY_CU, state: 'INSTALLED' },
    { ...DOTNET_CU, state: 'FAILED' },
    { ...SERVICING_STACK, state: 'INSTALLED' },
    { ...MSRT, state: 'INSTALLED' },
  ],
  'pending-reboot': [
    { ...MONTHLY_CU, state: 'INSTALLED_PENDING_REBOOT' },
    { ...DOTNET_CU, state: 'INSTALLED' },
    { ...SERVICING_STACK, state: 'INSTALLED' },
    { ...MSRT, state: 'INSTALLED' },
  ],
};

/** What the last scan of an instance found. */
export interface InstancePatchRecord {
  instanceId: string;
  patchGroup: string;
  baselineId: string;
  operation: 'Scan' | 'Install';
  startedAt: number;
  endedAt: number;
  /** When each installed patch went in (the scan reports it; the sandbox says: at image build). */
  installedAt: number;
  patches: SandboxPatch[];
}

export interface PatchManagerState {
  /** Profiles set by tests, by AMI id; a profile name or the patches themselves. */
  imageProfiles: Map<string, string | SandboxPatch[]>;
  /** Baselines registered for patch groups, by `region/group`. */
  patchGroups: Map<string, string>;
  /** The last scan of each instance. */
  records: Map<string, InstancePatchRecord>;
}

export function createPatchManagerState(): PatchManagerState {
  return { imageProfiles: new Map(), patchGroups: new Map(), records: new Map() };
}

/** The AWS-owned default Windows baseline of a region, as an instance's patch state names it. */
export function defaultBaselineArn(region: string): string {
  return `arn:aws:ssm:${region}:${AWS_BASELINE_OWNER}:patchbaseline/${DEFAULT_WINDOWS_BASELINE}`;
}

/** The patches an image's instance would report: its own profile, else its lineage's, else compliant. */
export function patchesOfImage(state: PatchManagerState, ec2: Ec2State, imageId: string): SandboxPatch[] {
  const seen = new Set<string>();
  let current: string | undefined = imageId;
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    const own = state.imageProfiles.get(current);
    const image = ec2.images.get(current);
    const tagged = image?.tags[PATCH_PROFILE_TAG];
    const profile = own ?? tagged;
    if (profile !== undefined) {
      const patches = typeof profile === 'string' ? PATCH_PROFILES[profile] : profile;
      if (patches) return patches.map((patch) => ({ ...patch }));
    }
    current =
      image?.sourceImageId ??
      (image?.sourceInstanceId ? ec2.instances.get(image.sourceInstanceId)?.imageId : undefined);
  }
  return (PATCH_PROFILES.compliant as SandboxPatch[]).map((patch) => ({ ...patch }));
}

/** The `AWS-RunPatchBaseline` parameters the sandbox acts on, checked as the document checks them. */
export function patchBaselineParameters(parameters: Record<string, unknown>): {
  operation: 'Scan' | 'Install';
  rebootOption: string;
} {
  const single = (name: string, fallback: string, allowed: string[]) => {
    const value = parameters[name];
    if (value === undefined) return fallback;
    const text = Array.isArray(value) && value.length === 1 ? String(value[0]) : undefined;
    if (text === undefined || !allowed.includes(text)) {
      throw new SsmError(
        'InvalidParameters',
        `Parameter "${name}" has a value of ${JSON.stringify(value)} that is not allowed: allowed values are ${allowed.join(', ')}.`,
      );
    }
    return text;
  };
  const known = ['Operation', 'SnapshotId', 'InstallOverrideList', 'BaselineOverride', 'RebootOption'];
  const unknown = Object.keys(parameters).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new SsmError(
      'InvalidParameters',
      `Document AWS-RunPatchBaseline does not support parameters: ${unknown.join(', ')}.`,
    );
  }
  if (parameters.Operation === undefined) {
    throw new SsmError('InvalidParameters', 'Parameter "Operation" is required but was not provided.');
  }
  return {
    operation: single('Operation', 'Scan', ['Scan', 'Install']) as 'Scan' | 'Install',
    rebootOption: single('RebootOption', 'RebootIfNeeded', ['RebootIfNeeded', 'NoReboot']),
  };
}

/** The baseline an instance is scanned against: its patch group's, else the region's default. */
function baselineFor(state: PatchManagerState, instance: Ec2Instance): { group: string; baselineId: string } {
  const group = instance.tags['Patch Group'] ?? instance.tags.PatchGroup ?? '';
  const registered = group ? state.patchGroups.get(`${instance.region}/${group}`) : undefined;
  return { group, baselineId: registered ?? defaultBaselineArn(instance.region) };
}

/**
 * Runs a scan (or an install, which here installs what is missing) and records the instance's patch state;
 * returns the PatchWindows step's output as the agent prints it.
 */
export function runPatchBaseline(
  state: PatchManagerState,
  ec2: Ec2State,
  instance: Ec2Instance,
  run: { operation: 'Scan' | 'Install'; startedAt: number; endedAt: number },
): { exitCode: number; stdout: string; stderr: string } {
  const { group, baselineId } = baselineFor(state, instance);
  const found = patchesOfImage(state, ec2, instance.imageId);
  const patches =
    run.operation === 'Install'
      ? found.map((p) => (p.state === 'MISSING' ? { ...p, state: 'INSTALLED' as const } : p))
      : found;
  state.records.set(instance.instanceId, {
    instanceId: instance.instanceId,
    patchGroup: group,
    baselineId,
    operation: run.operation,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    installedAt: ec2.images.get(instance.imageId)?.creationDate ?? run.startedAt,
    patches,
  });
  const counts = patchCounts(patches);
  const stdout = [
    `Patch group: ${group || '(none)'}`,
    `Operation type: ${run.operation}`,
    `Patch baseline: ${baselineId}`,
    `Installed: ${counts.InstalledCount}, missing: ${counts.MissingCount}, failed: ${counts.FailedCount}`,
    '',
  ].join('\n');
  return { exitCode: 0, stdout, stderr: '' };
}

/** The counts of an InstancePatchState: SSM's compliance levels, Critical meaning MSRC Critical here. */
export function patchCounts(patches: readonly SandboxPatch[]) {
  const count = (state: PatchState) => patches.filter((p) => p.state === state).length;
  const nonCompliant = patches.filter((p) =>
    ['MISSING', 'FAILED', 'INSTALLED_PENDING_REBOOT', 'INSTALLED_REJECTED'].includes(p.state),
  );
  const critical = nonCompliant.filter((p) => p.severity === 'Critical');
  const security = nonCompliant.filter(
    (p) => p.severity !== 'Critical' && p.classification === 'SecurityUpdates',
  );
  return {
    InstalledCount: count('INSTALLED'),
    InstalledOtherCount: count('INSTALLED_OTHER'),
    InstalledPendingRebootCount: count('INSTALLED_PENDING_REBOOT'),
    InstalledRejectedCount: count('INSTALLED_REJECTED'),
    MissingCount: count('MISSING'),
    FailedCount: count('FAILED'),
    UnreportedNotApplicableCount: 0,
    NotApplicableCount: count('NOT_APPLICABLE'),
    AvailableSecurityUpdateCount: 0,
    CriticalNonCompliantCount: critical.length,
    SecurityNonCompliantCount: security.length,
    OtherNonCompliantCount: nonCompliant.length - critical.length - security.length,
  };
}

type Body = Record<string, unknown>;
const seconds = (ms: number) => ms / 1000;

/** A `NextToken` of this sandbox: the index to start at, base64url. */
function pageStart(body: Body): number {
  const start =
    typeof body.NextToken === 'string' ? Number(Buffer.from(body.NextToken, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0)
    throw new SsmError('InvalidNextToken', 'The specified token is not valid.');
  return start;
}

function maxResults(body: Body, min: number, max: number, fallback: number): number {
  const value = typeof body.MaxResults === 'number' ? body.MaxResults : fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SsmError(
      'ValidationException',
      `1 validation error detected: Value '${value}' at 'maxResults' failed to satisfy constraint: Member must have value ${value < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`,
    );
  }
  return value;
}

function page<T>(items: T[], start: number, size: number): { items: T[]; NextToken?: string } {
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { NextToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
}

/** `Installed`, `InstalledPendingReboot` and `INSTALLED_PENDING_REBOOT` all name one state. */
const normalState = (value: string) => value.replace(/[_\s]/g, '').toLowerCase();

const PATCH_FILTER_KEYS = ['Classification', 'KBId', 'Severity', 'State'] as const;

function matchesFilters(patch: SandboxPatch, filters: Array<{ Key?: string; Values?: string[] }>): boolean {
  return filters.every((filter) => {
    const key = filter.Key as (typeof PATCH_FILTER_KEYS)[number];
    if (!PATCH_FILTER_KEYS.includes(key)) {
      throw new SsmError('InvalidFilter', `The filter key ${String(filter.Key)} is not supported.`);
    }
    const values = filter.Values ?? [];
    if (values.length === 0) throw new SsmError('InvalidFilter', `The filter ${key} has no values.`);
    const field = {
      Classification: patch.classification,
      KBId: patch.kbId,
      Severity: patch.severity,
      State: patch.state,
    }[key];
    return values.some((value) => normalState(value) === normalState(field));
  });
}

/** The Patch Manager actions over `state`, merged into ssm.ts's action table. */
export function patchActions(
  state: PatchManagerState,
  ec2: Ec2State,
  _clock: AwsClock,
): Record<string, (body: Body, region: string) => unknown> {
  const recordIn = (region: string, instanceId: string) => {
    const instance = ec2.instances.get(instanceId);
    if (!instance || instance.region !== region) {
      throw new SsmError('InvalidInstanceId', `Instance Id ${instanceId} is not valid.`);
    }
    return state.records.get(instanceId);
  };
  return {
    DescribeInstancePatchStates(body, region) {
      const ids = Array.isArray(body.InstanceIds) ? body.InstanceIds.map(String) : [];
      if (ids.length < 1 || ids.length > 50) {
        throw new SsmError(
          'ValidationException',
          "1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length less than or equal to 50 and greater than or equal to 1",
        );
      }
      const size = maxResults(body, 10, 100, 50);
      // Instances never scanned, or unknown, are simply absent from the answer.
      const records = ids
        .map((id) => state.records.get(id))
        .filter((record): record is InstancePatchRecord => record !== undefined)
        .filter((record) => ec2.instances.get(record.instanceId)?.region === region);
      const { items, NextToken } = page(records, pageStart(body), size);
      return {
        InstancePatchStates: items.map((record) => ({
          InstanceId: record.instanceId,
          PatchGroup: record.patchGroup,
          BaselineId: record.baselineId,
          OperationStartTime: seconds(record.startedAt),
          OperationEndTime: seconds(record.endedAt),
          Operation: record.operation,
          RebootOption: 'RebootIfNeeded',
          ...patchCounts(record.patches),
        })),
        ...(NextToken ? { NextToken } : {}),
      };
    },

    DescribeInstancePatches(body, region) {
      const instanceId = typeof body.InstanceId === 'string' ? body.InstanceId : '';
      if (!instanceId) {
        throw new SsmError(
          'ValidationException',
          "1 validation error detected: Value null at 'instanceId' failed to satisfy constraint: Member must not be null",
        );
      }
      const size = maxResults(body, 10, 100, 50);
      const record = recordIn(region, instanceId);
      const filters = Array.isArray(body.Filters)
        ? (body.Filters as Array<{ Key?: string; Values?: string[] }>)
        : [];
      const patches = (record?.patches ?? []).filter((patch) => matchesFilters(patch, filters));
      const { items, NextToken } = page(patches, pageStart(body), size);
      return {
        Patches: items.map((patch) => ({
          Title: patch.title,
          KBId: patch.kbId,
          Classification: patch.classification,
          Severity: patch.severity,
          State: patch.state,
          InstalledTime: patch.state.startsWith('INSTALLED') ? seconds(record?.installedAt ?? 0) : 0,
        })),
        ...(NextToken ? { NextToken } : {}),
      };
    },
  };
}
