/**
 * The continuation configuration a setup pipeline continues with: for one classified event, one workflow that
 * runs exactly the hephestus orb jobs for that event (or a no-op job when there is nothing to do).
 *
 * Built with `@circleci/circleci-config-sdk`, which models orb imports natively (`OrbImport` with a manifest of
 * the jobs it uses, referenced from a `WorkflowJob`), so the orb's jobs need no post-processing of the YAML.
 * Only the text is ours: the SDK's `stringify` prepends its own banner naming the SDK version
 * (`0.0.0-development` in the published build), so `renderConfig` stringifies the SDK's generated object with
 * `yaml` under our own header, `orbs` first and without the empty `setup: false` / `jobs: {}` it always emits.
 *
 * Pure: no file or network I/O.
 */
import CircleCI from '@circleci/circleci-config-sdk';
import { stringify } from 'yaml';
import { InputError } from '../errors.js';
import type { EventKind } from './classify-event.js';

export const EVENT_KINDS: readonly EventKind[] = [
  'scheduled',
  'monitor',
  'manual',
  'update-branch-push',
  'update-merged',
  'other',
];

/** The orb's coordinates: `hephestus/hephestus@<version>`. */
export const ORB_NAMESPACE = 'hephestus';
export const ORB_NAME = 'hephestus';
export const ORB_ALIAS = 'hephestus';

/** The context holding the secrets the orb's jobs read (GITHUB_TOKEN, SLACK_ACCESS_TOKEN, CIRCLE_TOKEN, AWS). */
export const DEFAULT_CONTEXT = 'hephestus';

type ParameterLiteral = 'string' | 'boolean';

/**
 * The orb jobs a continuation may run, with the parameters it may pass them. The SDK needs this manifest to
 * reference an imported orb's job; a test checks it against `orb/src/jobs/`.
 */
export const ORB_JOB_PARAMETERS = {
  open_update: { images: 'string', force: 'boolean' },
  build_validate: {},
  promote: {},
  monitor: {},
  check_lock: {},
} as const satisfies Record<string, Record<string, ParameterLiteral>>;

export type OrbJobName = keyof typeof ORB_JOB_PARAMETERS;

/**
 * What runs for each event: a workflow name and the orb jobs in it, side by side (none: the no-op job). The
 * schedule also monitors the open update PRs; a push to an update branch also checks the lock file.
 */
export const EVENT_PLANS: Record<EventKind, { workflow: string; orbJobs: readonly OrbJobName[] }> = {
  scheduled: { workflow: 'scheduled', orbJobs: ['open_update', 'monitor'] },
  monitor: { workflow: 'monitor', orbJobs: ['monitor'] },
  manual: { workflow: 'open-update', orbJobs: ['open_update'] },
  'update-branch-push': { workflow: 'build-validate', orbJobs: ['build_validate', 'check_lock'] },
  'update-merged': { workflow: 'promote', orbJobs: ['promote'] },
  other: { workflow: 'nothing-to-do', orbJobs: [] },
};

/** The orb job a manual run's pipeline parameters go to. */
const PARAMETERS_JOB: OrbJobName = 'open_update';

/** The no-op job for events hephestus has nothing to do for; a continuation must run at least one job. */
export const NOTHING_TO_DO_JOB = 'nothing_to_do';

/** The event as `hephestus event --json` writes it; only these fields matter here. */
export interface ContinuationEvent {
  kind: EventKind;
  /** For manual runs: the pipeline parameters the trigger gave. */
  parameters?: Record<string, string | number | boolean>;
}

export interface ContinuationOptions {
  /** The orb version to import, e.g. `1.2.3` or `1.2`. */
  orbVersion: string;
  /** The context the orb job runs with. */
  context?: string;
}

/** A generated configuration: the document as a value and as the YAML text to hand to CircleCI. */
export interface GeneratedConfig {
  config: Record<string, unknown>;
  text: string;
}

export interface Continuation extends GeneratedConfig {
  kind: EventKind;
  workflow: string;
  /** The workflow's first job, as written in the config (`hephestus/open_update`, `nothing_to_do`). */
  job: string;
  /** Every job the workflow runs, as written in the config. */
  jobs: string[];
}

// CircleCI resolves `<orb>@1`, `@1.2`, `@1.2.3`, `@volatile` and dev versions `@dev:<label>`.
const ORB_VERSION = /^(?:\d+(?:\.\d+){0,2}|volatile|dev:[\w.-]+)$/;
// Image names as hephestus.yml names them; anything else would be pasted into CircleCI's config unchecked.
const IMAGE_LIST = /^[A-Za-z0-9][\w.-]*(?:,[A-Za-z0-9][\w.-]*)*$/;
const CONTEXT_NAME = /^[\w.-]+$/;

