/**
 * The orb as the docs name it: every `hephestus/<job or command>` a reader copies exists, every parameter a
 * documented YAML block passes to one is declared by it, every orb-looking name in backticks (snake_case) is a
 * job, command, executor, parameter or enum value of the orb (or a key of hephestus.yml), and a sentence saying
 * what "every job takes" holds for every job.
 */
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadOrb } from '../orb/orb-fixture.js';

const root = new URL('../../', import.meta.url);
const docsDir = new URL('docs/', root);
const texts = [
  ...(await Promise.all(
    (
      await readdir(docsDir)
    )
      .filter((name) => name.endsWith('.md'))
      .sort()
      .map(async (name) => ({ name: `docs/${name}`, text: await readFile(new URL(name, docsDir), 'utf8') })),
  )),
  { name: 'README.md', text: await readFile(new URL('README.md', root), 'utf8') },
];

type Parameters = Record<string, { type?: string; enum?: string[] }>;
type Component = { parameters?: Parameters };
const { orb } = await loadOrb();
const jobs = orb.jobs as Record<string, Component>;
const commands = orb.commands as Record<string, Component>;
const executors = orb.executors as Record<string, Component>;
const components = { ...executors, ...commands, ...jobs };

/** Keys a workflow gives any job besides its parameters. */
const INVOCATION_KEYS = new Set([
  'context',
  'requires',
  'filters',
  'name',
  'matrix',
  'type',
  'pre-steps',
  'post-steps',
  'serial-group',
  'override-with',
]);
/** References that look like components but are not: the orb itself and the runner image. */
const NOT_COMPONENTS = new Set(['hephestus', 'runner']);

/** Every key of hephestus.yml's schema, at any depth: backticked config keys are not orb names. */
function schemaKeys(schema: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const item of schema) schemaKeys(item, into);
  else if (schema && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties' && value && typeof value === 'object')
        for (const name of Object.keys(value)) into.add(name);
      schemaKeys(value, into);
    }
  }
  return into;
}
const configKeys = schemaKeys(
  JSON.parse(await readFile(new URL('docs/hephestus.schema.json', root), 'utf8')),
);

const orbWords = new Set<string>([...Object.keys(components)]);
// The examples' own pipeline parameters (run_update, images, force) are named beside the orb's.
for (const example of Object.values(orb.examples as Record<string, { usage: { parameters?: object } }>))
  for (const name of Object.keys(example.usage.parameters ?? {})) orbWords.add(name);
for (const component of Object.values(components)) {
  for (const [name, declaration] of Object.entries(component.parameters ?? {})) {
    orbWords.add(name);
    for (const value of declaration.enum ?? []) orbWords.add(String(value));
    if (declaration.type) orbWords.add(declaration.type);
  }
}

/** The fenced YAML blocks of a text. */
const yamlBlocks = (text: string) =>
  [...text.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);

/** Every `hephestus/<name>: {...}` mapping anywhere in a parsed YAML value. */
function invocations(value: unknown, found: Array<[string, unknown]> = []): Array<[string, unknown]> {
  if (Array.isArray(value)) for (const item of value) invocations(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const match = /^hephestus\/([a-z_]+)$/.exec(key);
      if (match) found.push([match[1] as string, item]);
      invocations(item, found);
    }
  }
  return found;
}

describe('the orb as the docs name it', () => {
  it('names only jobs, commands and executors the orb has, as hephestus/<name>', () => {
    const named = texts.flatMap(({ name, text }) =>
      [...text.matchAll(/(?<![\w./-])hephestus\/([a-z][a-z0-9_]*)(?![\w/-])/g)]
        .map((m) => m[1] as string)
        .filter((component) => !NOT_COMPONENTS.has(component))
        .map((component) => ({ doc: name, component })),
    );
    expect(named.length).toBeGreaterThan(0);
    for (const { doc, component } of named)
      expect(Object.keys(components), `${doc}: hephestus/${component}`).toContain(component);
  });

  it('passes only declared parameters in its YAML blocks', () => {
    let checked = 0;
    for (const { name, text } of texts) {
      for (const block of yamlBlocks(text)) {
        for (const document of parseAllDocuments(block)) {
          if ('errors' in document && document.errors.length > 0) continue;
          for (const [component, given] of invocations(document.toJS())) {
            const declared = Object.keys(components[component]?.parameters ?? {});
            for (const key of Object.keys((given as Record<string, unknown>) ?? {})) {
              if (INVOCATION_KEYS.has(key)) continue;
              checked++;
              expect(declared, `${name}: hephestus/${component} given ${key}`).toContain(key);
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("spells every snake_case name in backticks in setup.md's orb sections as the orb (or hephestus.yml) does", () => {
    const setup = texts.find((t) => t.name === 'docs/setup.md')?.text ?? '';
    const between = (from: string, to: string) => {
      const start = setup.indexOf(from);
      expect(start, from).toBeGreaterThanOrEqual(0);
      return setup.slice(start, setup.indexOf(to, start));
    };
    // The AWS-through-OIDC part of section 3 and sections 5 to 7 (pipelines and the orb); the others name
    // Packer's, Slack's and GitHub's own settings.
    const sections = [
      { name: 'docs/setup.md (OIDC)', text: between('### AWS through OIDC', '## 4.') },
      { name: 'docs/setup.md (5-7)', text: between('## 5.', '## 8.') },
    ];
    const unknown = sections.flatMap(({ name, text }) =>
      [...text.matchAll(/`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`/g)]
        .map((m) => m[1] as string)
        .filter((word) => !orbWords.has(word) && !configKeys.has(word))
        .map((word) => `${name}: ${word}`),
    );
    expect(unknown).toEqual([]);
  });

  it('holds every "every job takes" sentence for every job', () => {
    const claims = texts.flatMap(({ name, text }) =>
      [...text.replace(/\s+/g, ' ').matchAll(/Every (?:orb )?job (?:also )?takes (.*?)\.(?: |$)/g)].map(
        (m) => ({
          doc: name,
          sentence: m[1] as string,
        }),
      ),
    );
    expect(claims.length).toBeGreaterThan(0);
    for (const { doc, sentence } of claims) {
      // "`dry_run` (except `check_lock`, ...)": a parameter, then the jobs it is not on.
      for (const [, parameter, except] of sentence.matchAll(
        /`([a-z_]+)`(?: \(except ((?:`[a-z_]+`[ ,]*(?:and )?)+))?/g,
      )) {
        if (parameter === undefined || jobs[parameter] || commands[parameter] || parameter === 'env_var_name')
          continue;
        const excepted = new Set([...(except ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
        for (const [job, declaration] of Object.entries(jobs)) {
          if (excepted.has(job)) continue;
          expect(
            Object.keys(declaration.parameters ?? {}),
            `${doc}: every job takes ${parameter}, ${job}`,
          ).toContain(parameter);
        }
      }
    }
  });
});
