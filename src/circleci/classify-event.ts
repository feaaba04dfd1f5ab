/**
 * What started the job Hephestus runs in, from CircleCI's environment and the pipeline values the orb passes
 * as job parameters (pipeline values exist only in configuration, not in a job's environment).
 *
 * CircleCI's documented trigger values:
 * - `pipeline.trigger_source`: `webhook`, `api`, `scheduled_pipeline`
 *   (circleci.com/docs/guides/orchestrate/pipeline-variables; the schedule-trigger guide
 *   circleci.com/docs/guides/orchestrate/schedule-triggers-with-multiple-workflows filters on
 *   `pipeline.trigger_source == "scheduled_pipeline" and pipeline.schedule.name == "..."`).
 * - `pipeline.trigger.type`, its successor for GitHub-App pipelines: `github_app`, `bitbucket_dc`, `schedule`,
 *   `webhook`, `api` (circleci.com/changelog/expanded-pipeline-values-support).
 * The web app's "Trigger Pipeline" button also reports `api`; only parameters tell a deliberate manual run.
 *
 * Pure except for the one injected lookup: the pull request a commit on the default branch came from,
 * asked only for a push to the default branch.
 */
import { InputError } from '../errors.js';

/**
 * - `scheduled`: the monthly update schedule ({@link UPDATE_SCHEDULE}): open-update and monitor.
 * - `monitor`: the schedule that only reminds ({@link MONITOR_SCHEDULE}).
 * - `manual`: an API or web-app trigger with pipeline parameters: open-update with them.
 * - `update-branch-push`: a push to any branch but the default one (an update branch, the lock branch, a person's
 *   PR branch): build-validate builds the images whose inputs changed.
 * - `update-merged`: the merge of a pull request into the default branch (an update or an on-demand change, not
 *   the lock file's own PR): promote.
 * - `other`: nothing for hephestus (another schedule, a direct push, a tag).
 */
export type EventKind = 'scheduled' | 'monitor' | 'manual' | 'update-branch-push' | 'update-merged' | 'other';

/** The schedule that runs the monthly update (the examples' and docs/setup.md's name). */
export const UPDATE_SCHEDULE = 'windows-update';
/** A schedule that only runs monitor (reminders about open update PRs), e.g. daily. */
export const MONITOR_SCHEDULE = 'windows-update-monitor';

export interface EventInputs {
  /** `<< pipeline.trigger_source >>`. */
  triggerSource?: string;
  /** `<< pipeline.trigger.type >>` (GitHub-App pipelines). */
  triggerType?: string;
  /** `<< pipeline.schedule.name >>`. */
  scheduleName?: string;
  /** `<< pipeline.git.branch >>`. */
  gitBranch?: string;
  /** `CIRCLE_BRANCH`. */
  circleBranch?: string;
  /** `CIRCLE_PULL_REQUEST`: the PR's URL, set for branches with an open PR. */
  pullRequestUrl?: string;
  /** `CIRCLE_SHA1`. */
  sha?: string;
  /** Pipeline parameters the trigger gave (empty values count as not given). */
  parameters?: Record<string, string | number | boolean | undefined>;
}

export interface MergedPullRequest {
  number: number;
  /** The PR's head branch. */
  headRef: string;
}

export interface ClassifyContext {
  defaultBranch: string;
  /** `windows-update/` by default (configuration `git.branch_prefix`). */
  branchPrefix: string;
  /** The merged PR a commit came from (GitHub `GET /repos/{o}/{r}/commits/{sha}/pulls`). */
  findMergedPullRequest?: (sha: string) => Promise<MergedPullRequest | undefined>;
}

export interface ClassifiedEvent {
  kind: EventKind;
  /** Why, one finding per line, in the order they were used. */
  reasons: string[];
  branch?: string;
  sha?: string;
  scheduleName?: string;
  /** For update-branch-push, the part after the prefix (`win2022`). */
  imageSet?: string;
  pullRequest?: { number: number; headRef?: string };
  /** For manual runs: the parameters given. */
  parameters?: Record<string, string | number | boolean>;
}

/** Trigger kinds that mean "someone pushed": webhook deliveries of the OAuth, GitHub-App and Bitbucket DC integrations. */
const PUSH_TRIGGERS = new Set(['webhook', 'github_app', 'bitbucket_dc', 'gitlab']);

/** The trigger values, cleaned; `base` holds what every classification reports (the commit, when known). */
interface Trigger {
  source?: string;
  type?: string;
  sha?: string;
  base: { sha?: string };
}