/** Builds the continuation config that runs exactly the job for `event`. Throws InputError on bad input. */
export function generateContinuationConfig(
  event: ContinuationEvent,
  options: ContinuationOptions,
): Continuation {
  const plan = Object.hasOwn(EVENT_PLANS, event.kind) ? EVENT_PLANS[event.kind] : undefined;
  if (!plan) {
    throw new InputError(
      `unknown event kind ${JSON.stringify(event.kind)} (one of ${EVENT_KINDS.join(', ')})`,
      {
        setting: '--event',
      },
    );
  }
  if (!ORB_VERSION.test(options.orbVersion)) {
    throw new InputError(
      `not an orb version: ${JSON.stringify(options.orbVersion)} (expected e.g. 1.2.3, 1.2 or dev:alpha)`,
      { setting: '--orb-version' },
    );
  }
  const context = options.context ?? DEFAULT_CONTEXT;
  if (!CONTEXT_NAME.test(context)) {
    throw new InputError(`not a context name: ${JSON.stringify(context)}`, { setting: '--context' });
  }

  const config = new CircleCI.Config();
  const workflow = new CircleCI.Workflow(plan.workflow);
  const jobs: string[] = [];
  if (plan.orbJobs.length > 0) {
    const orb = importOrb(options.orbVersion);
    config.importOrb(orb);
    const parameters = event.kind === 'manual' ? manualParameters(event.parameters ?? {}) : {};
    for (const name of plan.orbJobs) {
      const reference = orb.jobs[name];
      if (!reference) throw new Error(`orb manifest lacks job ${name}`);
      const given = name === PARAMETERS_JOB ? parameters : {};
      workflow.jobs.push(new CircleCI.workflow.WorkflowJob(reference, { context: [context], ...given }));
      jobs.push(`${ORB_ALIAS}/${name}`);
    }
  } else {
    const noop = nothingToDoJob();
    config.addJob(noop);
    workflow.addJob(noop);
    jobs.push(NOTHING_TO_DO_JOB);
  }
  config.addWorkflow(workflow);
  const header = `Generated by \`hephestus config generate\` for the event "${event.kind}": runs ${jobs.join(', ')}.`;
  const job = jobs[0] as string;
  return { kind: event.kind, workflow: plan.workflow, job, jobs, ...renderConfig(config, header) };
}

/** The SDK's generated document, without the keys it always emits empty, as YAML under a `#` header. */
export function renderConfig(config: InstanceType<typeof CircleCI.Config>, header: string): GeneratedConfig {
  const generated = config.generate() as unknown as Record<string, unknown>;
  const document: Record<string, unknown> = {};
  // The SDK puts `orbs` last; readers (and CircleCI's own examples) expect the imports at the top.
  const keys = [...new Set([...TOP_LEVEL_ORDER, ...Object.keys(generated)])];
  for (const key of keys) {
    const value = generated[key];
    // `setup: false` and `jobs: {}` say nothing; leaving them out keeps the continuation to what it runs.
    if (key === 'setup' && value === false) continue;
    if (key === 'jobs' && isEmptyMap(value)) continue;
    if (value !== undefined) document[key] = value;
  }
  const comment = header
    .split('\n')
    .map((line) => `# ${line}`.trimEnd())
    .join('\n');
  // A filter object shared by several jobs would otherwise come out as a YAML anchor and aliases.
  return {
    config: document,
    text: `${comment}\n\n${stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })}`,
  };
}

const TOP_LEVEL_ORDER = [
  'version',
  'setup',
  'orbs',
  'parameters',
  'executors',
  'commands',
  'jobs',
  'workflows',
];

function importOrb(version: string) {
  const jobs: Record<string, InstanceType<typeof CircleCI.parameters.CustomParametersList>> = {};
  for (const [name, parameters] of Object.entries(ORB_JOB_PARAMETERS)) {
    jobs[name] = new CircleCI.parameters.CustomParametersList(
      Object.entries(parameters).map(
        ([parameter, type]) => new CircleCI.parameters.CustomParameter(parameter, type as ParameterLiteral),
      ),
    );
  }
  return new CircleCI.orb.OrbImport(ORB_ALIAS, ORB_NAMESPACE, ORB_NAME, version, undefined, {
    jobs,
    commands: {},
    executors: {},
  });
}

/** The manual run's `images` and `force`, checked: they end up verbatim in the configuration CircleCI compiles. */
function manualParameters(
  given: Record<string, string | number | boolean>,
): Record<string, string | boolean> {
  const parameters: Record<string, string | boolean> = {};
  const images = given.images;
  if (images !== undefined && String(images).trim() !== '') {
    const list = String(images).replace(/\s+/g, '');
    if (!IMAGE_LIST.test(list)) {
      throw new InputError(
        `pipeline parameter images is not a comma-separated list of image names: ${images}`,
        {
          setting: 'images',
        },
      );
    }
    parameters.images = list;
  }
  const force = given.force;
  if (force !== undefined && force !== '') {
    const value = booleanOf(force);
    if (value === undefined) {
      throw new InputError(`pipeline parameter force is not a boolean: ${JSON.stringify(force)}`, {
        setting: 'force',
      });
    }
    if (value) parameters.force = true;
  }
  return parameters;
}

function booleanOf(value: string | number | boolean): boolean | undefined {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  return undefined;
}

function nothingToDoJob() {
  // The smallest CircleCI convenience image: the job only says why nothing ran.
  const executor = new CircleCI.executors.DockerExecutor('cimg/base:current', 'small');
  return new CircleCI.Job(NOTHING_TO_DO_JOB, executor, [
    new CircleCI.commands.Run({
      name: 'Nothing for hephestus to do',
      command:
        'echo "This pipeline was not started by a schedule, a manual run with parameters, a push to an update branch or the merge of an update: hephestus has nothing to do."',
    }),
  ]);
}

function isEmptyMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}
