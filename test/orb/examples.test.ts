/**
 * The orb's usage examples, run rather than read:
 * - dynamic_setup_config: its setup job runs through the orb runner with the real hephestus bundle (classify the
 *   event, generate the continuation) and a stand-in of circleci/continuation's `continue` (the same jq body and
 *   curl POST) against the sandbox's CircleCI API; the configuration it continued with is then run through the
 *   runner too, so a manual run's images and force reach open_update.
 * - scheduled_images_update with manual_run_with_parameters: for each kind of pipeline, which workflows of the
 *   two combined run. A manual run on main must not promote.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Sandbox, startSandbox } from '../../src/sandbox/start-sandbox.js';
import {
  cliBundle,
  exists,
  loadOrb,
  realHephestus,
  recordedCalls,
  recordingHephestus,
  scratchBases,
} from './orb-fixture.js';
import { runJob, runSteps } from './orb-runner.js';
import { evaluateLogic, isRecord, type PipelineValues, substitute } from './orb-template.js';

const { orb, source } = await loadOrb();
const { dir: scratch, freshBase } = await scratchBases('orb-examples-');
const usageOf = (name: string) =>
  source.components.find((c) => c.folder === 'examples' && c.name === name)?.value.usage as Record<
    string,
    unknown
  >;

/**
 * circleci/continuation@1's `continue`, reduced to what it does: the continuation key, the configuration file and
 * the parameters as one JSON body built with jq, POSTed with curl to /api/v2/pipeline/continue.
 */
const CONTINUE = `set -euo pipefail
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }
jq -n --arg continuation "$CIRCLE_CONTINUATION_KEY" --rawfile config "$PARAM_CONFIGURATION_PATH" \\
  --argjson params "$PARAM_PARAMETERS" \\
  '{"continuation-key": $continuation, "configuration": $config, parameters: $params}' >/tmp/continue-body-$$.json
status="$(curl -o /tmp/continue-response-$$.txt -w '%{http_code}' -s -X POST -H 'Content-Type: application/json' \\
  --data @/tmp/continue-body-$$.json "$CONTINUATION_API/api/v2/pipeline/continue")"
cat /tmp/continue-response-$$.txt
rm -f /tmp/continue-body-$$.json /tmp/continue-response-$$.txt
[[ "$status" == 200 ]] || { echo "continuation failed: $status" >&2; exit 1; }
`;

/** The orb with the example's other orb's command beside its own, and the example's `orb/` prefixes dropped. */
const withContinuation = {
  ...orb,
  commands: {
    ...(orb.commands as object),
    continue: {
      parameters: {
        configuration_path: { type: 'string' },
        parameters: { type: 'string', default: '{}' },
      },
      steps: [
        {
          run: {
            name: 'Continue Pipeline',
            environment: {
              PARAM_CONFIGURATION_PATH: '<< parameters.configuration_path >>',
              PARAM_PARAMETERS: '<< parameters.parameters >>',
            },
            command: CONTINUE,
          },
        },
      ],
    },
  },
};

