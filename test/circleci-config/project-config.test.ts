import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createConfigValidator } from '../../scripts/lib/orb/validate-circleci-config.js';
import { PUBLISH_CONTEXT, projectConfig, RELEASE_CONTEXT } from '../../scripts/lib/project-config.js';
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
    for (const name of ['lint', 'typecheck', 'test', 'test_node22', 'pack_orb']) {
      const job = jobs.get(name);
      expect(job, name).toBeDefined();
      expect(steps(name), name).toContain('npm ci');
      for (const branch of ['main', 'windows-update/win2022', 'feature/x'])
        expect(runsFor(job ?? {}, { branch }), `${name} on ${branch}`).toBe(true);
      expect(runsFor(job ?? {}, { tag: 'v1.2.3' }), `${name} on v1.2.3`).toBe(true);
    }
    // The jobs that run real git, Packer and shellcheck install them first.
    for (const name of ['lint', 'test', 'test_node22'])
      expect(steps(name)).toContain('install-system-deps.sh');
  });

  it('runs the suite under Node.js 24 and 22, the majors the engines allow', () => {
    const jobs = projectConfig().config.jobs as Record<string, { docker: Array<{ image: string }> }>;
    expect(jobs.test?.docker[0]?.image).toMatch(/^cimg\/node:24\.\d+$/);
    expect(jobs.test_node22?.docker[0]?.image).toMatch(/^cimg\/node:22\.\d+$/);
    expect(JSON.stringify(jobs.test_node22)).toContain('npm test');
  });

  const released = (name: string) => {
    const job = workflowJobs(projectConfig().config).get(name) ?? {};
    expect(runsFor(job, { tag: 'v1.2.3' }), `${name} on v1.2.3`).toBe(true);
    for (const tag of ['release-1', 'v1.2', 'v1.2.3-rc.1x/'])
      expect(runsFor(job, { tag }), `${name} on ${tag}`).toBe(false);
    for (const branch of ['main', 'v1.2.3', 'windows-update/win2022'])
      expect(runsFor(job, { branch }), `${name} on ${branch}`).toBe(false);
    return job;
  };
  const commands = (name: string) =>
    JSON.stringify((projectConfig().config.jobs as Record<string, unknown>)[name]);

  it('publishes a dev orb on main only, after every check', () => {
    const dev = workflowJobs(projectConfig().config).get('publish_orb_dev') ?? {};
    expect(dev.context).toEqual([PUBLISH_CONTEXT]);
    expect(new Set(dev.requires)).toEqual(new Set(['lint', 'typecheck', 'test', 'test_node22', 'pack_orb']));
    expect(runsFor(dev, { branch: 'main' })).toBe(true);
    expect(runsFor(dev, { branch: 'windows-update/win2022' })).toBe(false);
    expect(runsFor(dev, { tag: 'v1.2.3' })).toBe(false);
    expect(commands('publish_orb_dev')).toContain('hephestus/hephestus@dev:alpha');
  });

  it('on a semver tag publishes to npm with provenance, then the orb pinned to what npm published', () => {
    const npm = released('publish_npm');
    expect(npm.context).toEqual([RELEASE_CONTEXT]);
    expect(new Set(npm.requires)).toEqual(new Set(['lint', 'typecheck', 'test', 'test_node22', 'pack_orb']));
    expect(commands('publish_npm')).toContain('publish --provenance --access public');
    expect(commands('publish_npm')).toContain('npm run build');
    // The tag must be package.json's version, and the orb is packed with that version's registry integrity.
    expect(commands('publish_npm')).toContain('is not package.json');
    expect(commands('publish_npm')).toContain(
      '--cli-version \\"$version\\" --cli-integrity \\"$integrity\\"',
    );
    const publish = released('publish_orb');
    expect(publish.context).toEqual([PUBLISH_CONTEXT]);
    expect(publish.requires).toEqual(['publish_npm']);
    expect(commands('publish_orb')).toContain('attach_workspace');
    expect(commands('publish_orb')).toContain(
      'circleci orb publish dist/orb.yml \\"hephestus/hephestus@$version\\"',
    );
    // Every job a released job requires must also run on the tag, or CircleCI never starts it.
    const jobs = workflowJobs(projectConfig().config);
    for (const name of [...(npm.requires ?? []), ...(publish.requires ?? [])])
      expect(runsFor(jobs.get(name) ?? {}, { tag: 'v1.2.3' }), name).toBe(true);
  });

  it('on a semver tag builds and pushes the runner image and records its digest', () => {
    const image = released('publish_runner_image');
    expect(image.context).toEqual([RELEASE_CONTEXT]);
    expect(image.requires).toEqual(['publish_npm']);
    const steps = commands('publish_runner_image');
    expect(steps).toContain('setup_remote_docker');
    expect(steps).toContain(`docker build --target runner --tag \\"$image\\" .`);
    expect(steps).toContain('--password-stdin');
    expect(steps).toContain('RepoDigests');
    expect(steps).toContain('dist/runner-image.json');
  });
});
