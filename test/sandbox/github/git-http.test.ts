import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commitFileOnBranch } from '../../../src/sandbox/github/bare-repo.js';
import {
  cloneRepo,
  commitFiles,
  type GitHubHarness,
  gitOk,
  REPO,
  runGit,
  startGitHub,
  TOKEN,
} from './setup.js';

let h: GitHubHarness;

beforeAll(async () => {
  h = await startGitHub();
});
afterAll(() => h.close());
afterEach(() => {
  h.service.faults.clear();
  expect(h.problems.splice(0)).toEqual([]);
});

const url = () => `${h.server.url}/${REPO}.git`;

describe('git smart HTTP', () => {
  it('clones the seeded repository with the token in a header, never in the URL', async () => {
    const dir = await cloneRepo(h, 'clone-ok');
    expect(await readFile(join(dir, 'resources/config.edn'), 'utf8')).toContain('"windows-server-2022"');
    expect(await gitOk(['rev-parse', 'HEAD'], { cwd: dir })).toBe(h.service.repo(REPO).branches.main);
    expect(await gitOk(['remote', 'get-url', 'origin'], { cwd: dir })).not.toContain(TOKEN);
    const git = h.requestHeaders.filter((headers) => String(headers['user-agent']).startsWith('git/'));
    expect(git.length).toBeGreaterThan(0);
    expect(git.every((headers) => String(headers.authorization).startsWith('Basic '))).toBe(true);
  });

  it('answers 401 with a Basic challenge without credentials or with a wrong token', async () => {
    const info = await fetch(`${url()}/info/refs?service=git-upload-pack`);
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');
    for (const token of [null, 'wrong-token']) {
      const clone = await runGit(['clone', '--quiet', url(), join(h.tmp, `denied-${token}`)], { token });
      expect(clone.code).not.toBe(0);
      expect(clone.stderr).toMatch(/Authentication failed|could not read Username/);
    }
    const missing = await runGit(['ls-remote', `${h.server.url}/acme/missing.git`]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('not found');
  });

  it('accepts pushes over HTTP and updates the branches it knows', async () => {
    const dir = await cloneRepo(h);
    await gitOk(['checkout', '--quiet', '-b', 'windows-update/stable'], { cwd: dir });
    const sha = await commitFiles(dir, { 'resources/config.edn': '{:images {}}\n' }, 'Bump images');
    const pushed = await runGit(['push', 'origin', 'HEAD:refs/heads/windows-update/stable'], { cwd: dir });
    expect(pushed.code).toBe(0);
    expect(h.service.repo(REPO).branches['windows-update/stable']).toBe(sha);
    expect(pushed.stderr).not.toContain(TOKEN);
  });

  it.each([0, 2])(
    'relays gzip-encoded negotiation bodies (protocol v%i fetch with many local commits)',
    async (version) => {
      const dir = await cloneRepo(h);
      // Enough "have" lines push a negotiation request past the 1 KiB above which git gzips it.
      // One fast-import stream rather than 80 `git commit` processes.
      const head = await gitOk(['rev-parse', 'HEAD'], { cwd: dir });
      // Newer than the seed commit, so negotiation offers them before the common one.
      const now = Math.floor(Date.now() / 1000);
      const stream = Array.from({ length: 80 }, (_, i) =>
        [
          'commit refs/heads/main',
          `committer T <t@sandbox.invalid> ${now + i} +0000`,
          `data ${`local ${i}`.length}`,
          `local ${i}`,
        ]
          .concat(i === 0 ? [`from ${head}`] : [])
          .join('\n'),
      ).join('\n\n');
      await gitOk(['fast-import', '--quiet'], { cwd: dir, input: `${stream}\n` });
      const repo = h.service.repo(REPO);
      const remote = await commitFileOnBranch(repo.dir, 'main', 'REMOTE.md', 'remote\n', 'Remote change', {
        name: 'R',
        email: 'r@x',
      });
      await h.service.sync(REPO);
      const seen = h.requestHeaders.length;
      await gitOk(['-c', `protocol.version=${version}`, 'fetch', '--quiet', 'origin'], { cwd: dir });
      expect(await gitOk(['rev-parse', 'origin/main'], { cwd: dir })).toBe(remote);
      expect(h.requestHeaders.slice(seen).some((headers) => headers['content-encoding'] === 'gzip')).toBe(
        true,
      );
    },
  );
});

describe('git faults', () => {
  it('rejects a push once because someone pushed first; a fetch, rebase and retry then succeeds', async () => {
    const dir = await cloneRepo(h);
    await gitOk(['checkout', '--quiet', '-b', 'windows-update/race'], { cwd: dir });
    await commitFiles(dir, { 'resources/config.edn': '{:race 1}\n' }, 'First');
    await gitOk(['push', '--quiet', 'origin', 'HEAD:refs/heads/windows-update/race'], { cwd: dir });
    const lease = await gitOk(['rev-parse', 'HEAD'], { cwd: dir });
    await commitFiles(dir, { 'resources/config.edn': '{:race 2}\n' }, 'Second');

    h.service.faults.rejectNextPush(REPO, 'windows-update/race', { path: 'OTHER.md', content: 'theirs\n' });
    const rejected = await runGit(
      [
        'push',
        `--force-with-lease=refs/heads/windows-update/race:${lease}`,
        'origin',
        'HEAD:refs/heads/windows-update/race',
      ],
      { cwd: dir },
    );
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toMatch(/stale info|rejected/);
    const theirs = h.service.repo(REPO).branches['windows-update/race'] as string;
    expect(theirs).not.toBe(lease);

    await gitOk(['fetch', '--quiet', 'origin'], { cwd: dir });
    await gitOk(['rebase', '--quiet', 'origin/windows-update/race'], { cwd: dir });
    const retried = await runGit(
      [
        'push',
        `--force-with-lease=refs/heads/windows-update/race:${theirs}`,
        'origin',
        'HEAD:refs/heads/windows-update/race',
      ],
      { cwd: dir },
    );
    expect(retried.code).toBe(0);
    expect(h.service.repo(REPO).branches['windows-update/race']).toBe(
      await gitOk(['rev-parse', 'HEAD'], { cwd: dir }),
    );
    expect(await gitOk(['show', 'HEAD:OTHER.md'], { cwd: dir })).toBe('theirs');
  });

  it('makes the remote unreachable for the next N git operations', async () => {
    h.service.faults.gitUnreachable(1);
    const down = await runGit(['ls-remote', url()]);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(/Empty reply|unable to access|Failed|Recv failure/i);
    const up = await runGit(['ls-remote', url()]);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('refs/heads/main');
  });
});
