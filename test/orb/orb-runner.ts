/**
 * Runs a job or command of a packed orb here, as CircleCI would in a job: parameters resolved and substituted,
 * orb commands expanded (nested), `when`/`unless` steps evaluated, and every `run` step executed by bash with the
 * environment CircleCI sets (CIRCLE_*, CIRCLECI, BASH_ENV sourced before each step, the step's environment),
 * a `circleci` shim on PATH for `circleci env subst`, caches in a local directory, artifacts and test results
 * copied. `checkout` is skipped unless a repository URL is given, then it is a `git clone`.
 *
 * CircleCI itself is not reachable from here; this is the closest stand-in that runs the orb's real scripts.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  evaluateLogic,
  isRecord,
  type ParameterValue,
  type PipelineValues,
  resolveParameters,
  substitute,
} from './orb-template.js';

export type StepWhen = 'on_success' | 'on_fail' | 'always';

/** A step after expansion: no orb command, no condition, no reference left. */
export type ConcreteStep =
  | {
      type: 'run';
      name: string;
      command: string;
      environment: Record<string, string>;
      workingDirectory?: string;
      shell?: string;
      when: StepWhen;
    }
  | { type: 'checkout'; name: string; path?: string }
  | { type: 'restore_cache'; name: string; keys: string[] }
  | { type: 'save_cache'; name: string; key: string; paths: string[]; when: StepWhen }
  | { type: 'store_artifacts'; name: string; path: string; destination?: string }
  | { type: 'store_test_results'; name: string; path: string }
  | { type: 'persist_to_workspace'; name: string; root: string; paths: string[] }
  | { type: 'attach_workspace'; name: string; at: string }
  | { type: 'noop'; name: string };

export interface StepResult {
  name: string;
  type: ConcreteStep['type'];
  status: 'success' | 'failed' | 'skipped';
  exitCode?: number;
  /** Standard output and error, interleaved as they arrived. */
  output: string;
}

export interface JobResult {
  status: 'success' | 'failed';
  steps: StepResult[];
}

export interface RunnerOptions {
  /** A scratch directory: the working directory, HOME, caches, artifacts and BASH_ENV live under it. */
  base: string;
  /** Variables from contexts and project settings (secrets go here). */
  env?: Record<string, string>;
  pipeline?: PipelineValues;
  branch?: string;
  sha?: string;
  projectUsername?: string;
  projectReponame?: string;
  /** Directories put on PATH before the shim and the inherited PATH. */
  path?: string[];
  /** Turns `checkout` into a clone of this repository, with an optional `http.extraHeader` for credentials. */
  checkout?: { url: string; extraHeader?: string };
  /** The cache directory, to share caches between runs; `<base>/cache` by default. */
  cacheDir?: string;
  /** Kills a run step that takes longer (milliseconds). */
  stepTimeout?: number;
}

/** Where a run keeps its state, all under `base`. */
export interface RunnerLayout {
  workdir: string;
  home: string;
  cache: string;
  artifacts: string;
  testResults: string;
  workspace: string;
  bashEnv: string;
  bin: string;
}

/** Lays out the directories of a run under `base`. */
export function layoutOf(base: string): RunnerLayout {
  return {
    workdir: join(base, 'project'),
    home: join(base, 'home'),
    cache: join(base, 'cache'),
    artifacts: join(base, 'artifacts'),
    testResults: join(base, 'test-results'),
    workspace: join(base, 'workspace'),
    bashEnv: join(base, 'bash-env'),
    bin: join(base, 'bin'),
  };
}

const DEFAULT_PIPELINE: PipelineValues = {
  id: '00000000-0000-4000-8000-000000000000',
  number: 1,
  trigger_source: 'webhook',
  schedule: { name: '', id: '' },
  git: { branch: 'main', revision: '0'.repeat(40), tag: '', base_revision: '' },
  project: { git_url: 'https://github.com/acme/windows-images', type: 'github' },
  parameters: {},
};

const BUILT_INS = new Set([
  'run',
  'checkout',
  'restore_cache',
  'save_cache',
  'store_artifacts',
  'store_test_results',
  'persist_to_workspace',
  'attach_workspace',
  'add_ssh_keys',
  'setup_remote_docker',
  'when',
  'unless',
]);

