import { describe, expect, it } from 'vitest';
import { readOrbSource } from '../../scripts/lib/orb/pack-orb.js';
import { REVIEW_RULES, type ReviewRule, reviewOrb } from '../../scripts/lib/orb/review-rules.js';
import { loadOrb, orbSourceDir, readTree } from './orb-fixture.js';

const GOOD_ROOT = `version: 2.1
description: A small orb that greets people politely, in many languages, on every CircleCI job run.
display:
  source_url: https://github.com/acme/greet-orb
`;

/** A minimal orb source that passes every rule; each case below breaks one thing. */
const GOOD: Record<string, string> = {
  '@orb.yml': GOOD_ROOT,
  'commands/greet.yml': `description: Greets.
parameters:
  to:
    type: string
    default: world
    description: Whom to greet.
steps:
  - run:
      name: Greet
      command: echo hello
`,
  'jobs/hello.yml': `description: Says hello.
docker: [{image: cimg/base:current}]
steps: [greet]
`,
  'executors/default.yml': 'description: A base image.\ndocker: [{image: cimg/base:current}]\n',
  'examples/greet_on_push.yml': `description: Greets on every push.
usage:
  version: 2.1
  orbs:
    greet: acme/greet@2.1.0
  workflows:
    main:
      jobs: [greet/hello]
`,
};

function rulesBroken(changes: Record<string, string | undefined>, options = {}): ReviewRule[] {
  const files = new Map(
    Object.entries({ ...GOOD, ...changes }).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  return [...new Set(reviewOrb(readOrbSource(files), options).map((finding) => finding.rule))];
}

describe('reviewOrb', () => {
  it('passes the hephestus orb on every rule, with the release tag check on', async () => {
    const { source } = await loadOrb();
    expect(reviewOrb(source, { orbName: 'hephestus', tag: 'v0.1.0' })).toEqual([]);
  });

  it('passes the minimal orb the cases below start from', () => {
    expect(rulesBroken({}, { orbName: 'greet', tag: 'v2.0.0' })).toEqual([]);
  });

  it('leaves out the two network checks', () => {
    expect(Object.keys(REVIEW_RULES)).not.toContain('RC006');
    expect(Object.keys(REVIEW_RULES)).not.toContain('RC007');
    expect(Object.keys(REVIEW_RULES)).toHaveLength(10);
  });

  const cases: [ReviewRule, string, Record<string, string | undefined>, object?][] = [
    ['RC001', 'no display.source_url', { '@orb.yml': GOOD_ROOT.replace(/display:[\s\S]*/, '') }],
    [
      'RC002',
      'a component without a description',
      { 'executors/default.yml': 'docker: [{image: cimg/base:current}]\n' },
    ],
    [
      'RC002',
      'an empty description',
      { 'jobs/hello.yml': 'description: ""\ndocker: [{image: x}]\nsteps: [greet]\n' },
    ],
    ['RC003', 'no example', { 'examples/greet_on_push.yml': undefined }],
    [
      'RC004',
      'an example named "example"',
      {
        'examples/greet_on_push.yml': undefined,
        'examples/example_push.yml': GOOD['examples/greet_on_push.yml'],
      },
    ],
    [
      'RC005',
      'a short orb description',
      { '@orb.yml': GOOD_ROOT.replace(/description: .*/, 'description: Greets.') },
    ],
    [
      'RC008',
      'a run step without a name',
      { 'commands/greet.yml': 'description: Greets.\nsteps:\n  - run:\n      command: echo hello\n' },
    ],
    [
      'RC008',
      'a run step nested in a when',
      {
        'jobs/hello.yml':
          'description: Says hello.\nsteps:\n  - when:\n      condition: true\n      steps:\n        - run: {command: echo hi}\n',
      },
    ],
    [
      'RC009',
      'a long inline command',
      {
        'commands/greet.yml': `description: Greets.\nsteps:\n  - run:\n      name: Greet\n      command: ${'echo hello; '.repeat(8)}\n`,
      },
    ],
    ['RC009', 'a command over a lowered limit', {}, { maxCommandLength: 5 }],
    [
      'RC010',
      'a kebab-case file name',
      { 'commands/greet.yml': undefined, 'commands/say-hello.yml': GOOD['commands/greet.yml'] },
    ],
    [
      'RC010',
      'a kebab-case parameter',
      { 'commands/greet.yml': (GOOD['commands/greet.yml'] as string).replace('  to:', '  greet-to:') },
    ],
    ['RC011', 'an example on an old major version', {}, { orbName: 'greet', tag: 'v3.0.0' }],
    [
      'RC012',
      'an environment variable default used in a cache key',
      {
        'commands/greet.yml': `description: Greets.
parameters:
  cache_version:
    type: string
    default: $CACHE_VERSION
    description: The cache version.
steps:
  - restore_cache:
      key: greet-<< parameters.cache_version >>
`,
      },
    ],
  ];

  it.each(cases)('%s fails on %s', (rule, _what, changes, options) => {
    expect(rulesBroken(changes, options)).toEqual([rule]);
  });

  it('RC008 and RC009 both flag a run step in string form', () => {
    expect(
      rulesBroken({ 'commands/greet.yml': 'description: Greets.\nsteps:\n  - run: echo hello\n' }),
    ).toEqual(['RC008', 'RC009']);
  });

  it('RC011 is skipped without a release tag, and for a pre-release tag', () => {
    expect(rulesBroken({}, { orbName: 'greet' })).toEqual([]);
    expect(rulesBroken({}, { orbName: 'greet', tag: 'v3.0.0-rc.1' })).toEqual([]);
  });

  it('RC012 lets an environment variable default pass where it is not used in a key', () => {
    const command = `description: Greets.
parameters:
  home:
    type: string
    default: $HOME
    description: Where.
steps:
  - run:
      name: Greet
      environment:
        PARAM_HOME: << parameters.home >>
      command: echo hello
`;
    expect(rulesBroken({ 'commands/greet.yml': command })).toEqual([]);
  });

  it('skips excluded rules', () => {
    expect(rulesBroken({ 'examples/greet_on_push.yml': undefined }, { exclude: ['RC003'] })).toEqual([]);
  });

  it('names the file of each finding', async () => {
    const files = await readTree(orbSourceDir);
    files.set(
      'commands/install.yml',
      (files.get('commands/install.yml') as string).replace(/^description: >\n( {2}.*\n)+/m, ''),
    );
    expect(reviewOrb(readOrbSource(files))).toEqual([
      { rule: 'RC002', file: 'commands/install.yml', message: 'the component has no description' },
    ]);
  });
});
