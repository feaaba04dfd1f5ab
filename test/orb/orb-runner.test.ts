import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  exists,
  fakePackage,
  loadOrb,
  recordedCalls,
  recordingHephestus,
  scratchBases,
} from './orb-fixture.js';
import { type ConcreteStep, expandJob, expandSteps, runCommand, runJob, runSteps } from './orb-runner.js';
import { substitute } from './orb-template.js';

const { orb } = await loadOrb();
const { dir: scratch, freshBase } = await scratchBases('orb-runner-');

/** A small orb written inline, for the runner's own rules. */
const fragment = parse(`
commands:
  greet:
    parameters:
      to: {type: string, default: world}
      loud: {type: boolean, default: false}
    steps:
      - run:
          name: Greet << parameters.to >>
          environment:
            PARAM_TO: << parameters.to >>
            PARAM_LOUD: << parameters.loud >>
          command: echo "hello <<# parameters.loud >>LOUD <</ parameters.loud >><<^ parameters.loud >>quiet <</ parameters.loud >>$PARAM_TO"
  twice:
    parameters:
      who: {type: string}
      extra: {type: steps, default: []}
    steps:
      - greet: {to: << parameters.who >>}
      - when:
          condition:
            and: [true, {equal: [twice, << parameters.who >>]}]
          steps:
            - greet: {to: again, loud: true}
      - << parameters.extra >>
jobs:
  hello:
    parameters:
      branch: {type: string}
      token: {type: env_var_name, default: GITHUB_TOKEN}
    steps:
      - twice: {who: << parameters.branch >>}
`) as Record<string, unknown>;

function runOf(step: ConcreteStep | undefined) {
  if (step?.type !== 'run') throw new Error(`expected a run step, got ${step?.type}`);
  return step;
}

describe('expanding jobs and commands', () => {
  it('fills defaults, substitutes references and sections, and expands nested commands', () => {
    const { steps } = expandJob(fragment, 'hello', { branch: 'twice' });
    expect(steps.map((step) => step.name)).toEqual(['Greet twice', 'Greet again']);
    expect(runOf(steps[0]).command).toBe('echo "hello quiet $PARAM_TO"');
    expect(runOf(steps[1]).command).toBe('echo "hello LOUD $PARAM_TO"');
    expect(runOf(steps[1]).environment).toEqual({ PARAM_TO: 'again', PARAM_LOUD: 'true' });
  });

  it('skips a when block whose condition fails', () => {
    expect(expandJob(fragment, 'hello', { branch: 'once' }).steps.map((step) => step.name)).toEqual([
      'Greet once',
    ]);
  });

  it('resolves pipeline values given as job parameters', () => {
    const { steps } = expandJob(
      fragment,
      'hello',
      { branch: '<< pipeline.git.branch >>' },
      { git: { branch: 'windows-update/win2022' } },
    );
    expect(steps[0]?.name).toBe('Greet windows-update/win2022');
  });

  it('splices a steps parameter into the list', () => {
    const steps = expandSteps(
      fragment,
      [{ twice: { who: 'x', extra: [{ run: { name: 'extra', command: 'true' } }] } }],
      {},
      ['job'],
    );
    expect(steps.map((step) => step.name)).toEqual(['Greet x', 'extra']);
  });

  it.each([
    [{}, 'job hello: missing required parameter "branch"'],
    [{ branch: 'x', colour: 'red' }, 'job hello: unknown parameter "colour"'],
    [{ branch: true }, 'job hello: parameter "branch" must be a string, got true'],
    [
      { branch: 'x', token: 'NOT-A-NAME;' },
      'job hello: parameter "token" must be an environment variable name, got "NOT-A-NAME;"',
    ],
  ])('rejects the parameters %j', (given, message) => {
    expect(() => expandJob(fragment, 'hello', given)).toThrow(message);
  });

  it('keeps a value that looks like a reference as literal text', () => {
    expect(
      substitute('say << parameters.a >>', {
        parameters: { a: '<< parameters.b >>', b: 'no' },
        pipeline: {},
      }),
    ).toBe('say << parameters.b >>');
  });

  it('turns the escaped \\<< of an included script back into <<', () => {
    const notify = expandSteps(orb, [{ notify: { event: 'rollout' } }], {}, ['job']);
    const command = runOf(notify[1]).command;
    expect(command).toContain('read -ra list <<<"$channels"');
    expect(command).not.toContain('\\<<');
  });

  it('expands every job of the hephestus orb with its defaults', () => {
    for (const job of Object.keys(orb.jobs as object)) {
      // The parameters a job requires, having no default.
      const required: Record<string, Record<string, string>> = {
        bump_consumer: { images: 'win2022=ami-0123456789abcdef0' },
        revoke: { image: 'win2022', reason: 'RDP sign-in fails after this build' },
      };
      const given = required[job] ?? {};
      const names = expandJob(orb, job, given).steps.map((step) => step.name);
      expect(names.slice(0, 4)).toEqual([
        'Checkout code',
        'Restore the hephestus CLI tarball from the cache',
        'Install the hephestus CLI',
        'Save the hephestus CLI tarball to the cache',
      ]);
    }
  });
});