/** Expands a job of the orb into its concrete steps, with the job's environment. Pure. */
export function expandJob(
  orb: Record<string, unknown>,
  jobName: string,
  given: Record<string, unknown>,
  pipeline: PipelineValues = DEFAULT_PIPELINE,
): { steps: ConcreteStep[]; environment: Record<string, string>; workingDirectory?: string } {
  const job = section(orb, 'jobs')[jobName];
  if (!isRecord(job)) throw new Error(`the orb has no job "${jobName}"`);
  const parameters = resolveParameters(
    job.parameters,
    substitute(given, { parameters: {}, pipeline }) as Record<string, unknown>,
    `job ${jobName}`,
  );
  const body = substitute({ ...job, parameters: undefined }, { parameters, pipeline }) as Record<
    string,
    unknown
  >;
  const executor = expandExecutor(orb, body.executor, pipeline);
  return {
    steps: expandSteps(orb, body.steps, pipeline, [`job ${jobName}`]),
    environment: { ...executor.environment, ...stringMap(body.environment) },
    workingDirectory: (body.working_directory as string | undefined) ?? executor.workingDirectory,
  };
}

/** Expands a list of steps (orb commands, `when`, `unless`, built-ins) whose own references are substituted. */
export function expandSteps(
  orb: Record<string, unknown>,
  steps: unknown,
  pipeline: PipelineValues,
  trail: string[],
): ConcreteStep[] {
  if (steps === undefined) return [];
  if (!Array.isArray(steps)) throw new Error(`${trail.join(' > ')}: steps must be a list`);
  return steps.flatMap((step): ConcreteStep[] => {
    // A `steps` parameter substitutes a list into the list.
    if (Array.isArray(step)) return expandSteps(orb, step, pipeline, trail);
    const [name, argument] =
      typeof step === 'string' ? [step, undefined] : (Object.entries(step as object)[0] ?? []);
    if (typeof name !== 'string') throw new Error(`${trail.join(' > ')}: an empty step`);
    if (BUILT_INS.has(name) || name === 'checkout') return builtIn(orb, name, argument, pipeline, trail);
    const command = section(orb, 'commands')[name];
    if (!isRecord(command)) throw new Error(`${trail.join(' > ')}: unknown command "${name}"`);
    const where = [...trail, `command ${name}`];
    const given = isRecord(argument) ? argument : {};
    const parameters = resolveParameters(command.parameters, given, where.join(' > '));
    return expandSteps(orb, substitute(command.steps, { parameters, pipeline }), pipeline, where);
  });
}

function builtIn(
  orb: Record<string, unknown>,
  name: string,
  argument: unknown,
  pipeline: PipelineValues,
  trail: string[],
): ConcreteStep[] {
  const args = isRecord(argument) ? argument : {};
  const label = (fallback: string) => (typeof args.name === 'string' ? args.name : fallback);
  switch (name) {
    case 'run': {
      const run = typeof argument === 'string' ? { command: argument } : args;
      const command = String(run.command ?? '');
      return [
        {
          type: 'run',
          name: typeof run.name === 'string' ? run.name : (command.split('\n')[0] ?? ''),
          command,
          environment: stringMap(run.environment),
          workingDirectory: run.working_directory as string | undefined,
          shell: run.shell as string | undefined,
          when: (run.when as StepWhen | undefined) ?? 'on_success',
        },
      ];
    }
    case 'when':
    case 'unless': {
      const passes = evaluateLogic(args.condition);
      return passes === (name === 'when') ? expandSteps(orb, args.steps, pipeline, trail) : [];
    }
    case 'checkout':
      return [{ type: 'checkout', name: 'Checkout code', path: args.path as string | undefined }];
    case 'restore_cache':
      return [
        {
          type: 'restore_cache',
          name: label('Restoring cache'),
          keys: (args.keys as string[] | undefined) ?? [String(args.key)],
        },
      ];
    case 'save_cache':
      return [
        {
          type: 'save_cache',
          name: label('Saving cache'),
          key: String(args.key),
          paths: (args.paths as string[]) ?? [],
          when: (args.when as StepWhen | undefined) ?? 'on_success',
        },
      ];
    case 'store_artifacts':
      return [
        {
          type: 'store_artifacts',
          name: label('Uploading artifacts'),
          path: String(args.path),
          destination: args.destination as string | undefined,
        },
      ];
    case 'store_test_results':
      return [{ type: 'store_test_results', name: label('Uploading test results'), path: String(args.path) }];
    case 'persist_to_workspace':
      return [
        {
          type: 'persist_to_workspace',
          name: label('Persisting to workspace'),
          root: String(args.root),
          paths: args.paths as string[],
        },
      ];
    case 'attach_workspace':
      return [{ type: 'attach_workspace', name: label('Attaching workspace'), at: String(args.at) }];
    default:
      return [{ type: 'noop', name }];
  }
}

