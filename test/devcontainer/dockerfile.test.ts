/**
 * No Docker engine runs here, so the image is never built in this repository's CI. What can be checked is checked:
 * the Dockerfile installs the versions the project is tested with, the lint rules hadolint would apply to it
 * (Debian has no hadolint package), the dev container definition, and the orb executor that names the image.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  aptInstalls,
  type Dockerfile,
  parseDockerfile,
  parseInstructions,
  type Stage,
} from './dockerfile.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');

const dockerfile: Dockerfile = parseDockerfile(await read('Dockerfile'));
const stage = (name: string): Stage => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const runs = (s: Stage) => s.instructions.filter((i) => i.keyword === 'RUN');
const baseApt = runs(stage('base')).flatMap((i) => aptInstalls(i.args));

/** The tools scripts/install-system-deps.sh installs, read from its `for tool in ...` loop. */
async function systemDeps(): Promise<string[]> {
  const script = await read('scripts/install-system-deps.sh');
  const loop = /^for tool in ([\w\s-]+); do$/m.exec(script);
  if (!loop) throw new Error('install-system-deps.sh: no `for tool in ...` loop');
  return (loop[1] as string).trim().split(/\s+/);
}

describe('parseInstructions', () => {
  it('joins continuation lines, keeps line numbers and hadolint pragmas, and drops comments', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'FROM debian:bookworm AS base',
      '# hadolint ignore=DL3008,DL3015',
      'RUN apt-get update \\',
      '  # a comment inside the instruction',
      ' && apt-get install -y git \\',
      '      curl',
      '',
      'USER node',
    ].join('\n');
    expect(parseInstructions(text)).toEqual([
      { keyword: 'FROM', args: 'debian:bookworm AS base', line: 2, ignored: [] },
      {
        keyword: 'RUN',
        args: 'apt-get update && apt-get install -y git curl',
        line: 4,
        ignored: ['DL3008', 'DL3015'],
      },
      { keyword: 'USER', args: 'node', line: 9, ignored: [] },
    ]);
  });

  it('refuses an instruction continued past the end of the file', () => {
    expect(() => parseInstructions('FROM x\nRUN true \\')).toThrow(/line 2/);
  });

  it('gives one instruction per logical line whatever the continuation layout', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    fc.assert(
      fc.property(
        fc.array(fc.array(word, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        (packs) => {
          const text = packs.map((words) => `RUN ${words.join(' \\\n    ')}`).join('\n\n');
          const parsed = parseInstructions(text);
          expect(parsed.map((i) => i.args)).toEqual(packs.map((words) => words.join(' ')));
        },
      ),
    );
  });
});

describe('aptInstalls', () => {
  it('reads packages and pins of apt-get install, skipping options and other commands', () => {
    expect(
      aptInstalls(
        'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends packer=1.6.6+ds2-1+b1 git && rm -rf /x',
      ),
    ).toEqual([{ name: 'packer', version: '1.6.6+ds2-1+b1' }, { name: 'git' }]);
    expect(aptInstalls('npm ci')).toEqual([]);
  });
});

