/**
 * The hostile inputs of issue 7, as one table: each case lays out files in an empty directory, runs
 * `hephestus config check` or `hephestus edit` on them (or `editFile` where the CLI has no way to say it), and
 * says what must happen. Refused inputs must exit 2, name the file (and line, column or setting where known)
 * and write nothing; the few accepted ones (BOM, CRLF, a link inside the repository) must edit correctly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EditRequest } from '../../src/edit/edit-file.js';

/** A file's content, a symbolic link to another path, or a directory. */
export type FileSpec = string | Uint8Array | { link: string } | { dir: true };

export interface Refusal {
  kind: 'refused';
  message: RegExp;
  /** The file the message must name; `null` when the error is about a command-line option instead. */
  file?: string | null;
  /** `true`: some line must be given; a number: that line. */
  line?: number | true;
  column?: number;
  setting?: string;
}

export interface Acceptance {
  kind: 'accepted';
  /** The file that must hold `bytes` afterwards (after following links). */
  file: string;
  bytes: string | Uint8Array;
}

export interface HostileCase {
  name: string;
  files: Record<string, FileSpec>;
  run: { cli: string[] } | { editFile: (dir: string) => EditRequest };
  expect: Refusal | Acceptance;
}

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

const CONFIG = read('src/sandbox/seeds/images-repo/hephestus.yml');
const PKRVARS = read('src/sandbox/seeds/images-repo/packer/windows.auto.pkrvars.hcl');
const EDN = read('src/sandbox/seeds/service-repo/resources/config.edn');
const CONFIGMAP = read('src/sandbox/seeds/service-repo/chart/templates/configmap.yaml');
const TEMPLATE_JSON = read('test/fixtures/json/windows-2022.json');
const CRLF_JSON = read('test/fixtures/json/windows-2019-crlf.json');
const DEPLOYMENT = read('test/fixtures/yaml/deployment.yaml');

const AMI = 'ami-0123456789abcdef1';
const BOM = '\uFEFF';

