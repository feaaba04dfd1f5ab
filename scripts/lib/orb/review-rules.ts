/**
 * The orb-tools review checks (CircleCI-Public/orb-tools-orb `src/scripts/review.bats`), run on an orb's source
 * as the `review` job does. RC006 and RC007 (the source and home URLs answer 200) need the network and are left
 * out. Where the bats file's intent and its code differ, the intent is kept: its RC004 `find` never matches a
 * file, so the check there never fails; here it does.
 */
import type { OrbComponent, OrbSource } from './pack-orb.js';

export const REVIEW_RULES = {
  RC001: 'Include source_url in @orb.yml',
  RC002: 'All components (jobs, commands, executors, examples) must have descriptions',
  RC003: 'All production-ready orbs should contain at least one usage example',
  RC004: 'Usage example names should be descriptive',
  RC005: 'Write a detailed orb description',
  RC008: 'All Run steps should contain a name',
  RC009: "Complex Run step's commands should be imported",
  RC010: 'All components (jobs, commands, executors, examples) should be snake_cased',
  RC011: 'Ensure usage examples showcase current major version of the orb',
  RC012: 'Incorrect usage of environment variables set as default parameter detected',
} as const;
export type ReviewRule = keyof typeof REVIEW_RULES;

export interface ReviewFinding {
  rule: ReviewRule;
  /** The source file, relative to the orb source directory. */
  file: string;
  message: string;
}

export interface ReviewOptions {
  /** RC codes to skip, as the review job's `exclude` parameter. */
  exclude?: readonly string[];
  /** RC009's limit; the review job's default is 64. */
  maxCommandLength?: number;
  /** RC011: the orb's alias in the examples' `orbs` and the release tag; without both RC011 is skipped. */
  orbName?: string;
  tag?: string;
}

type Check = (
  source: OrbSource,
  options: Required<Pick<ReviewOptions, 'maxCommandLength'>> & ReviewOptions,
) => Omit<ReviewFinding, 'rule'>[];

const ROOT = '@orb.yml';