function expandExecutor(
  orb: Record<string, unknown>,
  reference: unknown,
  pipeline: PipelineValues,
): { environment: Record<string, string>; workingDirectory?: string } {
  if (reference === undefined) return { environment: {} };
  const { name, ...given } =
    typeof reference === 'string' ? { name: reference } : (reference as { name: string });
  const executor = section(orb, 'executors')[name];
  if (!isRecord(executor)) throw new Error(`unknown executor "${name}"`);
  const parameters = resolveParameters(executor.parameters, given, `executor ${name}`);
  const body = substitute(executor, { parameters, pipeline }) as Record<string, unknown>;
  return {
    environment: stringMap(body.environment),
    workingDirectory: body.working_directory as string | undefined,
  };
}

/** Runs a job of the orb and reports each step. */
export async function runJob(
  orb: Record<string, unknown>,
  jobName: string,
  parameters: Record<string, unknown>,
  options: RunnerOptions,
): Promise<JobResult> {
  const pipeline = { ...DEFAULT_PIPELINE, ...options.pipeline };
  const job = expandJob(orb, jobName, parameters, pipeline);
  return runConcreteSteps(job.steps, { ...options, pipeline }, jobName, job.environment);
}

/** Runs one orb command as the only step of a job. */
export async function runCommand(
  orb: Record<string, unknown>,
  commandName: string,
  parameters: Record<string, unknown>,
  options: RunnerOptions,
): Promise<JobResult> {
  return runSteps(orb, [{ [commandName]: parameters }], options, commandName);
}

/** Runs a list of steps (orb commands and built-ins, already free of job parameter references) as a job. */
export async function runSteps(
  orb: Record<string, unknown>,
  steps: unknown[],
  options: RunnerOptions,
  jobName = 'steps',
): Promise<JobResult> {
  const pipeline = { ...DEFAULT_PIPELINE, ...options.pipeline };
  return runConcreteSteps(expandSteps(orb, steps, pipeline, ['job']), { ...options, pipeline }, jobName, {});
}

async function runConcreteSteps(
  steps: ConcreteStep[],
  options: RunnerOptions & { pipeline: PipelineValues },
  jobName: string,
  jobEnvironment: Record<string, string>,
): Promise<JobResult> {
  const layout = { ...layoutOf(options.base), ...(options.cacheDir ? { cache: options.cacheDir } : {}) };
  for (const dir of [
    layout.workdir,
    layout.home,
    layout.cache,
    layout.artifacts,
    layout.testResults,
    layout.workspace,
    layout.bin,
  ]) {
    await mkdir(dir, { recursive: true });
  }
  // Each job starts with an empty BASH_ENV, as on CircleCI.
  await writeFile(layout.bashEnv, '');
  await writeShim(layout.bin);
  const branch = options.branch ?? options.pipeline.git?.branch ?? 'main';
  const sha = options.sha ?? options.pipeline.git?.revision ?? '0'.repeat(40);
  const env: Record<string, string> = {
    PATH: [...(options.path ?? []), layout.bin, process.env.PATH ?? '/usr/bin:/bin'].join(':'),
    HOME: layout.home,
    CI: 'true',
    CIRCLECI: 'true',
    CIRCLE_BRANCH: branch,
    CIRCLE_SHA1: sha,
    CIRCLE_JOB: jobName,
    CIRCLE_BUILD_NUM: '1',
    CIRCLE_NODE_INDEX: '0',
    CIRCLE_NODE_TOTAL: '1',
    CIRCLE_PROJECT_USERNAME: options.projectUsername ?? 'acme',
    CIRCLE_PROJECT_REPONAME: options.projectReponame ?? 'windows-images',
    CIRCLE_REPOSITORY_URL: options.checkout?.url ?? options.pipeline.project?.git_url ?? '',
    CIRCLE_WORKING_DIRECTORY: layout.workdir,
    BASH_ENV: layout.bashEnv,
    ...jobEnvironment,
    ...options.env,
  };
  const context = { layout, env, options, branch, sha };
  const results: StepResult[] = [];
  let failed = false;
  for (const step of steps) {
    const when = step.type === 'run' || step.type === 'save_cache' ? step.when : 'on_success';
    if ((when === 'on_success' && failed) || (when === 'on_fail' && !failed)) {
      results.push({ name: step.name, type: step.type, status: 'skipped', output: '' });
      continue;
    }
    const result = await runStep(step, context);
    results.push(result);
    if (result.status === 'failed') failed = true;
  }
  return { status: failed ? 'failed' : 'success', steps: results };
}