/** `text` with the first `from` replaced; throws when a fixture no longer holds `from`, so the case cannot rot. */
export function swap(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at === -1) throw new Error(`fixture does not contain ${JSON.stringify(from)}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** The 1-based line and column where `needle` starts in `text`. */
export function positionOf(text: string, needle: string): { line: number; column: number } {
  const at = text.indexOf(needle);
  if (at === -1) throw new Error(`text does not contain ${JSON.stringify(needle)}`);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: (before.at(-1) as string).length + 1 };
}

const lineOf = (text: string, needle: string) => positionOf(text, needle).line;

function config(name: string, text: string | Uint8Array, expect: Omit<Refusal, 'kind'>): HostileCase {
  return {
    name: `hephestus.yml: ${name}`,
    files: { 'hephestus.yml': text },
    run: { cli: ['config', 'check', 'hephestus.yml'] },
    expect: { kind: 'refused', file: 'hephestus.yml', ...expect },
  };
}

/** A refused unknown key: the message must suggest the right one, at the key's line and column. */
function unknownKey(text: string, key: string, setting: string, suggestion: string): HostileCase {
  const at = positionOf(text, `${key}:`);
  return config(`unknown key ${key}`, text, {
    message: new RegExp(`unknown setting "${key}"; did you mean "${suggestion}"\\?`),
    setting,
    ...at,
  });
}

function edit(
  name: string,
  file: string,
  text: string | Uint8Array,
  args: string[],
  expect: Omit<Refusal, 'kind'>,
): HostileCase {
  return {
    name: `edit ${path.extname(file) || file}: ${name}`,
    files: { [file]: text },
    run: { cli: ['edit', file, ...args] },
    expect: { kind: 'refused', file, ...expect },
  };
}

const ednFile = 'resources/config.edn';
const jsonFile = 'packer/windows-2022.json';
const yamlFile = 'chart/templates/configmap.yaml';
const hclFile = 'packer/windows.auto.pkrvars.hcl';
const ednPath = (p: string) => ['--path', p, '--value', AMI];

const firstRegions = '    regions: [us-east-1, us-west-2]';
const FIFTY_MB = 50 * 1024 * 1024;

const configCases: HostileCase[] = [
  config('unclosed flow sequence', swap(CONFIG, firstRegions, '    regions: [us-east-1, us-west-2'), {
    message: /YAML syntax: .*\]/,
    line: true,
  }),
  config('tab indentation', swap(CONFIG, '  branch_prefix:', '\tbranch_prefix:'), {
    message: /YAML syntax: Tabs are not allowed as indentation/,
    line: lineOf(CONFIG, '  branch_prefix:'),
  }),
  config('a mapping inside a plain scalar', swap(CONFIG, 'keep: 3', 'keep: 3: 4'), {
    message: /YAML syntax/,
    line: lineOf(CONFIG, 'keep: 3'),
  }),
  config('duplicate top-level key', `${CONFIG}keep: 5\n`, {
    message: /YAML syntax: Map keys must be unique/,
    line: CONFIG.split('\n').length,
  }),
  config(
    'duplicate key inside an image',
    swap(CONFIG, '  - name: win2022\n', '  - name: win2022\n    name: win2023\n'),
    { message: /YAML syntax: Map keys must be unique/, line: lineOf(CONFIG, '  - name: win2022') + 1 },
  ),
  config('unterminated quoted string', swap(CONFIG, '["801119661308"]', '["801119661308]'), {
    message: /YAML syntax/,
    line: true,
  }),
  config('two documents', `${CONFIG}---\nversion: 1\n`, {
    message: /YAML syntax: Source contains multiple documents/,
    line: true,
  }),
  unknownKey(swap(CONFIG, 'channels: [canary', 'chanels: [canary'), 'chanels', 'chanels', 'channels'),
  unknownKey(
    swap(CONFIG, 'branch_prefix:', 'branch_prefx:'),
    'branch_prefx',
    'git.branch_prefx',
    'branch_prefix',
  ),
  unknownKey(
    swap(CONFIG, 'smoke_tests:', 'smoke_test:'),
    'smoke_test',
    'images[0].smoke_test',
    'smoke_tests',
  ),
  unknownKey(swap(CONFIG, 'var_files:', 'var_file:'), 'var_file', 'images[0].var_file', 'var_files'),
  unknownKey(
    swap(CONFIG, 'update_opened:', 'update_openned:'),
    'update_openned',
    'slack.channels.update_openned',
    'update_opened',
  ),
  config('unknown key with no near match', swap(CONFIG, 'keep: 3', 'keep: 3\nfrobnicate: true'), {
    message: /unknown setting "frobnicate" \(known: version, git, github, images/,
    setting: 'frobnicate',
    line: lineOf(CONFIG, 'keep: 3') + 1,
  }),
  config('a word where a number goes', swap(CONFIG, 'keep: 3', 'keep: three'), {
    message: /expected number, received string/,
    setting: 'keep',
    ...positionOf(CONFIG, '3\n\nslack'),
  }),
  config('a number below the minimum', swap(CONFIG, 'keep: 3', 'keep: 0'), {
    message: />=1/,
    setting: 'keep',
    line: lineOf(CONFIG, 'keep: 3'),
  }),
  config('a string where a list goes', swap(CONFIG, firstRegions, '    regions: us-east-1'), {
    message: /expected array, received string/,
    setting: 'images[0].regions',
    line: lineOf(CONFIG, firstRegions),
  }),
  config('an empty list that must not be', swap(CONFIG, '[canary, edge, stable]', '[]'), {
    message: />=1 items/,
    setting: 'channels',
    line: lineOf(CONFIG, 'channels:'),
  }),
  config('a version this release does not know', swap(CONFIG, 'version: 1', 'version: 2'), {
    message: /expected 1/,
    setting: 'version',
    line: lineOf(CONFIG, 'version: 1'),
  }),
  config('a list at the top level', '- version: 1\n', {
    message: /expected object, received array/,
    setting: '(top level)',
    line: 1,
  }),
  config('an empty file', '', { message: /expected 1/, setting: 'version' }),
  config('a timeout above the maximum', swap(CONFIG, 'timeout_minutes: 40', 'timeout_minutes: 1000'), {
    message: /<=240/,
    setting: 'validation.timeout_minutes',
    line: lineOf(CONFIG, 'timeout_minutes: 40'),
  }),
  config('an image name with spaces', swap(CONFIG, 'name: win2022', 'name: Windows 2022'), {
    message: /image names are lower-case letters/,
    setting: 'images[0].name',
    line: lineOf(CONFIG, 'name: win2022'),
  }),
  config('an e-mail address that is not one', swap(CONFIG, 'hephestus-bot@example.com', 'hephestus-bot'), {
    message: /email/i,
    setting: 'git.author_email',
    line: lineOf(CONFIG, 'author_email:'),
  }),
  config(
    'a merge method GitHub does not have',
    swap(
      CONFIG,
      '  reviewers: [platform-team]',
      '  reviewers: [platform-team]\n  merge_method: fast-forward',
    ),
    {
      message: /"merge"\|"squash"\|"rebase"/,
      setting: 'github.merge_method',
      line: lineOf(CONFIG, '  reviewers:') + 1,
    },
  ),
  config(
    'a consumer repository without owner',
    swap(CONFIG, 'repository: acme/vm-manager', 'repository: vm-manager'),
    {
      message: /repositories are written owner\/name/,
      setting: 'consumers[0].repository',
      line: lineOf(CONFIG, 'repository: acme/vm-manager'),
    },
  ),
  config('a consumer mode that does not exist', swap(CONFIG, 'mode: trigger', 'mode: push'), {
    message: /"trigger"\|"pull-request"/,
    setting: 'consumers[0].mode',
    line: lineOf(CONFIG, 'mode: trigger'),
  }),
  config('slack.strict as a string', swap(CONFIG, 'slack:\n', 'slack:\n  strict: "yes"\n'), {
    message: /expected boolean/,
    setting: 'slack.strict',
    line: lineOf(CONFIG, 'slack:') + 1,
  }),
  config('bump with no files', `${CONFIG}bump:\n  files: []\n`, {
    message: />=1 items/,
    setting: 'bump.files',
    line: CONFIG.split('\n').length + 1,
  }),
  config('a region with a typo', swap(CONFIG, firstRegions, '    regions: [us-east-1, us-wset-2]'), {
    message: /"us-wset-2" is not an AWS region/,
    setting: 'images[0].regions[1]',
    ...positionOf(swap(CONFIG, firstRegions, '    regions: [us-east-1, us-wset-2]'), 'us-wset-2'),
  }),
  config(
    'a base AMI region that is not one',
    swap(
      CONFIG,
      '      owners: ["801119661308"]',
      '      owners: ["801119661308"]\n      region: mars-north-1',
    ),
    {
      message: /"mars-north-1" is not an AWS region/,
      setting: 'images[0].base_ami.region',
      line: lineOf(CONFIG, '      owners:') + 1,
    },
  ),
  config(
    'an image-id filter that is not an AMI id',
    swap(CONFIG, '        architecture: x86_64', '        architecture: x86_64\n        image-id: ami-12345'),
    {
      message: /"ami-12345" is not an AMI id/,
      setting: 'images[0].base_ami.filters.image-id',
      line: lineOf(CONFIG, '        architecture:') + 1,
    },
  ),
  config(
    'an image-id filter listing a non-hex AMI id',
    swap(
      CONFIG,
      '        architecture: x86_64',
      '        architecture: x86_64\n        image-id: [ami-0123456789abcdef0, ami-0123456789abcdefg]',
    ),
    {
      message: /"ami-0123456789abcdefg" is not an AMI id/,
      setting: 'images[0].base_ami.filters.image-id[1]',
      line: lineOf(CONFIG, '        architecture:') + 1,
    },
  ),
  ...[
    ['windows update/', 'a space'],
    ['windows-update../', 'two dots'],
    ['-update/', 'a leading dash'],
    ['updates~1/', 'a tilde'],
    ['updates:', 'a colon'],
  ].map(([prefix, what]) =>
    config(
      `a branch prefix with ${what}`,
      swap(CONFIG, 'branch_prefix: windows-update/', `branch_prefix: "${prefix}"`),
      {
        message: /does not make branch names git accepts/,
        setting: 'git.branch_prefix',
        line: lineOf(CONFIG, 'branch_prefix:'),
      },
    ),
  ),
  ...[
    ['main.lock', 'ending in .lock'],
    ['release/', 'ending in a slash'],
    ['ma[in', 'a bracket'],
  ].map(([branch, what]) =>
    config(
      `a default branch ${what}`,
      swap(
        CONFIG,
        'branch_prefix: windows-update/',
        `branch_prefix: windows-update/\n  default_branch: "${branch}"`,
      ),
      {
        message: /is not a branch name git accepts/,
        setting: 'git.default_branch',
        line: lineOf(CONFIG, 'branch_prefix:') + 1,
      },
    ),
  ),
  config(
    'a consumer branch git refuses',
    swap(CONFIG, 'project_slug: gh/acme/vm-manager', 'project_slug: gh/acme/vm-manager\n    branch: "@{-1}"'),
    {
      message: /"@\{-1\}" is not a branch name git accepts/,
      setting: 'consumers[0].branch',
      line: lineOf(CONFIG, 'project_slug:') + 1,
    },
  ),
  config('binary content (a NUL byte)', swap(CONFIG, 'keep: 3', 'keep: 3\u0000'), {
    message: /binary content/,
    line: lineOf(CONFIG, 'keep: 3'),
  }),
  config(
    'invalid UTF-8',
    Buffer.concat([
      Buffer.from(CONFIG.slice(0, CONFIG.indexOf('channels: [canary'))),
      Buffer.from([0x23, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x0a]), // "# caf\xe9\n": Latin-1, not UTF-8
      Buffer.from(CONFIG.slice(CONFIG.indexOf('channels: [canary'))),
    ]),
    { message: /not valid UTF-8/, line: lineOf(CONFIG, 'channels: [canary') },
  ),
  config('a 50 MB file', `${CONFIG}#${'x'.repeat(FIFTY_MB)}\n`, {
    message: /bytes; a configuration is at most/,
  }),
  config(
    'an alias bomb ("billion laughs")',
    `version: 1\n${['a: &a [x, x, x, x, x, x, x, x, x]']
      .concat(
        ['b', 'c', 'd', 'e', 'f', 'g'].map(
          (name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdef'[i]}`).join(', ')}]`,
        ),
      )
      .join('\n')}\n`,
    { message: /alias/i },
  ),
  {
    name: 'hephestus.yml: file not found',
    files: {},
    run: { cli: ['config', 'check', 'hephestus.yml'] },
    expect: { kind: 'refused', file: 'hephestus.yml', message: /configuration file not found/ },
  },
  {
    name: 'hephestus.yml: a directory',
    files: { 'hephestus.yml': { dir: true } },
    run: { cli: ['config', 'check', 'hephestus.yml'] },
    expect: { kind: 'refused', file: 'hephestus.yml', message: /cannot read configuration \(EISDIR\)/ },
  },
];