/** Classifies the event; calls `findMergedPullRequest` only for a push to the default branch. */
export async function classifyEvent(inputs: EventInputs, context: ClassifyContext): Promise<ClassifiedEvent> {
  const sha = clean(inputs.sha);
  const trigger: Trigger = {
    source: clean(inputs.triggerSource),
    type: clean(inputs.triggerType),
    sha,
    base: { ...(sha ? { sha } : {}) },
  };
  if (trigger.source === 'scheduled_pipeline' || trigger.type === 'schedule') {
    return scheduledEvent(inputs, trigger);
  }
  const reasons: string[] = [];
  const manual = manualEvent(inputs, trigger, reasons);
  if (manual) return manual;

  const branch = branchOf(inputs);
  if (!branch) {
    reasons.push('no branch (pipeline.git.branch and CIRCLE_BRANCH are empty): a tag or an unknown trigger');
    return { kind: 'other', reasons, ...trigger.base };
  }
  reasons.push(`branch ${branch}${clean(inputs.gitBranch) ? ' (pipeline.git.branch)' : ' (CIRCLE_BRANCH)'}`);

  if (isUpdateBranch(branch, context.branchPrefix)) {
    reasons.push(`the branch starts with the update prefix ${context.branchPrefix}`);
    return branchPushEvent(inputs, trigger, branch, branch.slice(context.branchPrefix.length), reasons);
  }
  if (branch !== context.defaultBranch) {
    // A person's branch (an on-demand change): build-validate builds what its PR will need promoted.
    reasons.push(`not the default branch ${context.defaultBranch}: a push to a pull request's branch`);
    return branchPushEvent(inputs, trigger, branch, undefined, reasons);
  }
  return defaultBranchEvent(trigger, branch, context, reasons);
}

/** A scheduled pipeline: the update schedule, the monitor schedule, or another one. */
function scheduledEvent(inputs: EventInputs, trigger: Trigger): ClassifiedEvent {
  const reasons = [
    trigger.source === 'scheduled_pipeline'
      ? 'pipeline.trigger_source is scheduled_pipeline'
      : 'pipeline.trigger.type is schedule',
  ];
  const scheduleName = clean(inputs.scheduleName);
  const branch = branchOf(inputs);
  const kind: EventKind =
    scheduleName === UPDATE_SCHEDULE ? 'scheduled' : scheduleName === MONITOR_SCHEDULE ? 'monitor' : 'other';
  reasons.push(
    kind === 'scheduled'
      ? `schedule ${JSON.stringify(scheduleName)}: the monthly update`
      : kind === 'monitor'
        ? `schedule ${JSON.stringify(scheduleName)}: reminders only`
        : `schedule ${JSON.stringify(scheduleName ?? '')} is neither ${UPDATE_SCHEDULE} nor ${MONITOR_SCHEDULE}`,
  );
  return {
    kind,
    reasons,
    ...trigger.base,
    ...(branch ? { branch } : {}),
    ...(scheduleName ? { scheduleName } : {}),
  };
}

/** An API trigger with parameters is a manual run; without them it is classified by branch (noted in `reasons`). */
function manualEvent(inputs: EventInputs, trigger: Trigger, reasons: string[]): ClassifiedEvent | undefined {
  const viaApi = trigger.source === 'api' || trigger.type === 'api';
  const parameters = givenParameters(inputs.parameters);
  if (viaApi && Object.keys(parameters).length > 0) {
    reasons.push(
      `triggered through the API (${trigger.source === 'api' ? 'pipeline.trigger_source' : 'pipeline.trigger.type'} is api)`,
    );
    reasons.push(`with parameters: ${Object.keys(parameters).sort().join(', ')}`);
    const branch = branchOf(inputs);
    return { kind: 'manual', reasons, ...trigger.base, ...(branch ? { branch } : {}), parameters };
  }
  if (viaApi) reasons.push('triggered through the API without parameters: classified by branch');
  return undefined;
}

/** A push to an update branch (with its image set) or to a person's branch (without). */
function branchPushEvent(
  inputs: EventInputs,
  trigger: Trigger,
  branch: string,
  imageSet: string | undefined,
  reasons: string[],
): ClassifiedEvent {
  const number = pullRequestNumber(inputs.pullRequestUrl);
  if (number !== undefined) reasons.push(`open pull request #${number} (CIRCLE_PULL_REQUEST)`);
  return {
    kind: 'update-branch-push',
    reasons,
    ...trigger.base,
    branch,
    ...(imageSet !== undefined ? { imageSet } : {}),
    ...(number !== undefined ? { pullRequest: { number, headRef: branch } } : {}),
  };
}

/** A pipeline on the default branch: a push of a merged pull request is a promotion, anything else is not. */
async function defaultBranchEvent(
  trigger: Trigger,
  branch: string,
  context: ClassifyContext,
  reasons: string[],
): Promise<ClassifiedEvent> {
  const { source, type, sha, base } = trigger;
  const push =
    source === undefined && type === undefined
      ? 'unknown'
      : PUSH_TRIGGERS.has(source ?? '') || PUSH_TRIGGERS.has(type ?? '');
  if (push === false) {
    reasons.push(`the default branch, but not a push (trigger ${source ?? type})`);
    return { kind: 'other', reasons, ...base, branch };
  }
  reasons.push(
    push === 'unknown'
      ? 'the default branch; no trigger values were passed, so it is taken for a push'
      : 'a push to the default branch',
  );
  if (!sha) {
    reasons.push('no commit (CIRCLE_SHA1 is empty): cannot look up the pull request it came from');
    return { kind: 'other', reasons, branch };
  }
  if (!context.findMergedPullRequest) {
    reasons.push('no pull request lookup available');
    return { kind: 'other', reasons, ...base, branch };
  }
  const merged = await context.findMergedPullRequest(sha);
  if (!merged) {
    reasons.push(`commit ${sha.slice(0, 12)} came from no merged pull request`);
    return { kind: 'other', reasons, ...base, branch };
  }
  return mergedEvent(sha, branch, merged, context.branchPrefix, reasons);
}

