/** docs/iam/*.json and the IAM section of docs/setup.md are what `npm run iam` writes from src/aws/iam-policies.ts. */
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { iamPolicyFiles, replaceSetupIamSection, setupIamSection } from '../../src/aws/iam-docs.js';
import { hephestusRoles, rolePolicy } from '../../src/aws/iam-policies.js';

const docs = new URL('../../docs/', import.meta.url);
const stale = 'stale: run `npm run iam` and commit the result';

describe('the IAM documents', () => {
  it('docs/iam/ holds exactly the generated policy files', async () => {
    const expected = iamPolicyFiles();
    const names = (await readdir(new URL('iam/', docs))).sort();
    expect(names, stale).toEqual(Object.keys(expected).sort());
    for (const [name, content] of Object.entries(expected)) {
      expect(await readFile(new URL(`iam/${name}`, docs), 'utf8'), `${name} ${stale}`).toBe(content);
    }
  });

  it("docs/setup.md's IAM section is the generated one", async () => {
    const setup = await readFile(new URL('setup.md', docs), 'utf8');
    expect(setup, stale).toContain(setupIamSection());
    expect(replaceSetupIamSection(setup), stale).toBe(setup);
  });

  it('refuses a setup.md without the markers instead of appending', () => {
    expect(() => replaceSetupIamSection('# Setup\n')).toThrow(/markers/);
  });

  it("grants the release role every EC2, SSM and Inspector action Hephestus's AWS modules call", async () => {
    // The replay covers what the flows call; this also covers commands the replay does not run.
    const dir = new URL('../../src/aws/', import.meta.url);
    const release = hephestusRoles().find((role) => role.key === 'release');
    const granted = new Set(release && rolePolicy(release)?.Statement.flatMap((s) => s.Action));
    const used = new Set<string>();
    // copy-share.ts serves no flow or command: Packer copies and shares (ami_regions, ami_users).
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts') && f !== 'copy-share.ts');
    for (const file of files) {
      const text = await readFile(new URL(file, dir), 'utf8');
      for (const [, names, client] of text.matchAll(
        /import \{([^}]*)\} from '@aws-sdk\/client-(ec2|ssm|inspector2)'/g,
      )) {
        for (const raw of (names as string).split(',')) {
          const name = raw.replace(/^\s*type\s+/, '').trim();
          const action = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
          if (action) used.add(`${client}:${action}`);
        }
      }
    }
    expect(used.size).toBeGreaterThan(10);
    for (const action of used) expect(granted, action).toContain(action);
  });

  it('gives every statement a unique Sid and a service-qualified action', () => {
    for (const role of hephestusRoles()) {
      const statements = rolePolicy(role)?.Statement ?? [];
      const sids = statements.map((s) => s.Sid);
      expect(new Set(sids).size, role.name).toBe(sids.length);
      for (const statement of statements) {
        for (const action of statement.Action)
          expect(action).toMatch(/^(ec2|ssm|kms|iam|inspector2):[A-Za-z*]+$/);
        expect(statement.Resource.length).toBeGreaterThan(0);
      }
    }
  });
});
