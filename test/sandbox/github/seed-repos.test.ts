import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parser } from '@nextjournal/lezer-clojure';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { git } from '../../../src/sandbox/github/bare-repo.js';
import { seedBareRepo, seedDirs } from '../../../src/sandbox/seed-repos.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function seeded(): Promise<{ dir: string; sha: string }> {
  const root = await mkdtemp(join(tmpdir(), 'sandbox-seed-test-'));
  dirs.push(root);
  const dir = join(root, 'vm-manager.git');
  return { dir, sha: await seedBareRepo(dir, seedDirs.serviceRepo) };
}

/** Syntax errors lezer found in `text` (its parser recovers, marking them as error nodes). */
function ednErrors(text: string): number[] {
  const errors: number[] = [];
  parser.parse(text).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

const windowsAmi = /"windows-server-2022" "(ami-[0-9a-f]+)"/;

describe('seeding bare repositories', () => {
  it('creates one initial commit on main holding the fixture, with the same sha every time', async () => {
    const a = await seeded();
    const b = await seeded();
    expect(a.sha).toBe(b.sha);
    expect(await git(a.dir, ['rev-parse', 'refs/heads/main'])).toBe(a.sha);
    expect(await git(a.dir, ['rev-list', '--count', 'main'])).toBe('1');
    expect(await git(a.dir, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
    const files = (await git(a.dir, ['ls-tree', '-r', '--name-only', 'main'])).split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        '.circleci/config.yml',
        'README.md',
        'chart/Chart.yaml',
        'chart/templates/configmap.yaml',
        'chart/values.yaml',
        'resources/config.edn',
      ]),
    );
  });

  it('ships a service repo whose config.edn and ConfigMap parse and name the same Windows image', async () => {
    const edn = await readFile(join(seedDirs.serviceRepo, 'resources/config.edn'), 'utf8');
    expect(ednErrors(edn)).toEqual([]);
    expect(edn).toMatch(/#profile/);
    expect(edn).toMatch(/#env/);
    expect(edn).toMatch(/#_/);

    const configMap = parse(
      await readFile(join(seedDirs.serviceRepo, 'chart/templates/configmap.yaml'), 'utf8'),
    );
    const embedded = configMap.data['config.edn'] as string;
    expect(ednErrors(embedded)).toEqual([]);
    expect(embedded.match(windowsAmi)?.[1]).toBe(edn.match(windowsAmi)?.[1]);

    for (const file of [
      'chart/Chart.yaml',
      'chart/values.yaml',
      'chart/templates/configmap.yaml',
      '.circleci/config.yml',
    ]) {
      const text = await readFile(join(seedDirs.serviceRepo, file), 'utf8');
      expect(text).not.toContain('{{');
      expect(parseAllDocuments(text).flatMap((d) => ('errors' in d ? d.errors : []))).toEqual([]);
    }
  });
});