const ednImage = '[:vm-manager :images "aws" "windows-server-2022"]';
const unclosedEdn = EDN.replace(/\}\s*$/, '\n');
const embeddedBroken = swap(CONFIGMAP, ':spot-instances}}', ':spot-instances}');

const editCases: HostileCase[] = [
  edit('unclosed map', ednFile, unclosedEdn, ednPath(ednImage), {
    message: /`\{` opened at line \d+, column 1 is never closed/,
    ...positionOf(EDN, '{:service'),
  }),
  edit(
    'unterminated string',
    ednFile,
    swap(EDN, ':name "vm-manager"', ':name "vm-manager'),
    ednPath(ednImage),
    {
      message: /string|never closed/,
      line: true,
    },
  ),
  edit(
    'duplicate map key',
    ednFile,
    swap(EDN, ':default-provider "aws"', ':default-provider "aws" :default-provider "gcp"'),
    ednPath(ednImage),
    { message: /duplicate map key :default-provider/, line: lineOf(EDN, ':default-provider') },
  ),
  edit(
    'duplicate set member',
    ednFile,
    swap(EDN, '#{:windows-fleet :spot-instances}', '#{:windows-fleet :windows-fleet}'),
    ednPath(ednImage),
    { message: /duplicate set member :windows-fleet/, line: lineOf(EDN, ':feature-flags') },
  ),
  edit(
    'a key that is not there',
    ednFile,
    EDN,
    ednPath('[:vm-manager :images "aws" "windows-server-2025"]'),
    {
      message: /key "windows-server-2025" is not in this map/,
      line: lineOf(EDN, ':images {"aws"'),
    },
  ),
  edit(
    'a key only in a #_ discarded form',
    ednFile,
    EDN,
    ednPath('[:vm-manager :images "aws" "windows-server-2016"]'),
    {
      message: /key "windows-server-2016" is not in this map/,
      line: true,
    },
  ),
  edit('a keyword through a vector', ednFile, EDN, ednPath('[:vm-manager :instance-types :default :first]'), {
    message: /:first is not in this vector: only integers index it/,
    line: lineOf(EDN, '["m5.large"]'),
  }),
  edit(
    'an index past the end of a vector',
    ednFile,
    EDN,
    ednPath('[:vm-manager :instance-types :default 5]'),
    {
      message: /5 is not in this vector: it has 1 elements/,
      line: lineOf(EDN, '["m5.large"]'),
    },
  ),
  edit('a path through a string', ednFile, EDN, ednPath('[:vm-manager :default-provider :x]'), {
    message: /the value here is a string, not a map or vector/,
    line: lineOf(EDN, ':default-provider'),
  }),
  edit('a path that is not EDN', ednFile, EDN, ednPath('[:vm-manager'), {
    message: /is not valid EDN/,
    setting: '[:vm-manager',
  }),
  edit('a path that is not a vector', ednFile, EDN, ednPath(':vm-manager'), {
    message: /path must be one EDN vector of keys/,
    setting: ':vm-manager',
  }),
  edit(
    'a trailing comma',
    jsonFile,
    swap(TEMPLATE_JSON, '"{{env `CIRCLE_BUILD_NUM`}}"', '"{{env `CIRCLE_BUILD_NUM`}}",'),
    ['--path', '/variables/source_ami', '--value', AMI],
    { message: /invalid JSON/, line: lineOf(TEMPLATE_JSON, 'CIRCLE_BUILD_NUM') + 1 },
  ),
  edit(
    'a missing comma',
    jsonFile,
    swap(TEMPLATE_JSON, '"ami-0a1b2c3d4e5f67890",', '"ami-0a1b2c3d4e5f67890"'),
    ['--path', '/variables/source_ami', '--value', AMI],
    { message: /invalid JSON: comma expected/, line: lineOf(TEMPLATE_JSON, '"instance_type": "m5.large"') },
  ),
  edit(
    'a duplicate key',
    jsonFile,
    swap(
      TEMPLATE_JSON,
      '"aws_region": "us-east-1",',
      '"aws_region": "us-east-1",\n    "aws_region": "eu-west-1",',
    ),
    ['--path', '/variables/source_ami', '--value', AMI],
    { message: /invalid JSON: duplicate key "aws_region"/, line: lineOf(TEMPLATE_JSON, '"aws_region"') + 1 },
  ),
  edit(
    'a comment',
    jsonFile,
    swap(TEMPLATE_JSON, '  "variables": {', '  // bumped by hephestus\n  "variables": {'),
    ['--path', '/variables/source_ami', '--value', AMI],
    { message: /invalid JSON: invalid comment token/, line: lineOf(TEMPLATE_JSON, '"variables"') },
  ),
  edit(
    'a name where an array index goes',
    jsonFile,
    TEMPLATE_JSON,
    ['--path', '/builders/name', '--value', AMI],
    {
      message: /\/builders is an array and "name" is not an index/,
      line: lineOf(TEMPLATE_JSON, '"builders"'),
    },
  ),
  edit(
    'an index past the end',
    jsonFile,
    TEMPLATE_JSON,
    ['--path', '/builders/7/source_ami', '--value', AMI],
    {
      message: /there is no item 7 \(it has 1\)/,
      line: lineOf(TEMPLATE_JSON, '"builders"'),
    },
  ),
  edit(
    'a path through a string',
    jsonFile,
    TEMPLATE_JSON,
    ['--path', '/variables/aws_region/x', '--value', AMI],
    {
      message: /\/variables\/aws_region is a string, not an object or array/,
      line: lineOf(TEMPLATE_JSON, '"aws_region"'),
    },
  ),
  edit(
    'a key that is not there',
    jsonFile,
    TEMPLATE_JSON,
    ['--path', '/variables/source_amy', '--value', AMI],
    {
      message: /no key "source_amy" in the object at \/variables/,
      line: lineOf(TEMPLATE_JSON, '"variables"'),
    },
  ),
  edit(
    'a pointer without a leading slash',
    jsonFile,
    TEMPLATE_JSON,
    ['--path', 'variables/source_ami', '--value', AMI],
    {
      message: /JSON Pointer "variables\/source_ami" must be empty or start with "\/"/,
    },
  ),
  edit('a pointer with a bad escape', jsonFile, TEMPLATE_JSON, ['--path', '/variables/~2', '--value', AMI], {
    message: /has a "~" not followed by 0 or 1/,
  }),
  edit(
    'an indentation error',
    yamlFile,
    swap(CONFIGMAP, '  name: vm-manager-config', ' name: vm-manager-config'),
    ['--path', '/kind', '--value', 'Secret'],
    { message: /invalid YAML/, line: true },
  ),
  edit(
    'a duplicate key',
    yamlFile,
    swap(CONFIGMAP, 'kind: ConfigMap', 'kind: ConfigMap\nkind: Secret'),
    ['--path', '/kind', '--value', 'Secret'],
    {
      message: /invalid YAML: Map keys must be unique/,
      line: lineOf(CONFIGMAP, 'kind: ConfigMap') + 1,
    },
  ),
  edit('a key that is not there', yamlFile, CONFIGMAP, ['--path', '/data/config.yaml', '--value', AMI], {
    message: /no key "config.yaml" in the mapping at \/data/,
    line: true,
  }),
  edit('a path through a string', yamlFile, CONFIGMAP, ['--path', '/metadata/name/x', '--value', AMI], {
    message: /\/metadata\/name/,
    line: true,
  }),
  edit(
    'a name where a list index goes',
    'deploy/deployment.yaml',
    DEPLOYMENT,
    ['--path', '/spec/template/spec/containers/image', '--value', 'ghcr.io/example/image-builder:2.0.2'],
    { message: /\/spec\/template\/spec\/containers is a sequence and "image" is not an index/, line: true },
  ),
  edit(
    'an embedded EDN key that is not there',
    yamlFile,
    CONFIGMAP,
    [
      '--path',
      '/data/config.edn',
      '--embedded',
      'edn',
      '--inner-path',
      '[:vm-manager :images "aws" "nope"]',
      '--value',
      AMI,
    ],
    { message: /key "nope" is not in this map/ },
  ),
  edit(
    'an embedded EDN path through a string',
    yamlFile,
    CONFIGMAP,
    [
      '--path',
      '/data/config.edn',
      '--embedded',
      'edn',
      '--inner-path',
      '[:service :name :x]',
      '--value',
      AMI,
    ],
    { message: /the value here is a string, not a map or vector/ },
  ),
  edit(
    'embedded EDN with a syntax error',
    yamlFile,
    embeddedBroken,
    ['--path', '/data/config.edn', '--embedded', 'edn', '--inner-path', ednImage, '--value', AMI],
    { message: /is never closed/ },
  ),
  edit(
    'an embedded edit of a value that is not a string',
    yamlFile,
    CONFIGMAP,
    ['--path', '/metadata', '--embedded', 'edn', '--inner-path', '[:x]', '--value', AMI],
    { message: /\/metadata is not a string/, line: lineOf(CONFIGMAP, 'metadata:') + 1 },
  ),
  edit(
    '--embedded without --inner-path',
    yamlFile,
    CONFIGMAP,
    ['--path', '/data/config.edn', '--embedded', 'edn', '--value', AMI],
    {
      message: /--embedded needs --inner-path/,
      file: null,
      setting: '--inner-path',
    },
  ),
  edit('an attribute that is not there', hclFile, PKRVARS, ['--path', 'win2025_source_ami', '--value', AMI], {
    message:
      /no attribute or block win2025_source_ami at the top level; there is win2022_source_ami, win2019_source_ami/,
  }),
  edit('a path through a string', hclFile, PKRVARS, ['--path', 'win2022_source_ami.x', '--value', AMI], {
    message: /goes through win2022_source_ami .* whose value is not an object with plain keys/,
    line: lineOf(PKRVARS, 'win2022_source_ami'),
  }),
  edit(
    'a path through a list',
    hclFile,
    `${PKRVARS}ami_regions = ["us-east-1", "us-west-2"]\n`,
    ['--path', 'ami_regions.0', '--value', 'eu-west-1'],
    {
      message: /goes through ami_regions .* whose value is not an object with plain keys/,
      line: PKRVARS.split('\n').length,
    },
  ),
  edit(
    'an attribute defined twice',
    hclFile,
    `${PKRVARS}win2022_source_ami = "${AMI}"\n`,
    ['--path', 'win2019_source_ami', '--value', AMI],
    {
      message: /attribute win2022_source_ami is defined twice/,
      line: PKRVARS.split('\n').length,
    },
  ),
  edit(
    'an unterminated string',
    hclFile,
    swap(PKRVARS, '"ami-08944a3ea2df6a9f9"', '"ami-08944a3ea2df6a9f9'),
    ['--path', 'win2019_source_ami', '--value', AMI],
    {
      message: /unterminated string/,
      line: lineOf(PKRVARS, 'win2022_source_ami'),
    },
  ),
  edit(
    'an unclosed block',
    hclFile,
    `${PKRVARS}tags = {\n  owner = "platform"\n`,
    ['--path', 'win2022_source_ami', '--value', AMI],
    {
      message: /unclosed \{: missing \}/,
      line: PKRVARS.split('\n').length,
    },
  ),
  edit(
    'binary content (a NUL byte)',
    ednFile,
    swap(EDN, '"vm-manager"', '"vm-\u0000manager"'),
    ednPath(ednImage),
    {
      message: /binary content \(a NUL byte\)/,
    },
  ),
  edit(
    'invalid UTF-8',
    yamlFile,
    Buffer.concat([
      Buffer.from(CONFIGMAP.slice(0, CONFIGMAP.indexOf('log-level: info'))),
      Buffer.from([0x6c, 0x6f, 0x67, 0x3a, 0x20, 0xc3, 0x28]), // "log: \xc3(": a lead byte without its continuation
      Buffer.from(CONFIGMAP.slice(CONFIGMAP.indexOf('log-level: info') + 'log-level: info'.length)),
    ]),
    ['--path', '/kind', '--value', 'Secret'],
    { message: /file is not valid UTF-8/, line: lineOf(CONFIGMAP, 'log-level: info') },
  ),
  edit(
    'a lone surrogate half encoded in UTF-8',
    hclFile,
    Buffer.concat([
      Buffer.from(PKRVARS),
      Buffer.from('# '),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('\n'),
    ]),
    ['--path', 'win2022_source_ami', '--value', AMI],
    { message: /file is not valid UTF-8/, line: PKRVARS.split('\n').length },
  ),
  edit(
    'a 50 MB file',
    jsonFile,
    swap(TEMPLATE_JSON, '"variables": {', `"padding": "${'x'.repeat(FIFTY_MB)}",\n  "variables": {`),
    ['--path', '/variables/source_ami', '--value', AMI],
    { message: /bytes; hephestus edits files up to 10485760 bytes/ },
  ),
  edit('a file name that tells no format', 'resources/config.txt', EDN, ednPath(ednImage), {
    message: /cannot tell the format from the file name; pass --format/,
    setting: '--format',
  }),
  edit('the wrong --format', ednFile, EDN, ['--format', 'json', '--path', '/service/name', '--value', AMI], {
    message: /invalid JSON/,
    line: true,
  }),
  {
    name: 'edit: a directory',
    files: { [jsonFile]: { dir: true } },
    run: { cli: ['edit', jsonFile, '--path', '/a', '--value', AMI] },
    expect: { kind: 'refused', file: jsonFile, message: /not a regular file/ },
  },
  {
    name: 'edit: file not found',
    files: {},
    run: { cli: ['edit', jsonFile, '--path', '/a', '--value', AMI] },
    expect: { kind: 'refused', file: jsonFile, message: /file not found/ },
  },
  {
    // The CLI has no --root; the flows pass the clone as root, so the guard is tested where it lives.
    name: 'editFile with root: a symlink pointing out of the repository',
    files: { 'outside/config.edn': EDN, 'repo/resources/config.edn': { link: '../../outside/config.edn' } },
    run: {
      editFile: (dir) => ({
        file: path.join(dir, 'repo', ednFile),
        root: path.join(dir, 'repo'),
        path: ednImage,
        value: AMI,
      }),
    },
    expect: {
      kind: 'refused',
      file: 'repo/resources/config.edn',
      message: /resolves outside the repository/,
    },
  },
  {
    name: 'editFile with root: a linked directory pointing out of the repository',
    files: { 'outside/config.edn': EDN, 'repo/resources': { link: '../outside' } },
    run: {
      editFile: (dir) => ({
        file: path.join(dir, 'repo', ednFile),
        root: path.join(dir, 'repo'),
        path: ednImage,
        value: AMI,
      }),
    },
    expect: {
      kind: 'refused',
      file: 'repo/resources/config.edn',
      message: /resolves outside the repository/,
    },
  },
];