describe('running steps', () => {
  it('sources BASH_ENV before each step and sets the CircleCI variables', async () => {
    const result = await runSteps(
      orb,
      [
        { run: { name: 'export', command: `echo 'export GREETING="hi there"' >> "$BASH_ENV"` } },
        {
          run: {
            name: 'use',
            command: 'echo "$GREETING|$CIRCLECI|$CIRCLE_BRANCH|$CIRCLE_SHA1|$CIRCLE_PROJECT_REPONAME|$PWD"',
          },
        },
      ],
      {
        base: await freshBase(),
        branch: 'windows-update/win2022',
        sha: 'a'.repeat(40),
        projectReponame: 'vm-manager',
      },
    );
    expect(result.status).toBe('success');
    const [greeting, circleci, branch, sha, repo, pwd] = (result.steps[1]?.output.trim() ?? '').split('|');
    expect([greeting, circleci, branch, sha, repo]).toEqual([
      'hi there',
      'true',
      'windows-update/win2022',
      'a'.repeat(40),
      'vm-manager',
    ]);
    expect(pwd?.endsWith('/project')).toBe(true);
  });

  it('skips on_success steps after a failure and runs on_fail and always steps', async () => {
    const result = await runSteps(
      orb,
      [
        { run: { name: 'fails', command: 'exit 3' } },
        { run: { name: 'next', command: 'true' } },
        { run: { name: 'on fail', when: 'on_fail', command: 'true' } },
        { run: { name: 'always', when: 'always', command: 'true' } },
      ],
      { base: await freshBase() },
    );
    expect(result.status).toBe('failed');
    expect(result.steps.map((step) => [step.name, step.status, step.exitCode])).toEqual([
      ['fails', 'failed', 3],
      ['next', 'skipped', undefined],
      ['on fail', 'success', 0],
      ['always', 'success', 0],
    ]);
  });

  it('provides circleci env subst with envsubst semantics', async () => {
    const result = await runSteps(
      orb,
      [
        {
          run: {
            name: 'subst',
            command: `circleci env subst 'a=$A b=\${B} none=$NOPE cmd=$(x) tick=\`y\` end=$'`,
          },
        },
      ],
      { base: await freshBase(), env: { A: '1', B: '2' } },
    );
    expect(result.steps[0]?.output).toBe('a=1 b=2 none= cmd=$(x) tick=`y` end=$');
  });

  it('saves and restores caches through a local directory, keyed by template', async () => {
    const base = await freshBase();
    const steps = [
      { restore_cache: { keys: ['deps-{{ .Branch }}-{{ checksum "lock" }}', 'deps-'] } },
      {
        run: {
          name: 'fill',
          command: 'test -f ~/deps/x || { mkdir -p ~/deps && echo built > ~/deps/x && echo BUILT; }',
        },
      },
      { save_cache: { key: 'deps-{{ .Branch }}-{{ checksum "lock" }}', paths: ['~/deps'] } },
    ];
    await mkdir(join(base, 'project'), { recursive: true });
    await writeFile(join(base, 'project', 'lock'), 'v1');
    const first = await runSteps(orb, steps, { base });
    await rm(join(base, 'home', 'deps'), { recursive: true });
    const second = await runSteps(orb, steps, { base });
    expect(first.steps.map((step) => step.output.trim())).toEqual([
      'No cache is found',
      'BUILT',
      expect.stringMatching(/^Stored cache deps-main-/),
    ]);
    expect(second.steps.map((step) => step.output.trim())).toEqual([
      expect.stringMatching(/^Found a cache from key deps-main-/),
      '',
      expect.stringMatching(/^Skipping cache generation/),
    ]);
  });

  it('copies artifacts and test results', async () => {
    const base = await freshBase();
    const result = await runSteps(
      orb,
      [
        {
          run: {
            name: 'write',
            command:
              'mkdir -p out/junit && echo log > out/build.log && echo "<testsuite/>" > out/junit/t.xml',
          },
        },
        { store_artifacts: { path: 'out/build.log', destination: 'logs/build.log' } },
        { store_test_results: { path: 'out/junit' } },
      ],
      { base },
    );
    expect(result.status).toBe('success');
    expect(await readFile(join(base, 'artifacts', 'logs', 'build.log'), 'utf8')).toBe('log\n');
    expect(await readFile(join(base, 'test-results', 't.xml'), 'utf8')).toBe('<testsuite/>\n');
  });

  it('checks out with git clone when given a repository', async () => {
    const origin = join(scratch, 'origin');
    const git = (...args: string[]) => promisify(execFile)('git', args, { cwd: origin });
    await mkdir(origin, { recursive: true });
    await git('init', '--quiet', '--initial-branch=main');
    await writeFile(join(origin, 'hephestus.yml'), 'version: 1\n');
    await git('add', '.');
    await git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'init');
    const base = await freshBase();
    const result = await runSteps(
      orb,
      ['checkout', { run: { name: 'read', command: 'cat hephestus.yml' } }],
      {
        base,
        checkout: { url: origin, extraHeader: 'Authorization: Basic eC1hY2Nlc3MtdG9rZW46dA==' },
      },
    );
    expect(result.steps.map((step) => step.status)).toEqual(['success', 'success']);
    expect(result.steps[1]?.output).toBe('version: 1\n');
  });
});