const CHECKS: Record<ReviewRule, Check> = {
  RC001: (source) =>
    lookup(source.root, ['display', 'source_url']) == null
      ? [{ file: ROOT, message: 'set a value for "source_url" under the "display" key' }]
      : [],
  RC002: (source) =>
    source.components
      .filter((component) => component.value.description == null || component.value.description === '')
      .map((component) => ({ file: component.file, message: 'the component has no description' })),
  RC003: (source) =>
    source.components.some((component) => component.folder === 'examples')
      ? []
      : [{ file: 'examples/', message: 'the orb has no usage example' }],
  RC004: (source) =>
    examples(source)
      .filter((component) => component.file.slice('examples/'.length).includes('example'))
      .map((component) => ({
        file: component.file,
        message: 'an example file name should not contain "example"',
      })),
  RC005: (source) => {
    // yq prints a missing description as "null", which the bats check then measures.
    const description = String(source.root.description ?? 'null');
    return description.length < 64
      ? [{ file: ROOT, message: `the orb description is ${description.length} characters long, under 64` }]
      : [];
  },
  RC008: (source) =>
    runSteps(source).flatMap(({ component, path, run }) => {
      if (typeof run === 'string')
        return [{ file: component.file, message: `${path}: a run step in string form has no name` }];
      const name = isRecord(run) ? run.name : undefined;
      return name == null || name === ''
        ? [{ file: component.file, message: `${path}: the run step has no name` }]
        : [];
    }),
  RC009: (source, options) =>
    runSteps(source).flatMap(({ component, path, run }) => {
      if (typeof run === 'string') {
        return [
          { file: component.file, message: `${path}: a run step in string form; use name and command` },
        ];
      }
      const command = String((isRecord(run) ? run.command : undefined) ?? 'null');
      return command.length > options.maxCommandLength && !command.includes('<<include')
        ? [
            {
              file: component.file,
              message: `${path}: the command is ${command.length} characters long, over ${options.maxCommandLength}; use <<include(scripts/...)>>`,
            },
          ]
        : [];
    }),
  RC010: (source) =>
    source.components
      .filter((component) => component.folder !== 'examples')
      .flatMap((component) => {
        const baseName = component.file.slice(component.file.lastIndexOf('/') + 1);
        if (baseName.includes('-'))
          return [{ file: component.file, message: 'the component name should be snake_case' }];
        return Object.keys(parametersOf(component))
          .filter((name) => name.includes('-'))
          .map((name) => ({ file: component.file, message: `parameter "${name}" should be snake_case` }));
      }),
  RC011: (source, options) => {
    const { orbName, tag } = options;
    if (!orbName || !tag || !/^v[0-9]+\.[0-9]+\.[0-9]+$/.test(tag)) return [];
    const major = tag.slice(1).split('.')[0];
    return examples(source).flatMap((component) => {
      const reference = String(lookup(component.value, ['usage', 'orbs', orbName]) ?? 'null');
      const version = reference.split('@')[1] ?? reference;
      return version.split('.')[0] === major
        ? []
        : [
            {
              file: component.file,
              message: `the example uses ${orbName} version "${version}"; the current major version is ${major}`,
            },
          ];
    });
  },
  RC012: (source) =>
    source.components
      .filter((component) => component.folder !== 'examples')
      .flatMap((component) =>
        Object.entries(parametersOf(component)).flatMap(([name, definition]) => {
          const fallback = isRecord(definition) ? definition.default : undefined;
          if (typeof fallback !== 'string' || !fallback.includes('$') || fallback.endsWith('$')) return [];
          return stringsIn(component.value, [])
            .filter(({ path, value }) => value.includes(name) && path.join('.').endsWith('key'))
            .map(({ path }) => ({
              file: component.file,
              message: `parameter "${name}" defaults to the environment variable reference "${fallback}", which is used in the key property ${path.join('.')}`,
            }));
        }),
      ),
};

/** Runs every review rule not excluded and returns what they found, in rule order. */
export function reviewOrb(source: OrbSource, options: ReviewOptions = {}): ReviewFinding[] {
  const settings = { maxCommandLength: 64, ...options };
  const excluded = new Set(options.exclude ?? []);
  return (Object.keys(CHECKS) as ReviewRule[])
    .filter((rule) => !excluded.has(rule))
    .flatMap((rule) => CHECKS[rule](source, settings).map((finding) => ({ rule, ...finding })));
}

function examples(source: OrbSource): OrbComponent[] {
  return source.components.filter((component) => component.folder === 'examples');
}

function parametersOf(component: OrbComponent): Record<string, unknown> {
  return isRecord(component.value.parameters) ? component.value.parameters : {};
}

/** Every value under a `run` key at any depth of jobs and commands, as the bats file's `paths` query finds them. */
function runSteps(source: OrbSource): { component: OrbComponent; path: string; run: unknown }[] {
  return source.components
    .filter((component) => component.folder === 'jobs' || component.folder === 'commands')
    .flatMap((component) =>
      valuesUnderKey(component.value, 'run', []).map(({ path, value }) => ({
        component,
        path: path.join('.'),
        run: value,
      })),
    );
}

function valuesUnderKey(
  value: unknown,
  key: string,
  path: (string | number)[],
): { path: (string | number)[]; value: unknown }[] {
  if (Array.isArray(value))
    return value.flatMap((item, index) => valuesUnderKey(item, key, [...path, index]));
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([name, item]) => [
    ...(name === key ? [{ path: [...path, name], value: item }] : []),
    ...valuesUnderKey(item, key, [...path, name]),
  ]);
}

function stringsIn(
  value: unknown,
  path: (string | number)[],
): { path: (string | number)[]; value: string }[] {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringsIn(item, [...path, index]));
  if (isRecord(value))
    return Object.entries(value).flatMap(([name, item]) => stringsIn(item, [...path, name]));
  return [];
}

function lookup(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