interface StepContext {
  layout: RunnerLayout;
  env: Record<string, string>;
  options: RunnerOptions;
  branch: string;
  sha: string;
}

async function runStep(step: ConcreteStep, context: StepContext): Promise<StepResult> {
  const done = (output: string, status: StepResult['status'] = 'success', exitCode?: number): StepResult => ({
    name: step.name,
    type: step.type,
    status,
    exitCode,
    output,
  });
  const { layout } = context;
  const where = (path: string) => absolute(path, layout);
  switch (step.type) {
    case 'run': {
      const cwd = step.workingDirectory ? where(step.workingDirectory) : layout.workdir;
      // CircleCI creates a missing working directory.
      await mkdir(cwd, { recursive: true });
      const script = join(
        context.options.base,
        `step-${createHash('sha256')
          .update(step.name + step.command)
          .digest('hex')
          .slice(0, 12)}.sh`,
      );
      await writeFile(script, step.command);
      const [shell, ...shellArgs] = (step.shell ?? '/bin/bash -eo pipefail').split(' ');
      const { exitCode, output } = await execute(shell as string, [...shellArgs, script], {
        cwd,
        env: { ...context.env, ...step.environment },
        timeout: context.options.stepTimeout ?? 120_000,
      });
      return done(output, exitCode === 0 ? 'success' : 'failed', exitCode);
    }
    case 'checkout': {
      const checkout = context.options.checkout;
      if (!checkout) return done('checkout skipped: no repository given');
      const target = step.path ? where(step.path) : layout.workdir;
      const header = checkout.extraHeader ? ['-c', `http.extraHeader=${checkout.extraHeader}`] : [];
      const clone = await execute(
        'git',
        [...header, 'clone', '--quiet', '--branch', context.branch, checkout.url, target],
        {
          cwd: context.options.base,
          env: context.env,
          timeout: 60_000,
        },
      );
      return done(clone.output, clone.exitCode === 0 ? 'success' : 'failed', clone.exitCode);
    }
    case 'restore_cache': {
      for (const template of step.keys) {
        const key = await cacheKey(template, context);
        const entry = await findCache(layout.cache, key);
        if (!entry) continue;
        const manifest = JSON.parse(await readFile(join(entry, 'manifest.json'), 'utf8')) as string[];
        for (const [index, path] of manifest.entries()) {
          // Verbatim, as CircleCI's tar keeps them: a relative link (the installed CLI's bin) stays relative.
          // The path as the step named it, resolved for this job: `~` is this job's home, as on CircleCI.
          await cp(join(entry, String(index)), where(path), {
            recursive: true,
            force: true,
            verbatimSymlinks: true,
          });
        }
        return done(`Found a cache from key ${key}`);
      }
      return done('No cache is found');
    }
    case 'save_cache': {
      const key = await cacheKey(step.key, context);
      const entry = join(layout.cache, encodeURIComponent(key));
      if (await exists(entry)) return done(`Skipping cache generation, cache already exists for key: ${key}`);
      const saved: string[] = [];
      await mkdir(entry, { recursive: true });
      for (const path of step.paths) {
        if (!(await exists(where(path)))) continue;
        await cp(where(path), join(entry, String(saved.length)), { recursive: true, verbatimSymlinks: true });
        saved.push(path);
      }
      await writeFile(join(entry, 'manifest.json'), JSON.stringify(saved));
      return done(`Stored cache ${key}: ${saved.join(', ')}`);
    }
    case 'store_artifacts':
    case 'store_test_results': {
      const source = where(step.path);
      if (!(await exists(source))) return done(`No files found at ${step.path}`);
      const into = step.type === 'store_artifacts' ? layout.artifacts : layout.testResults;
      const destination = join(into, step.type === 'store_artifacts' ? (step.destination ?? step.path) : '');
      await cp(source, destination, { recursive: true });
      return done(`Uploaded ${step.path}`);
    }
    case 'persist_to_workspace':
      for (const path of step.paths) {
        await cp(join(where(step.root), path), join(layout.workspace, path), { recursive: true });
      }
      return done(`Persisted ${step.paths.join(', ')}`);
    case 'attach_workspace':
      await cp(layout.workspace, where(step.at), { recursive: true });
      return done(`Attached the workspace at ${step.at}`);
    case 'noop':
      return done(`${step.name}: nothing to do here`);
  }
}

