import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type ConfigValidator,
  createConfigValidator,
} from '../../scripts/lib/orb/validate-circleci-config.js';
import type { EventKind } from '../../src/circleci/classify-event.js';
import {
  EVENT_KINDS,
  EVENT_PLANS,
  generateContinuationConfig,
  NOTHING_TO_DO_JOB,
  ORB_JOB_PARAMETERS,
} from '../../src/circleci/generate-config.js';
import { InputError } from '../../src/errors.js';
import { configSchemaPath, loadOrb } from '../orb/orb-fixture.js';

const EXPECTED_JOBS: Record<EventKind, string[]> = {
  scheduled: ['hephestus/open_update', 'hephestus/monitor'],
  monitor: ['hephestus/monitor'],
  manual: ['hephestus/open_update'],
  'update-branch-push': ['hephestus/build_validate', 'hephestus/check_lock'],
  'update-merged': ['hephestus/promote'],
  other: [NOTHING_TO_DO_JOB],
};

let validate: ConfigValidator;
let orbJobs: Record<string, { parameters?: Record<string, { type: string; default?: unknown }> }>;

beforeAll(async () => {
  validate = createConfigValidator(JSON.parse(await readFile(configSchemaPath, 'utf8')) as object);
  orbJobs = (await loadOrb()).orb.jobs as typeof orbJobs;
});

/** Every workflow job of a config as `[name, settings]`. */
function workflowJobs(config: Record<string, unknown>): [string, Record<string, unknown>][] {
  const workflows = config.workflows as Record<
    string,
    { jobs: (string | Record<string, Record<string, unknown>>)[] }
  >;
  return Object.values(workflows).flatMap((workflow) =>
    workflow.jobs.map((entry): [string, Record<string, unknown>] => {
      if (typeof entry === 'string') return [entry, {}];
      const [name, settings] = Object.entries(entry)[0] ?? ['', {}];
      return [name, settings ?? {}];
    }),
  );
}

