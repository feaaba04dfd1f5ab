/**
 * What build-validate knows of one image as it goes (planned, built or reused, then validated or failed) and
 * of the run as a whole: the shapes the build, tagging, validation and comment modules share.
 */
import type { InspectorFinding } from '../aws/inspector-findings.js';
import type { NonCompliantPatch } from '../aws/patch-compliance.js';
import type { RegionalImage } from '../aws/tag-images.js';
import type { ImageConfig } from '../config/config-schema.js';
import type { LockArtifact } from '../lock/lock-file.js';
import type { RegionalAmis } from './image-set.js';

export interface ImageBuildReport {
  image: string;
  inputHash: string;
  action: 'built' | 'reused' | 'would-build' | 'would-reuse';
  /** `built`: an artifact that is not an AMI, which nothing validates. */
  status: 'validated' | 'failed' | 'pending' | 'built';
  amis: RegionalAmis;
  /** Artifacts that are not AMIs (builder id and artifact id). */
  artifacts?: LockArtifact[];
  /** Why AMI-only steps were skipped. */
  note?: string;
  /** Why the image failed (build or validation). */
  failure?: string;
  validation?: {
    region: string;
    imageId: string;
    instanceId?: string;
    passed: boolean;
    failedStep?: string;
    terminated: boolean;
    /** The failed validation's instance is kept to debug until then (ISO 8601). */
    keptUntil?: string;
    tests: Array<{ name: string; outcome: string; exitCode?: number }>;
    /** The patch scan's counts, when the patch gate ran. */
    patches?: { installed: number; missing: number; failed: number };
    /** The patches not (fully) in, when the patch gate ran. */
    missingPatches?: NonCompliantPatch[];
    /** Inspector's findings at or above the threshold, when that gate ran. */
    blockingFindings?: InspectorFinding[];
  };
}

/** An image to build, and its entry in the report, which the build and the validation fill in. */
export interface PlannedBuild {
  image: ImageConfig;
  entry: ImageBuildReport;
}

/** The run's facts every AMI it makes is tagged with and the comment names. */
export interface BuildRun {
  /** The CI workflow (or a local id) that built. */
  run: string;
  branch: string;
  sha: string;
  packerVersion?: string;
  /** The CI job that ran the validation (CIRCLE_BUILD_URL). */
  runUrl?: string;
}

export const NOT_AN_AMI = 'not an AMI: tagging, validation and promotion skipped';

/** The AMIs and artifacts of an entry, for a log line. */
export function describeBuilt(entry: ImageBuildReport): string {
  return [
    ...Object.values(entry.amis),
    ...(entry.artifacts ?? []).map((a) => `${a.builder_id} ${a.id}`),
  ].join(', ');
}

/** Region-to-AMI as the list the tagging module takes. */
export function regional(amis: RegionalAmis): RegionalImage[] {
  return Object.entries(amis).map(([region, imageId]) => ({ region, imageId }));
}