/** The merge of a pull request: the lock file's own is nothing to promote; an update or on-demand change is. */
function mergedEvent(
  sha: string,
  branch: string,
  merged: MergedPullRequest,
  branchPrefix: string,
  reasons: string[],
): ClassifiedEvent {
  const base = { sha };
  const pullRequest = { number: merged.number, headRef: merged.headRef };
  const commit = `commit ${sha.slice(0, 12)} came from pull request #${merged.number}`;
  if (merged.headRef === `${branchPrefix}lock`) {
    reasons.push(`${commit} of ${merged.headRef}, the lock file's own: nothing to promote`);
    return { kind: 'other', reasons, ...base, branch, pullRequest };
  }
  if (!isUpdateBranch(merged.headRef, branchPrefix)) {
    reasons.push(`${commit} of branch ${merged.headRef}: an on-demand change to promote`);
    return { kind: 'update-merged', reasons, ...base, branch, pullRequest };
  }
  reasons.push(`${commit} of update branch ${merged.headRef}`);
  return {
    kind: 'update-merged',
    reasons,
    ...base,
    branch,
    imageSet: merged.headRef.slice(branchPrefix.length),
    pullRequest,
  };
}

/**
 * The inputs from a job's environment: CircleCI's own variables, and the pipeline values the orb passes as
 * job parameters, which reach the job as `PARAM_TRIGGER_SOURCE`, `PARAM_TRIGGER_TYPE`, `PARAM_SCHEDULE_NAME`,
 * `PARAM_GIT_BRANCH` and `PARAM_PIPELINE_PARAMETERS` (a JSON object of the pipeline parameters).
 */
export function eventInputsFromEnv(env: Record<string, string | undefined>): EventInputs {
  return givenInputs({
    triggerSource: env.PARAM_TRIGGER_SOURCE,
    triggerType: env.PARAM_TRIGGER_TYPE,
    scheduleName: env.PARAM_SCHEDULE_NAME,
    gitBranch: env.PARAM_GIT_BRANCH,
    circleBranch: env.CIRCLE_BRANCH,
    pullRequestUrl: env.CIRCLE_PULL_REQUEST,
    sha: env.CIRCLE_SHA1,
    parameters: parseParameters(env.PARAM_PIPELINE_PARAMETERS),
  });
}

/** The inputs actually given: CircleCI renders an unset pipeline value as an empty string, which counts as none. */
export function givenInputs(values: EventInputs): EventInputs {
  return Object.fromEntries(
    Object.entries(values).filter(([, value]) => value !== undefined && value !== ''),
  ) as EventInputs;
}

/** The pipeline parameters of a parsed JSON object: its string, number and boolean values. */
export function scalarParameters(parsed: object): Record<string, string | number | boolean> {
  const result: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      result[key] = value;
  }
  return result;
}

/** The PR number at the end of a pull request URL (`https://github.com/o/r/pull/12`). */
export function pullRequestNumber(url: string | undefined): number | undefined {
  const match = /\/pull(?:s)?\/(\d+)\/?$/.exec(clean(url) ?? '');
  return match ? Number(match[1]) : undefined;
}

function isUpdateBranch(branch: string, prefix: string): boolean {
  return prefix !== '' && branch.startsWith(prefix) && branch.length > prefix.length;
}

function branchOf(inputs: EventInputs): string | undefined {
  return clean(inputs.gitBranch) ?? clean(inputs.circleBranch);
}

/** Trimmed, and undefined when empty: CircleCI renders an unset pipeline value as an empty string. */
function clean(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The parameters a trigger set: empty strings and `false` are left out, since a declared pipeline parameter
 * reaches the setup job with its default (`""`, `false`) whether or not the trigger gave it.
 */
function givenParameters(parameters: EventInputs['parameters']): Record<string, string | number | boolean> {
  const given: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(parameters ?? {})) {
    if (value === undefined || value === false || (typeof value === 'string' && value.trim() === ''))
      continue;
    given[key] = value;
  }
  return given;
}

/** The orb wires this variable; anything but a JSON object means the wiring is wrong, so it fails loudly. */
function parseParameters(json: string | undefined): EventInputs['parameters'] {
  if (!json || json.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError('PARAM_PIPELINE_PARAMETERS is not a JSON object of pipeline parameters', {
      setting: 'PARAM_PIPELINE_PARAMETERS',
    });
  }
  return scalarParameters(parsed);
}