function accepted(name: string, file: string, before: string, args: string[], after: string): HostileCase {
  return {
    name,
    files: { [file]: before },
    run: { cli: ['edit', file, ...args] },
    expect: { kind: 'accepted', file, bytes: after },
  };
}

const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

const acceptedCases: HostileCase[] = [
  accepted(
    'edit .edn: a BOM is kept',
    ednFile,
    BOM + EDN,
    ednPath(ednImage),
    BOM + swap(EDN, '"ami-0a1b2c3d4e5f60718"', `"${AMI}"`),
  ),
  accepted(
    'edit .json: CRLF line endings are kept',
    jsonFile,
    CRLF_JSON,
    ['--path', '/variables/source_ami', '--value', AMI],
    CRLF_JSON.replace(/"source_ami": "ami-[0-9a-f]+"/, `"source_ami": "${AMI}"`),
  ),
  accepted(
    'edit .yaml: a BOM and CRLF are kept',
    yamlFile,
    BOM + crlf(CONFIGMAP),
    ['--path', '/data/config.edn', '--embedded', 'edn', '--inner-path', ednImage, '--value', AMI],
    BOM + crlf(swap(CONFIGMAP, '"ami-0a1b2c3d4e5f60718"', `"${AMI}"`)),
  ),
  accepted(
    'edit .hcl: a BOM and CRLF are kept',
    hclFile,
    BOM + crlf(PKRVARS),
    ['--path', 'win2022_source_ami', '--value', AMI],
    BOM + crlf(swap(PKRVARS, '"ami-08944a3ea2df6a9f9"', `"${AMI}"`)),
  ),
  {
    name: 'editFile with root: a symlink inside the repository edits its target and stays a link',
    files: { 'repo/shared/config.edn': EDN, 'repo/resources/config.edn': { link: '../shared/config.edn' } },
    run: {
      editFile: (dir) => ({
        file: path.join(dir, 'repo', ednFile),
        root: path.join(dir, 'repo'),
        path: ednImage,
        value: AMI,
      }),
    },
    expect: {
      kind: 'accepted',
      file: 'repo/shared/config.edn',
      bytes: swap(EDN, '"ami-0a1b2c3d4e5f60718"', `"${AMI}"`),
    },
  },
  {
    name: 'hephestus.yml: a BOM and CRLF are accepted',
    // With the files it names: config check opens the repository too.
    files: {
      'hephestus.yml': BOM + crlf(CONFIG),
      'packer/windows.pkr.hcl': read('src/sandbox/seeds/images-repo/packer/windows.pkr.hcl'),
      'packer/windows.auto.pkrvars.hcl': PKRVARS,
      'tests/smoke.ps1': read('src/sandbox/seeds/images-repo/tests/smoke.ps1'),
    },
    run: { cli: ['config', 'check', 'hephestus.yml'] },
    expect: { kind: 'accepted', file: 'hephestus.yml', bytes: BOM + crlf(CONFIG) },
  },
];

/** Every case, refused and accepted. */
export const HOSTILE_INPUTS: readonly HostileCase[] = [...configCases, ...editCases, ...acceptedCases];