describe('the Dockerfile', () => {
  it('builds on a Node.js major that package.json allows, on Debian bookworm', async () => {
    const pkg = JSON.parse(await read('package.json')) as { engines: { node: string } };
    const required = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node);
    expect(required).not.toBeNull();
    const base = stage('base');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile ARG reference, written as in the Dockerfile
    expect(base.from).toBe('${NODE_IMAGE}');
    const image = /^node:(\d+)(?:\.(\d+))?[^:]*-bookworm(?:-slim)?$/.exec(base.image);
    expect(image, `base image ${base.image}`).not.toBeNull();
    // A later major (the current LTS) satisfies ">=major.minor" whole; the same major needs the minor too.
    expect(Number(image?.[1])).toBeGreaterThanOrEqual(Number(required?.[1]));
    if (image?.[1] === required?.[1] && image?.[2] !== undefined)
      expect(Number(image[2])).toBeGreaterThanOrEqual(Number(required?.[2]));
  });

  it('pins the packer that is installed here, where the tests run it', async () => {
    const packer = baseApt.find((p) => p.name === 'packer');
    expect(packer?.version).toBeDefined();
    const { stdout } = await run('packer', ['version']);
    const installed = /Packer v(\d+\.\d+\.\d+)/.exec(stdout)?.[1];
    expect(installed).toBeDefined();
    expect(packer?.version?.split('+')[0]).toBe(installed);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax
    const dpkg = await run('dpkg-query', ['-W', '-f=${Version}', 'packer']).catch(() => undefined);
    if (dpkg) expect(packer?.version).toBe(dpkg.stdout.trim());
  });

  it('installs the Debian packages of scripts/install-system-deps.sh, plus only what CircleCI checkout needs', async () => {
    const names = baseApt.map((p) => p.name);
    const deps = await systemDeps();
    expect(deps).toEqual(['packer', 'git', 'shellcheck', 'hyperfine', 'unzip', 'gpg']);
    expect(names).toEqual(expect.arrayContaining(deps));
    expect(names.filter((n) => !deps.includes(n)).sort()).toEqual(['ca-certificates', 'openssh-client']);
  });

  it('has the stages the dev container and the orb executor build, dev being the default target', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['base', 'cli', 'runner', 'dev']);
    for (const name of ['cli', 'runner', 'dev']) expect(stage(name).from).toBe('base');
    expect(dockerfile.stages.at(-1)?.name).toBe('dev');
  });

  it('installs the CLI in the runner stage from the tarball npm pack makes in the cli stage', () => {
    const cli = runs(stage('cli')).map((i) => i.args);
    expect(cli).toContain('npm ci --no-audit --no-fund');
    expect(cli.some((args) => /npm run build && npm pack --pack-destination \/out$/.test(args))).toBe(true);
    const runner = stage('runner').instructions;
    expect(runner.find((i) => i.keyword === 'COPY')?.args).toBe('--from=cli /out/ /tmp/hephestus/');
    const install = runs(stage('runner'))[0]?.args ?? '';
    expect(install).toMatch(/^npm install --global .* \/tmp\/hephestus\/hephestus-\*\.tgz /);
    expect(install).toContain('hephestus --version');
  });

  it('follows the hadolint rules that apply to it (no hadolint package in Debian to run)', () => {
    const ignored = new Set(dockerfile.instructions.flatMap((i) => i.ignored));
    // DL3008 (pin apt versions) is switched off on purpose: only packer is pinned, the rest take security updates.
    expect([...ignored]).toEqual(['DL3008']);
    for (const instruction of dockerfile.instructions.filter((i) => i.keyword === 'RUN')) {
      const args = instruction.args;
      if (!args.includes('apt-get')) continue;
      // DL3009 lists removed, DL3014 -y, DL3015 no recommends, DL3027 apt-get rather than apt.
      expect(args, `line ${instruction.line}`).toContain('rm -rf /var/lib/apt/lists/*');
      expect(args).toMatch(/apt-get install -y --no-install-recommends/);
      expect(args.startsWith('apt-get update &&')).toBe(true);
    }
    // DL3007 no `latest`, DL3006 tagged images.
    for (const s of dockerfile.stages.filter((s) => s.from !== 'base')) {
      expect(s.image).toMatch(/:[\w.-]+$/);
      expect(s.image).not.toMatch(/:latest$/);
    }
    // DL3002: the images do not end as root.
    for (const name of ['runner', 'dev']) {
      const users = stage(name).instructions.filter((i) => i.keyword === 'USER');
      expect(users.at(-1)?.args).toBe('node');
    }
    // DL3000: absolute WORKDIRs.
    for (const workdir of dockerfile.instructions.filter((i) => i.keyword === 'WORKDIR')) {
      expect(workdir.args.startsWith('/')).toBe(true);
    }
  });

  it('keeps local installs and builds out of the build context', async () => {
    const ignore = (await read('.dockerignore')).split('\n').filter((l) => l && !l.startsWith('#'));
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '*.tgz']));
  });

  it('says in docs/development.md that the image was not built here', async () => {
    const doc = await read('docs/development.md');
    expect(doc).toMatch(/not (been )?built/i);
    expect(doc).toContain('docker build');
  });
});

describe('.devcontainer/devcontainer.json', () => {
  it('is plain JSON that builds the dev stage of the Dockerfile as the node user', async () => {
    const config = JSON.parse(await read('.devcontainer/devcontainer.json')) as {
      name: string;
      build: { dockerfile: string; context: string; target: string };
      remoteUser: string;
      workspaceFolder: string;
      workspaceMount: string;
      postCreateCommand: string;
      customizations: { vscode: { extensions: string[]; settings: Record<string, unknown> } };
    };
    expect(config.name).toBe('Hephestus');
    expect(existsSync(new URL(`.devcontainer/${config.build.dockerfile}`, root))).toBe(true);
    expect(new URL(`.devcontainer/${config.build.context}/`, root).href).toBe(root.href);
    expect(config.build.target).toBe('dev');
    expect(stage(config.build.target).instructions.find((i) => i.keyword === 'USER')?.args).toBe(
      config.remoteUser,
    );
    const workdir = stage('dev').instructions.find((i) => i.keyword === 'WORKDIR')?.args;
    expect(config.workspaceFolder).toBe(workdir);
    expect(config.workspaceMount).toContain(`target=${workdir},`);
    expect(config.postCreateCommand).toMatch(/^npm ci\b/);
    for (const extension of config.customizations.vscode.extensions) {
      expect(extension).toMatch(/^[a-z0-9-]+\.[a-z0-9-]+$/i);
    }
    const schemas = config.customizations.vscode.settings['yaml.schemas'] as Record<string, string[]>;
    for (const schema of Object.keys(schemas)) expect(existsSync(new URL(schema, root))).toBe(true);
  });
});

describe("the orb's default executor", () => {
  it("is CircleCI's public Node.js image at the Node.js major of the Dockerfile, pinned to a minor line", async () => {
    const executor = parseYaml(await read('orb/src/executors/default.yml')) as {
      parameters: { image: { default: string }; tag: { default: string } };
      docker: Array<{ image: string }>;
    };
    const major = /^node:(\d+)/.exec(stage('base').image)?.[1];
    expect(executor.parameters.image.default).toBe('cimg/node');
    // cimg tags are <major>.<minor>: a floating "lts" or "current" would change under the jobs.
    expect(executor.parameters.tag.default).toMatch(new RegExp(`^${major}\\.\\d+$`));
    expect(executor.docker[0]?.image).toBe('<< parameters.image >>:<< parameters.tag >>');
  });
});
