import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createConfigValidator } from '../../scripts/lib/orb/validate-circleci-config.js';
import { classifyEvent } from '../../src/circleci/classify-event.js';
import { generateContinuationConfig } from '../../src/circleci/generate-config.js';
import { runCli } from '../cli/run-cli.js';
import { configSchemaPath, loadOrb, realHephestus, repoRoot } from '../orb/orb-fixture.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hephestus-config-generate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A classified event as `hephestus event --json` writes it. */
const MANUAL_EVENT = {
  kind: 'manual',
  reasons: [
    'triggered through the API (pipeline.trigger_source is api)',
    'with parameters: force, images, run_update',
  ],
  branch: 'main',
  sha: '4f0c2d1e9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d',
  parameters: { run_update: true, images: 'win2022', force: true },
};

/** The arguments of the first step `name` in a job's steps (a step is a name, or a one-key map). */
function stepArguments(steps: unknown[], name: string): Record<string, string> | undefined {
  for (const step of steps) {
    if (typeof step === 'object' && step !== null && name in step)
      return (step as Record<string, Record<string, string>>)[name];
  }
  return undefined;
}

describe('hephestus config generate', () => {
  it('prints the continuation for an event kind', () => {
    const run = runCli(['config', 'generate', '--event', 'update-branch-push', '--orb-version', '1.2.3']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      generateContinuationConfig({ kind: 'update-branch-push' }, { orbVersion: '1.2.3' }).text,
    );
  });

  it("imports the orb at the CLI's own version by default", async () => {
    const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const run = runCli(['config', 'generate', '--event', 'scheduled', '--json']);
    expect(run.status).toBe(0);
    const result = JSON.parse(run.stdout) as { job: string; config: { orbs: unknown } };
    expect(result.job).toBe('hephestus/open_update');
    expect(result.config.orbs).toEqual({ hephestus: `hephestus/hephestus@${version}` });
  });

  it('reads a classified event file and writes --out, passing the manual parameters', async () => {
    const event = join(dir, 'event.json');
    await writeFile(event, JSON.stringify(MANUAL_EVENT));
    const out = join(dir, 'nested', 'continue.yml');
    const run = runCli([
      'config',
      'generate',
      '--event',
      event,
      '--out',
      out,
      '--orb-version',
      '1.2',
      '--json',
    ]);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      ok: true,
      kind: 'manual',
      workflow: 'open-update',
      job: 'hephestus/open_update',
      out,
    });
    const text = await readFile(out, 'utf8');
    expect(text).toBe(
      generateContinuationConfig(
        { kind: 'manual', parameters: MANUAL_EVENT.parameters },
        { orbVersion: '1.2' },
      ).text,
    );
    expect(text).toContain('images: win2022');
  });

  it('exits 2 on an unknown kind, a missing or malformed event file, and a bad parameter', async () => {
    const unknown = runCli(['config', 'generate', '--event', 'nightly', '--orb-version', '1']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('nightly: --event: not an event kind');
    expect(unknown.stdout).toBe('');

    const malformed = join(dir, 'malformed.json');
    await writeFile(malformed, '{"kind":"weekly"}');
    const bad = runCli(['config', 'generate', '--event', malformed, '--orb-version', '1', '--json']);
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { file: malformed, exitCode: 2 } });

    const injected = join(dir, 'injected.json');
    await writeFile(
      injected,
      JSON.stringify({ kind: 'manual', parameters: { images: '<< pipeline.id >>' } }),
    );
    const refused = runCli(['config', 'generate', '--event', injected, '--orb-version', '1']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('images');

    const version = runCli(['config', 'generate', '--event', 'other', '--orb-version', 'latest']);
    expect(version.status).toBe(2);
    expect(version.stderr).toContain('--orb-version');
  });

  it("runs as the orb's dynamic setup example calls it, on the file classify_event writes", async () => {
    const { source } = await loadOrb();
    const example = source.components.find((c) => c.name === 'dynamic_setup_config')?.value as {
      usage: { jobs: { setup: { steps: unknown[] } } };
    };
    // The steps inside `when`/`unless` blocks count as the job's own (classify_event sits in both branches).
    const flatten = (list: unknown[]): unknown[] =>
      list.flatMap((step) => {
        const block = (step as { when?: { steps: unknown[] }; unless?: { steps: unknown[] } }) ?? {};
        const inner = block.when ?? block.unless;
        return inner ? flatten(inner.steps) : [step];
      });
    const steps = flatten(example.usage.jobs.setup.steps);
    const classify = stepArguments(steps, 'hephestus/classify_event');
    const generate = [stepArguments(steps, 'run')?.command].find((c) =>
      c?.startsWith('hephestus config generate'),
    );
    const proceed = stepArguments(steps, 'continuation/continue');
    expect(classify?.output).toBeDefined();
    expect(generate).toBeDefined();
    // The step reads the file classify_event wrote and writes the file the continuation step sends.
    expect(generate).toContain(`--event ${classify?.output}`);
    expect(generate).toContain(`--out ${proceed?.configuration_path}`);

    const work = join(dir, 'hephestus');
    const command = (generate ?? '').replaceAll('/tmp/hephestus/', `${work}/`);
    await realHephestus(join(dir, 'bin'));
    await mkdir(work, { recursive: true });
    await writeFile(join(work, 'event.json'), JSON.stringify({ kind: 'update-merged', reasons: [] }));
    await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', command], {
      env: { PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`, HOME: dir },
    });
    const continuation = parse(await readFile(join(work, 'continue.yml'), 'utf8')) as Record<string, unknown>;
    const validate = createConfigValidator(JSON.parse(await readFile(configSchemaPath, 'utf8')) as object);
    expect(validate(continuation)).toEqual([]);
    expect(continuation.workflows).toEqual({
      promote: { jobs: [{ 'hephestus/promote': { context: ['hephestus'] } }] },
    });
  });

  it("passes a manual run's pipeline parameters to classify_event, and their defaults classify as no run", async () => {
    const { source } = await loadOrb();
    const example = source.components.find((c) => c.name === 'dynamic_setup_config')?.value as {
      usage: { parameters: Record<string, { default: unknown }>; jobs: { setup: { steps: unknown[] } } };
    };
    const template =
      stepArguments(example.usage.jobs.setup.steps, 'hephestus/classify_event')?.parameters ?? '';
    // What CircleCI renders for the step: each `<< pipeline.parameters.x >>` replaced by the pipeline's value.
    const rendered = (values: Record<string, unknown>) =>
      JSON.parse(
        template.replace(/<< pipeline\.parameters\.(\w+) >>/g, (_, name: string) => String(values[name])),
      ) as Record<string, string | boolean>;
    const defaults = Object.fromEntries(
      Object.entries(example.usage.parameters).map(([name, p]) => [name, p.default]),
    );
    const classify = (parameters: Record<string, string | boolean>) =>
      classifyEvent(
        { triggerSource: 'api', gitBranch: 'main', parameters },
        { defaultBranch: 'main', branchPrefix: 'windows-update/' },
      );
    const manual = await classify(
      rendered({ ...defaults, run_update: true, images: 'win2022', force: true }),
    );
    expect(manual.kind).toBe('manual');
    expect(manual.parameters).toEqual({ run_update: true, images: 'win2022', force: true });
    expect((await classify(rendered(defaults))).kind).toBe('other');
  });
});