function localSteps(steps: unknown): unknown {
  if (Array.isArray(steps)) return steps.map(localSteps);
  if (!isRecord(steps)) return typeof steps === 'string' ? steps.replace(/^[\w-]+\//, '') : steps;
  return Object.fromEntries(
    Object.entries(steps).map(([key, value]) => [
      key.replace(/^[\w-]+\//, ''),
      key === 'steps' || key === 'when' || key === 'unless' ? localSteps(value) : value,
    ]),
  );
}

describe('the dynamic_setup_config example', () => {
  let sandbox: Sandbox;
  let bin: string;
  beforeAll(async () => {
    expect(await exists(cliBundle)).toBe(true);
    sandbox = await startSandbox({ seed: false });
    bin = await realHephestus(join(scratch, 'bin'));
  });
  afterAll(() => sandbox.stop());

  /** Runs the example's setup job for a pipeline and returns the configuration it continued with. */
  async function setup(pipeline: PipelineValues): Promise<Record<string, unknown>> {
    const usage = usageOf('dynamic_setup_config');
    const job = (usage.jobs as Record<string, { steps: unknown[] }>).setup;
    const { continuationKey } = sandbox.circleci.createSetupPipeline('gh/acme/windows-images', {
      branch: pipeline.git?.branch,
      parameters: pipeline.parameters,
    });
    const declared = Object.fromEntries(
      Object.entries(usage.parameters as Record<string, { default: string | boolean }>).map(([name, p]) => [
        name,
        p.default,
      ]),
    );
    const values = {
      schedule: { name: '', id: '' },
      ...pipeline,
      parameters: { ...declared, ...pipeline.parameters },
    };
    // The registry install needs the released orb's pinned integrity; the bundle built here is on PATH instead.
    const steps = (localSteps(substitute(job?.steps, { parameters: {}, pipeline: values })) as unknown[]).map(
      (step) => (step === 'install' ? { install: { cli_source: 'installed' } } : step),
    );
    const base = await freshBase();
    await mkdir(join(base, 'project'), { recursive: true });
    await writeFile(join(base, 'project', 'hephestus.yml'), 'version: 1\n');
    const before = sandbox.circleci.state.continuations.length;
    const result = await runSteps(withContinuation, steps, {
      base,
      path: [bin],
      pipeline: values,
      env: {
        ...sandbox.env,
        CIRCLE_CONTINUATION_KEY: continuationKey,
        CONTINUATION_API: sandbox.urls.circleci,
      },
    });
    expect(
      result.steps.filter((s) => s.status !== 'success').map((s) => [s.name, s.exitCode, s.output]),
    ).toEqual([]);
    const continued = sandbox.circleci.state.continuations.slice(before);
    expect(continued).toHaveLength(1);
    return parse(continued[0]?.configuration as string) as Record<string, unknown>;
  }

  /** The one job invocation of a continued configuration: its name and parameters, context left out. */
  function onlyJob(config: Record<string, unknown>): [string, Record<string, unknown>] {
    const workflows = Object.values(config.workflows as Record<string, { jobs: unknown[] }>);
    expect(workflows).toHaveLength(1);
    const [invocation] = workflows[0]?.jobs ?? [];
    const [name, given] = Object.entries(invocation as Record<string, Record<string, unknown>>)[0] ?? [];
    const { context: _context, ...parameters } = given ?? {};
    return [name as string, parameters];
  }

  it('reaches the manual case: run_update with images and force continues with open_update given both', async () => {
    const config = await setup({
      trigger_source: 'api',
      git: { branch: 'main' },
      parameters: { run_update: true, images: 'win2022', force: true },
    });
    const [job, parameters] = onlyJob(config);
    expect([job, parameters]).toEqual(['hephestus/open_update', { images: 'win2022', force: true }]);

    // The continuation, run: open_update hands the images and force to hephestus.
    const base = await freshBase();
    const calls = join(base, 'calls.jsonl');
    const recorder = await recordingHephestus(join(base, 'fake'), calls);
    const run = await runJob(
      orb,
      'open_update',
      { ...parameters, cli_source: 'installed' },
      { base, path: [recorder] },
    );
    expect(run.status).toBe('success');
    expect((await recordedCalls(calls)).filter((c) => c.argv[0] === 'run').map((c) => c.argv)).toEqual([
      ['run', 'open-update', '--config=hephestus.yml', '--images=win2022', '--force'],
    ]);
  });

  /** The jobs of a continued configuration's only workflow, by name. */
  const jobNames = (config: Record<string, unknown>) =>
    Object.values(config.workflows as Record<string, { jobs: object[] }>).flatMap((w) =>
      w.jobs.map((job) => Object.keys(job)[0]),
    );

  it('continues the windows-update schedule with open_update (every image) and monitor, and a push with build_validate', async () => {
    const scheduled = await setup({
      trigger_source: 'scheduled_pipeline',
      schedule: { name: 'windows-update', id: 'x' },
      git: { branch: 'main' },
    });
    expect(onlyJob(scheduled)).toEqual(['hephestus/open_update', {}]);
    expect(jobNames(scheduled)).toEqual(['hephestus/open_update', 'hephestus/monitor']);
    const push = await setup({ trigger_source: 'webhook', git: { branch: 'windows-update/win2022' } });
    expect(jobNames(push)).toContain('hephestus/build_validate');
  });
});

describe('the scheduled and manual examples combined', () => {
  type Workflow = { when?: unknown; jobs: Array<Record<string, { filters?: { branches?: Filter } }>> };
  type Filter = { only?: string | string[]; ignore?: string | string[] };
  const workflows = {
    ...(usageOf('scheduled_images_update').workflows as Record<string, Workflow>),
    ...(usageOf('manual_run_with_parameters').workflows as Record<string, Workflow>),
  };
  const list = (value: string | string[] | undefined) => (value === undefined ? undefined : [value].flat());
  /** CircleCI's branch filter: `only` must match, `ignore` must not (both as exact names here). */
  const admits = (filter: Filter | undefined, branch: string) =>
    (list(filter?.only)?.includes(branch) ?? true) && !(list(filter?.ignore)?.includes(branch) ?? false);
  /** The workflows that run: their `when` holds and a job passes its branch filter (else CircleCI runs none). */
  const running = (pipeline: PipelineValues) =>
    Object.entries(workflows)
      .filter(([, workflow]) =>
        evaluateLogic(substitute(workflow.when ?? true, { parameters: {}, pipeline: { ...pipeline } })),
      )
      .filter(([, workflow]) =>
        workflow.jobs.some((job) =>
          admits(Object.values(job)[0]?.filters?.branches, pipeline.git?.branch ?? ''),
        ),
      )
      .map(([name]) => name)
      .sort();
  const none = { run_update: false, images: '', force: false };
  const at = (trigger_source: string, branch: string, extra: PipelineValues = {}): PipelineValues => ({
    trigger_source,
    git: { branch },
    schedule: { name: '', id: '' },
    parameters: none,
    ...extra,
  });

  it.each([
    [
      'a manual run on main',
      at('api', 'main', { parameters: { ...none, run_update: true } }),
      ['manual-update'],
    ],
    ['the web app button on main, no parameters', at('api', 'main'), []],
    ['the merge into main', at('webhook', 'main'), ['promote']],
    ['a push to an update branch', at('webhook', 'windows-update/win2022'), ['pull-request']],
    [
      'the windows-update schedule',
      at('scheduled_pipeline', 'main', { schedule: { name: 'windows-update', id: 's' } }),
      ['scheduled'],
    ],
    [
      'the maintenance schedule',
      at('scheduled_pipeline', 'main', { schedule: { name: 'hephestus-maintenance', id: 'm' } }),
      ['maintenance'],
    ],
  ])('%s runs only %j', (_, pipeline, expected) => {
    expect(running(pipeline)).toEqual(expected);
  });
});