function inputError(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('generateContinuationConfig', () => {
  it.each(EVENT_KINDS)('%s: validates against the config schema and reads back as generated', (kind) => {
    const { config, text } = generateContinuationConfig(
      { kind, parameters: { images: 'win2022', force: true } },
      { orbVersion: '1.2.3' },
    );
    expect(validate(config)).toEqual([]);
    expect(parse(text)).toEqual(config);
  });

  it.each(EVENT_KINDS)('%s: runs exactly that event’s jobs, in one workflow', (kind) => {
    const continuation = generateContinuationConfig({ kind }, { orbVersion: '1.2.3' });
    expect(Object.keys(continuation.config.workflows as object)).toEqual([EVENT_PLANS[kind].workflow]);
    const jobs = workflowJobs(continuation.config);
    expect(jobs.map(([name]) => name)).toEqual(EXPECTED_JOBS[kind]);
    expect(continuation.jobs).toEqual(EXPECTED_JOBS[kind]);
    expect(continuation.job).toBe(EXPECTED_JOBS[kind][0]);
  });

  it.each(EVENT_KINDS)('%s: matches the stored configuration', async (kind) => {
    const { text } = generateContinuationConfig(
      { kind, parameters: { images: 'win2022,win2019', force: 'true' } },
      { orbVersion: '1.2.3' },
    );
    await expect(text).toMatchFileSnapshot(`__snapshots__/continuation-${kind}.yml`);
  });

  it('imports the orb at the given version and runs its jobs with the context', () => {
    for (const kind of EVENT_KINDS.filter((k) => k !== 'other')) {
      const { config } = generateContinuationConfig({ kind }, { orbVersion: '2.0', context: 'images-prod' });
      expect(config.orbs).toEqual({ hephestus: 'hephestus/hephestus@2.0' });
      for (const [name, settings] of workflowJobs(config))
        expect(settings.context, `${kind} ${name}`).toEqual(['images-prod']);
    }
    const other = generateContinuationConfig({ kind: 'other' }, { orbVersion: '2.0' }).config;
    expect(other.orbs).toBeUndefined();
    expect(Object.keys(other.jobs as object)).toEqual([NOTHING_TO_DO_JOB]);
  });

  it("references only jobs the packed orb has, with parameters of the orb job's types", () => {
    for (const [job, parameters] of Object.entries(ORB_JOB_PARAMETERS)) {
      const declared = orbJobs[job]?.parameters;
      expect(declared, `orb job ${job}`).toBeDefined();
      for (const [name, type] of Object.entries(parameters))
        expect(declared?.[name]?.type, `${job}.${name}`).toBe(type);
    }
    for (const kind of EVENT_KINDS) {
      for (const [name, settings] of workflowJobs(
        generateContinuationConfig({ kind, parameters: { images: 'a', force: 1 } }, { orbVersion: '1' })
          .config,
      )) {
        if (!name.startsWith('hephestus/')) continue;
        const declared = orbJobs[name.slice('hephestus/'.length)]?.parameters ?? {};
        for (const key of Object.keys(settings).filter((k) => k !== 'context'))
          expect(Object.keys(declared), `${name} ${key}`).toContain(key);
        // Required parameters (no default) must be given, or CircleCI rejects the config.
        for (const [key, parameter] of Object.entries(declared))
          if (parameter.default === undefined) expect(settings, `${name} ${key}`).toHaveProperty(key);
      }
    }
  });

  it("passes a manual run's images and force to open_update, and nothing else", () => {
    const jobs = (parameters: Record<string, string | number | boolean>, kind: EventKind = 'manual') =>
      workflowJobs(generateContinuationConfig({ kind, parameters }, { orbVersion: '1.2.3' }).config)[0]?.[1];
    expect(jobs({ images: ' win2022, win2019 ', force: 'true', run_update: true })).toEqual({
      context: ['hephestus'],
      images: 'win2022,win2019',
      force: true,
    });
    expect(jobs({ images: '', force: false })).toEqual({ context: ['hephestus'] });
    expect(jobs({ force: 0 })).toEqual({ context: ['hephestus'] });
    // Parameters count only for a manual run.
    expect(jobs({ images: 'win2022', force: true }, 'scheduled')).toEqual({ context: ['hephestus'] });
  });

  it('gives the scheduled monitor job none of the open_update parameters', () => {
    const scheduled = generateContinuationConfig(
      { kind: 'scheduled', parameters: { images: 'win2022', force: true } },
      { orbVersion: '1.2.3' },
    );
    expect(workflowJobs(scheduled.config)).toEqual([
      ['hephestus/open_update', { context: ['hephestus'] }],
      ['hephestus/monitor', { context: ['hephestus'] }],
    ]);
  });

  it('accepts any list of image names and puts it in the config verbatim', () => {
    const name = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 5 }), (names) => {
        const { config, text } = generateContinuationConfig(
          { kind: 'manual', parameters: { images: names.join(',') } },
          { orbVersion: '1.2.3' },
        );
        expect(workflowJobs(config)[0]?.[1].images).toBe(names.join(','));
        expect(parse(text)).toEqual(config);
        expect(validate(config)).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects images that are not a list of names, so nothing is pasted into the config unchecked', () => {
    for (const images of ['<< pipeline.parameters.x >>', 'win2022;rm -rf /', 'a,,b', '"quoted"', 'a\nb: c']) {
      const error = inputError(() =>
        generateContinuationConfig({ kind: 'manual', parameters: { images } }, { orbVersion: '1.2.3' }),
      );
      expect(error.location.setting).toBe('images');
      expect(error.exitCode).toBe(2);
    }
    fc.assert(
      fc.property(
        fc.string().filter((s) => /[^\w.,\s-]/.test(s)),
        (images) => {
          expect(() =>
            generateContinuationConfig({ kind: 'manual', parameters: { images } }, { orbVersion: '1.2.3' }),
          ).toThrow(InputError);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects a force that is not a boolean, an unknown kind, a bad orb version or context', () => {
    expect(
      inputError(() =>
        generateContinuationConfig(
          { kind: 'manual', parameters: { force: 'yes please' } },
          { orbVersion: '1' },
        ),
      ).location.setting,
    ).toBe('force');
    for (const kind of ['nightly', 'toString'])
      expect(
        inputError(() => generateContinuationConfig({ kind: kind as EventKind }, { orbVersion: '1' }))
          .location.setting,
      ).toBe('--event');
    for (const orbVersion of ['', 'latest', '1.2.3.4', 'v1.2.3', '1.2.3 # x'])
      expect(
        inputError(() => generateContinuationConfig({ kind: 'scheduled' }, { orbVersion })).location.setting,
        orbVersion,
      ).toBe('--orb-version');
    for (const orbVersion of ['1', '1.2', '1.2.3', 'volatile', 'dev:alpha'])
      expect(generateContinuationConfig({ kind: 'scheduled' }, { orbVersion }).config.orbs).toEqual({
        hephestus: `hephestus/hephestus@${orbVersion}`,
      });
    expect(
      inputError(() => generateContinuationConfig({ kind: 'scheduled' }, { orbVersion: '1', context: 'a b' }))
        .location.setting,
    ).toBe('--context');
  });

  it('the schema check is not vacuous: a broken continuation fails it', () => {
    const { config } = generateContinuationConfig({ kind: 'other' }, { orbVersion: '1.2.3' });
    const broken = structuredClone(config);
    (broken.jobs as Record<string, Record<string, unknown>>)[NOTHING_TO_DO_JOB] = { steps: 'echo' };
    expect(validate(broken)).not.toEqual([]);
  });
});