/** Renders a cache key template: `{{ .Branch }}`, `{{ .Revision }}`, `{{ .Environment.X }}`, `{{ checksum "f" }}`, `{{ arch }}`, `{{ epoch }}`. */
async function cacheKey(template: string, context: StepContext): Promise<string> {
  let key = template;
  for (const match of template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    const expression = match[1] as string;
    let value: string;
    if (expression === '.Branch') value = context.branch;
    else if (expression === '.Revision') value = context.sha;
    else if (expression === 'arch') value = `${process.platform}-${process.arch}`;
    else if (expression === 'epoch') value = String(Math.floor(Date.now() / 1000));
    else if (expression.startsWith('.Environment.'))
      value = context.env[expression.slice('.Environment.'.length)] ?? '<no value>';
    else if (expression.startsWith('checksum ')) {
      const file = absolute(JSON.parse(expression.slice('checksum '.length)) as string, context.layout);
      value = createHash('sha256')
        .update(await readFile(file))
        .digest('base64url');
    } else throw new Error(`unsupported cache key template {{ ${expression} }}`);
    key = key.replace(match[0], value);
  }
  return key;
}

async function findCache(cache: string, key: string): Promise<string | undefined> {
  const exact = join(cache, encodeURIComponent(key));
  if (await exists(exact)) return exact;
  // As CircleCI: a key that is a prefix restores the most recent cache that starts with it.
  const candidates = (await readdir(cache)).filter((entry) => decodeURIComponent(entry).startsWith(key));
  const dated = await Promise.all(
    candidates.map(async (entry) => ({ entry, time: (await stat(join(cache, entry))).mtimeMs })),
  );
  const newest = dated.sort((a, b) => b.time - a.time)[0];
  return newest ? join(cache, newest.entry) : undefined;
}

function absolute(path: string, layout: RunnerLayout): string {
  if (path === '~' || path.startsWith('~/')) return join(layout.home, path.slice(1));
  return isAbsolute(path) ? path : resolve(layout.workdir, path);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function execute(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeout: number },
): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout);
    // A program that cannot start fails the step, as a missing shell does on CircleCI.
    child.on('error', (error) => {
      clearTimeout(timer);
      resolvePromise({ exitCode: 127, output: `${output}${error.message}\n` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ exitCode: code ?? (signal ? 128 : 1), output });
    });
  });
}

// `circleci env subst` as envsubst: `$VAR` and `${VAR}` become the variable's value, unset ones nothing; any
// other `$` (such as `$(...)`) is left alone. The input is the argument, or standard input without one.
const SHIM = `#!/usr/bin/env node
const { readFileSync } = require('node:fs');
const args = process.argv.slice(2);
if (args[0] === 'env' && args[1] === 'subst') {
  const input = args.length > 2 ? args.slice(2).join(' ') : readFileSync(0, 'utf8');
  process.stdout.write(
    input.replace(/\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)\\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, braced, bare) => process.env[braced ?? bare] ?? ''),
  );
} else {
  process.stderr.write('circleci (test shim): only "circleci env subst" is available here\\n');
  process.exit(1);
}
`;

/** Writes the `circleci` shim (`circleci env subst` only) into `bin`. */
export async function writeShim(bin: string): Promise<void> {
  // The package.json makes node read the extension-less shim as CommonJS wherever the scratch directory is.
  await writeFile(join(bin, 'package.json'), '{"type":"commonjs"}\n');
  await writeFile(join(bin, 'circleci'), SHIM, { mode: 0o755 });
}

function section(orb: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = orb[name];
  return isRecord(value) ? value : {};
}

function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value))
    out[key] = item === null || item === undefined ? '' : String(item);
  return out;
}

export type { ParameterValue, PipelineValues };