describe('parameter values that try to run code', () => {
  const marker = () => join(scratch, `pwned-${Math.random().toString(36).slice(2)}`);
  const payloads = (file: string) => [
    `$(touch ${file})`,
    `\`touch ${file}\``,
    `;touch ${file};rm -rf ~`,
    `x\ntouch ${file}`,
    `'"; touch ${file} #`,
  ];
  /** The string parameters of each command that are not paths: taken literally, never through `env subst`. */
  const LITERALS: Record<string, string[]> = {
    notify: ['channels'],
    open_update_pr: ['branch'],
    packer_build: ['only'],
    trigger_pipeline: ['project_slug', 'branch', 'definition_id'],
    prune: ['keep', 'image', 'regions', 'grace_days'],
    sweep: ['regions'],
  };
  const commands = Object.entries(
    orb.commands as Record<string, { parameters?: Record<string, { type: string }> }>,
    // The installers call no hephestus; install-packer.test.ts runs the same payloads through install_packer.
  ).filter(([name]) => !['install', 'install_packer', 'aws_oidc'].includes(name));

  it.each(
    Object.entries(LITERALS).flatMap(([command, names]) => names.map((parameter) => [command, parameter])),
  )(
    '%s refuses a $ in %s with exit 2 and runs nothing, where env subst would expand it',
    async (command, parameter) => {
      const base = await freshBase();
      const log = join(base, 'calls.jsonl');
      const bin = await recordingHephestus(join(base, 'fake'), log);
      const given = {
        ...(command === 'notify' ? { event: 'failed' } : {}),
        ...(command === 'trigger_pipeline' ? { project_slug: 'gh/acme/vm-manager', parameters: '{}' } : {}),
        [parameter]: 'x$GITHUB_TOKEN',
      };
      const result = await runCommand(orb, command, given, {
        base,
        path: [bin],
        env: { GITHUB_TOKEN: 'ghp_canary' },
      });
      const step = result.steps.find((s) => s.status === 'failed');
      expect(step?.exitCode).toBe(2);
      expect(step?.output).toContain(`${parameter} takes no environment variables`);
      expect(step?.output).not.toContain('canary');
      expect(await recordedCalls(log)).toEqual([]);
    },
  );

  it.each(commands)(
    '%s runs nothing and hands each value to hephestus as one argument',
    async (name, command) => {
      const strings = Object.entries(command.parameters ?? {})
        .filter(([, declaration]) => declaration.type === 'string')
        .map(([parameter]) => parameter);
      const required = Object.fromEntries(
        Object.entries(command.parameters ?? {})
          .filter(([, declaration]) => declaration.type === 'enum')
          .map(([parameter, declaration]) => [
            parameter,
            (declaration as unknown as { default?: string; enum: string[] }).default ??
              (declaration as unknown as { enum: string[] }).enum[0],
          ]),
      );
      for (const file of [marker()]) {
        for (const payload of payloads(file)) {
          const base = await freshBase();
          const log = join(base, 'calls.jsonl');
          const bin = await recordingHephestus(join(base, 'fake'), log);
          const given = {
            ...required,
            ...Object.fromEntries(
              strings.map((parameter) => [
                parameter,
                parameter === 'parameters'
                  ? `{"v":${JSON.stringify(payload)}}`
                  : // A `$` in a parameter that is not a path is refused (the next test); it gets a plain value.
                    payload.includes('$') && LITERALS[name]?.includes(parameter)
                    ? `plain-${parameter}`
                    : payload,
              ]),
            ),
          };
          const result = await runCommand(orb, name, given, { base, path: [bin] });
          expect(await exists(file)).toBe(false);
          expect(await exists(join(base, 'home'))).toBe(true);
          expect(result.status).toBe('success');
          const argv = (await recordedCalls(log)).flatMap((call) => call.argv);
          // The working directory is where hephestus runs, not an argument of it.
          const passed = strings.filter((parameter) => parameter !== 'working_directory');
          for (const parameter of passed) {
            const value = given[parameter] as string;
            expect({
              parameter,
              found: argv.some(
                (arg) =>
                  arg === value || arg.endsWith(`=${value}`) || arg.endsWith(`=${value}/smoke-tests.xml`),
              ),
            }).toEqual({
              parameter,
              found: true,
            });
          }
        }
      }
    },
  );

  it('would catch a script that evaluates a value, so the checks above can fail', async () => {
    const file = marker();
    const unsafe = parse(`
commands:
  unsafe:
    parameters: {value: {type: string}}
    steps:
      - run: {name: unsafe, environment: {PARAM_VALUE: << parameters.value >>}, command: 'eval "echo $PARAM_VALUE"'}
`) as Record<string, unknown>;
    await runCommand(unsafe, 'unsafe', { value: `$(touch ${file})` }, { base: await freshBase() });
    expect(await exists(file)).toBe(true);
  });

  it('install refuses a version that is not one and quotes the prefix it puts on PATH', async () => {
    const base = await freshBase();
    const file = marker();
    const hephestus = await recordingHephestus(join(base, 'fake'), join(base, 'calls.jsonl'));
    const tarball = await fakePackage(join(base, 'package'), join(hephestus, 'hephestus'));
    const refused = await runCommand(orb, 'install', { version: `1.0.0;touch ${file}` }, { base });
    expect(refused.status).toBe('failed');
    expect(refused.steps.find((step) => step.type === 'run')?.output).toContain(
      'version must be a version such as',
    );
    const prefix = `~/odd $(touch ${file}) "dir"`;
    const installed = await runSteps(
      orb,
      [
        { install: { cli_source: 'tarball', tarball, prefix } },
        { run: { name: 'which', command: 'command -v hephestus' } },
      ],
      { base },
    );
    expect(installed.status).toBe('success');
    expect(installed.steps[1]?.output).toBe(
      `${join(base, 'home')}/odd $(touch ${file}) "dir"/bin/hephestus\n`,
    );
    expect(await exists(file)).toBe(false);
  });
});

