import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PUBLISH_CONTEXT, projectConfig } from '../../src/circleci/project-config.js';
import { createConfigValidator } from '../../src/orb/validate-circleci-config.js';
import { configSchemaPath, repoRoot } from '../orb/orb-fixture.js';

const CHECKED_IN = join(repoRoot, '.circleci', 'config.yml');

interface WorkflowJob {
  requires?: string[];
  context?: string[];
  filters?: { tags?: { only?: string[] }; branches?: { ignore?: string[]; only?: string[] } };
}

/** The project config's workflow jobs by name, as CircleCI reads them. */
function workflowJobs(config: Record<string, unknown>): Map<string, WorkflowJob> {
  const workflows = config.workflows as Record<string, { jobs: (string | Record<string, WorkflowJob>)[] }>;
  const jobs = new Map<string, WorkflowJob>();
  for (const workflow of Object.values(workflows)) {
    for (const entry of workflow.jobs) {
      if (typeof entry === 'string') jobs.set(entry, {});
      else for (const [name, settings] of Object.entries(entry)) jobs.set(name, settings ?? {});
    }
  }
  return jobs;
}

/** Whether a CircleCI filter pattern list (`/regex/` or an exact name) matches `value`. */
function matches(patterns: string[] | undefined, value: string): boolean {
  return (patterns ?? []).some((pattern) =>
    pattern.startsWith('/') && pattern.endsWith('/')
      ? new RegExp(`^(?:${pattern.slice(1, -1)})$`).test(value)
      : pattern === value,
  );
}

/** Whether CircleCI runs a workflow job for a push of `ref` (a branch name, or a tag). */
function runsFor(job: WorkflowJob, ref: { branch: string } | { tag: string }): boolean {
  if ('tag' in ref) return matches(job.filters?.tags?.only, ref.tag);
  const branches = job.filters?.branches;
  if (branches?.only && !matches(branches.only, ref.branch)) return false;
  return !matches(branches?.ignore, ref.branch);
}

describe("the project's .circleci/config.yml", () => {
  it('is what scripts/generate-circleci-config.ts generates', async () => {
    const checkedIn = await readFile(CHECKED_IN, 'utf8').catch(() => '(missing)');
    expect(
      checkedIn,
      '.circleci/config.yml is stale: run `npm run circleci:config` (tsx scripts/generate-circleci-config.ts) and commit the result',
    ).toBe(projectConfig().text);
  });

  it("validates against CircleCI's config schema", async () => {
    const validate = createConfigValidator(JSON.parse(await readFile(configSchemaPath, 'utf8')) as object);
    const parsed = parse(await readFile(CHECKED_IN, 'utf8')) as unknown;
    expect(validate(parsed)).toEqual([]);
    expect(parsed).toEqual(projectConfig().config);
  });

  it('lints, typechecks, tests and packs the orb on every branch and on release tags', () => {
    const jobs = workflowJobs(projectConfig().config);
    const steps = (name: string) =>
      JSON.stringify((projectConfig().config.jobs as Record<string, unknown>)[name]);
    expect(steps('lint')).toContain('npm run lint');
    expect(steps('lint')).toContain('npm run shellcheck');
    expect(steps('typecheck')).toContain('npm run typecheck');
    expect(steps('test')).toContain('npm test');
    expect(steps('pack_orb')).toContain('npm run orb:pack');
    for (const name of ['lint', 'typecheck', 'test', 'pack_orb']) {
      const job = jobs.get(name);
      expect(job, name).toBeDefined();
      expect(steps(name), name).toContain('npm ci');
      for (const branch of ['main', 'windows-update/win2022', 'feature/x'])
        expect(runsFor(job ?? {}, { branch }), `${name} on ${branch}`).toBe(true);
      expect(runsFor(job ?? {}, { tag: 'v1.2.3' }), `${name} on v1.2.3`).toBe(true);
    }
    // The jobs that run real git, Packer and shellcheck install them first.
    for (const name of ['lint', 'test']) expect(steps(name)).toContain('install-system-deps.sh');
  });

  it('publishes the orb only on v* tags, after everything else passed, with the publishing context', () => {
    const jobs = workflowJobs(projectConfig().config);
    const publish = jobs.get('publish_orb') ?? {};
    expect(publish.context).toEqual([PUBLISH_CONTEXT]);
    expect(new Set(publish.requires)).toEqual(new Set(['lint', 'typecheck', 'test', 'pack_orb']));
    expect(runsFor(publish, { tag: 'v1.2.3' })).toBe(true);
    expect(runsFor(publish, { tag: 'release-1' })).toBe(false);
    for (const branch of ['main', 'v1.2.3', 'windows-update/win2022'])
      expect(runsFor(publish, { branch }), branch).toBe(false);
    // Every job it requires must also run on the tag, or CircleCI never starts it.
    for (const name of publish.requires ?? [])
      expect(runsFor(jobs.get(name) ?? {}, { tag: 'v1.2.3' }), name).toBe(true);
    const publishJob = JSON.stringify((projectConfig().config.jobs as Record<string, unknown>).publish_orb);
    expect(publishJob).toContain('attach_workspace');
    expect(publishJob).toContain('circleci orb publish dist/orb.yml \\"hephestus/hephestus@$version\\"');
  });
});