describe('the orb jobs', () => {
  it('runs bump_consumer with the images a pipeline parameter gave, and the context secrets', async () => {
    const base = await freshBase();
    const calls = join(base, 'calls.jsonl');
    const hephestus = await recordingHephestus(join(base, 'fake'), calls);
    const result = await runJob(
      orb,
      'bump_consumer',
      {
        cli_source: 'installed',
        images: '<< pipeline.parameters.images >>',
        github_token: 'VM_MANAGER_TOKEN',
      },
      {
        base,
        path: [hephestus],
        pipeline: { parameters: { images: 'win2022=ami-0123456789abcdef0' } },
        env: { VM_MANAGER_TOKEN: 'ghp_canary', SLACK_ACCESS_TOKEN: 'xoxb-canary' },
      },
    );
    expect(result.status).toBe('success');
    const flow = (await recordedCalls(calls)).filter((call) => call.argv[0] === 'run');
    expect(flow).toEqual([
      {
        argv: ['run', 'bump-consumer', '--config=hephestus.yml', '--images=win2022=ami-0123456789abcdef0'],
        cwd: join(base, 'project'),
        // The token stays in the context's variable; hephestus is told its name, and reads it there.
        secrets: {
          HEPHESTUS_GITHUB_TOKEN_VAR: 'VM_MANAGER_TOKEN',
          HEPHESTUS_SLACK_TOKEN_VAR: 'SLACK_ACCESS_TOKEN',
          SLACK_ACCESS_TOKEN: 'xoxb-canary',
        },
      },
    ]);
    expect(result.steps.map((step) => step.output).join('')).not.toContain('canary');
  });

  it.each([
    [
      'open_update',
      { images: 'win2022', force: true },
      ['run', 'open-update', '--config=hephestus.yml', '--images=win2022', '--force'],
    ],
    [
      'build_validate',
      // The packer on PATH: the job's own install_packer step has its own tests (install-packer.test.ts).
      { dry_run: true, packer_version: '' },
      [
        'run',
        'build-validate',
        '--config=hephestus.yml',
        '--junit=test-results/hephestus/smoke-tests.xml',
        '--artifacts=hephestus-artifacts',
        '--dry-run',
      ],
    ],
    ['promote', {}, ['run', 'promote', '--config=hephestus.yml']],
    // No images: hephestus reads the lock file (bump.source: lock) or names the missing parameter itself.
    ['bump_consumer', {}, ['run', 'bump-consumer', '--config=hephestus.yml']],
    ['announce', { config: 'ci/hephestus.yml' }, ['run', 'announce', '--config=ci/hephestus.yml']],
    ['monitor', {}, ['run', 'monitor', '--config=hephestus.yml']],
    ['monitor', { dry_run: true }, ['run', 'monitor', '--config=hephestus.yml', '--dry-run']],
    ['check_lock', { config: 'ci/hephestus.yml' }, ['run', 'check-lock', '--config=ci/hephestus.yml']],
    ['prune', {}, ['ami', 'prune', '--config=hephestus.yml', '--protect-days=14']],
    [
      'prune',
      { keep: '5', image: 'win2022', regions: 'us-east-1,eu-west-1', grace_days: '0', dry_run: true },
      [
        'ami',
        'prune',
        '--config=hephestus.yml',
        '--protect-days=14',
        '--keep=5',
        '--grace-days=0',
        '--image=win2022',
        '--region=us-east-1,eu-west-1',
        '--dry-run',
      ],
    ],
    ['sweep', {}, ['ami', 'sweep', '--config=hephestus.yml', '--grace-minutes=10']],
    [
      'sweep',
      { regions: 'us-east-1', grace_minutes: 30, dry_run: true },
      ['ami', 'sweep', '--config=hephestus.yml', '--grace-minutes=30', '--region=us-east-1', '--dry-run'],
    ],
  ])('runs the %s job as hephestus %j', async (job, given, argv) => {
    const base = await freshBase();
    const calls = join(base, 'calls.jsonl');
    const hephestus = await recordingHephestus(join(base, 'fake'), calls);
    const result = await runJob(orb, job, { cli_source: 'installed', ...given }, { base, path: [hephestus] });
    expect(result.status).toBe('success');
    expect(
      (await recordedCalls(calls))
        .filter((call) => call.argv[0] === 'run' || call.argv[0] === 'ami')
        .map((call) => call.argv),
    ).toEqual([argv]);
  });

  it('notifies on failure only when asked to', async () => {
    const base = await freshBase();
    const calls = join(base, 'calls.jsonl');
    const bin = await recordingHephestus(join(base, 'fake'), calls);
    const result = await runSteps(
      orb,
      [
        { run: { name: 'build', command: 'exit 1' } },
        { notify: { event: 'ready_to_merge' } },
        { notify: { event: 'failed', when: 'on_fail', channels: '#execution-teams,#images' } },
      ],
      { base, path: [bin] },
    );
    expect(result.status).toBe('failed');
    expect((await recordedCalls(calls)).map((call) => call.argv)).toEqual([
      [
        'notify',
        '--config=hephestus.yml',
        '--event=failed',
        '--channel=#execution-teams',
        '--channel=#images',
      ],
    ]);
  });
});
