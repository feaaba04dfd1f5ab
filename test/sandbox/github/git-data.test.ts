import { RequestError } from '@octokit/request-error';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cloneRepo, type GitHubHarness, gitOk, NAME, OWNER, startGitHub } from './setup.js';

let h: GitHubHarness;
const repo = { owner: OWNER, repo: NAME };

beforeAll(async () => {
  h = await startGitHub();
});
afterAll(() => h.close());
afterEach(() => {
  // Every exchange of the test must match GitHub's OpenAPI description.
  const problems = h.problems.splice(0);
  expect(problems).toEqual([]);
});

async function status(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RequestError)) throw new Error(`expected a RequestError, got ${String(error)}`);
  return error.status;
}

const fromBase64 = (content: string) => Buffer.from(content.replace(/\n/g, ''), 'base64').toString('utf8');
const mainSha = async () => (await h.octokit.rest.git.getRef({ ...repo, ref: 'heads/main' })).data.object.sha;

describe('contents', () => {
  it('reads a file at a branch and at a commit as base64, and 404s a missing path', async () => {
    const sha = await mainSha();
    const { data } = await h.octokit.rest.repos.getContent({
      ...repo,
      path: 'resources/config.edn',
      ref: 'main',
    });
    if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file');
    expect(data).toMatchObject({ name: 'config.edn', path: 'resources/config.edn', encoding: 'base64' });
    const text = fromBase64(data.content);
    expect(text).toContain(':vm-manager');
    expect(data.size).toBe(Buffer.byteLength(text));
    const atCommit = await h.octokit.rest.repos.getContent({
      ...repo,
      path: 'resources/config.edn',
      ref: sha,
    });
    expect(atCommit.data).toMatchObject({ sha: data.sha });
    expect(
      await status(h.octokit.rest.repos.getContent({ ...repo, path: 'no/such.file', ref: 'main' })),
    ).toBe(404);
    expect(
      await status(h.octokit.rest.repos.getContent({ ...repo, path: 'hephestus.yml', ref: 'nope' })),
    ).toBe(404);
  });

  it('lists a directory', async () => {
    const { data } = await h.octokit.rest.repos.getContent({ ...repo, path: 'resources' });
    if (!Array.isArray(data)) throw new Error('expected a directory');
    expect(data.map((e) => [e.path, e.type])).toContainEqual(['resources/config.edn', 'file']);
  });
});

describe('git data', () => {
  it('creates blobs from UTF-8 and base64 and reads them back', async () => {
    const text = 'ami-0123 ✓\n';
    const utf8 = await h.octokit.rest.git.createBlob({ ...repo, content: text, encoding: 'utf-8' });
    const b64 = await h.octokit.rest.git.createBlob({
      ...repo,
      content: Buffer.from(text).toString('base64'),
      encoding: 'base64',
    });
    expect(utf8.status).toBe(201);
    expect(b64.data.sha).toBe(utf8.data.sha);
    // The sha git itself gives the bytes.
    expect(utf8.data.sha).toBe(await gitOk(['hash-object', '--stdin'], { input: text }));
    const read = await h.octokit.rest.git.getBlob({ ...repo, file_sha: utf8.data.sha });
    expect(fromBase64(read.data.content)).toBe(text);
    expect(read.data.size).toBe(Buffer.byteLength(text));
    expect(await status(h.octokit.rest.git.getBlob({ ...repo, file_sha: '0'.repeat(40) }))).toBe(404);
  });

  it('builds a tree on a base tree from content, sha and deletion entries', async () => {
    const base = await h.octokit.rest.git.getCommit({ ...repo, commit_sha: await mainSha() });
    const blob = await h.octokit.rest.git.createBlob({ ...repo, content: 'notes\n' });
    const tree = await h.octokit.rest.git.createTree({
      ...repo,
      base_tree: base.data.tree.sha,
      tree: [
        { path: 'resources/config.edn', mode: '100644', type: 'blob', content: '{:bumped true}\n' },
        { path: 'docs/new/notes.txt', mode: '100644', type: 'blob', sha: blob.data.sha },
        { path: 'README.md', mode: '100644', type: 'blob', sha: null },
      ],
    });
    expect(tree.status).toBe(201);
    const paths = tree.data.tree.map((e) => e.path);
    expect(paths).toContain('docs');
    expect(paths).not.toContain('README.md');
    const full = await h.octokit.rest.git.getTree({ ...repo, tree_sha: tree.data.sha, recursive: 'true' });
    const byPath = new Map(full.data.tree.map((e) => [e.path, e]));
    expect(byPath.get('docs/new/notes.txt')?.sha).toBe(blob.data.sha);
    expect(byPath.get('chart/templates/configmap.yaml')).toBeDefined();
    const edited = byPath.get('resources/config.edn')?.sha ?? '';
    expect(fromBase64((await h.octokit.rest.git.getBlob({ ...repo, file_sha: edited })).data.content)).toBe(
      '{:bumped true}\n',
    );
    // The same request gives the same tree (content-addressed), and an unknown sha is refused.
    const again = await h.octokit.rest.git.createTree({
      ...repo,
      base_tree: base.data.tree.sha,
      tree: [{ path: 'resources/config.edn', mode: '100644', type: 'blob', content: '{:bumped true}\n' }],
    });
    expect(again.data.sha).not.toBe(base.data.tree.sha);
    expect(
      await status(
        h.octokit.rest.git.createTree({
          ...repo,
          tree: [{ path: 'x', mode: '100644', type: 'blob', sha: 'f'.repeat(40) }],
        }),
      ),
    ).toBe(422);
  });

  it('creates a commit with author and committer, reads it, and moves a branch to it', async () => {
    const parent = await mainSha();
    const base = await h.octokit.rest.git.getCommit({ ...repo, commit_sha: parent });
    const tree = await h.octokit.rest.git.createTree({
      ...repo,
      base_tree: base.data.tree.sha,
      tree: [{ path: 'resources/config.edn', mode: '100644', type: 'blob', content: '{:via :api}\n' }],
    });
    const author = { name: 'Hephestus', email: 'hephestus@example.com', date: '2026-01-02T03:04:05Z' };
    const commit = await h.octokit.rest.git.createCommit({
      ...repo,
      message: 'Bump via the API\n\nbody',
      tree: tree.data.sha,
      parents: [parent],
      author,
    });
    expect(commit.status).toBe(201);
    expect(commit.data).toMatchObject({
      message: 'Bump via the API\n\nbody',
      tree: { sha: tree.data.sha },
      parents: [{ sha: parent }],
      author: { name: author.name, email: author.email },
      committer: { name: author.name, email: author.email },
    });
    const read = await h.octokit.rest.git.getCommit({ ...repo, commit_sha: commit.data.sha });
    expect(read.data.sha).toBe(commit.data.sha);
    expect(await status(h.octokit.rest.git.getCommit({ ...repo, commit_sha: tree.data.sha }))).toBe(404);

    const ref = await h.octokit.rest.git.createRef({
      ...repo,
      ref: 'refs/heads/api/bump',
      sha: commit.data.sha,
    });
    expect(ref.status).toBe(201);
    const dir = await cloneRepo(h);
    await gitOk(['fetch', '--quiet', 'origin', 'api/bump'], { cwd: dir });
    expect(await gitOk(['log', '-1', '--format=%an <%ae> %s', 'FETCH_HEAD'], { cwd: dir })).toBe(
      'Hephestus <hephestus@example.com> Bump via the API',
    );

    // A commit that does not descend from the branch moves it only with force.
    const sibling = await h.octokit.rest.git.createCommit({
      ...repo,
      message: 'Rebuilt',
      tree: tree.data.sha,
      parents: [parent],
      author,
    });
    expect(
      await status(h.octokit.rest.git.updateRef({ ...repo, ref: 'heads/api/bump', sha: sibling.data.sha })),
    ).toBe(422);
    const forced = await h.octokit.rest.git.updateRef({
      ...repo,
      ref: 'heads/api/bump',
      sha: sibling.data.sha,
      force: true,
    });
    expect(forced.data.object.sha).toBe(sibling.data.sha);
    expect(
      await status(h.octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/api/bump', sha: parent })),
    ).toBe(422);
  });

  it('refuses a commit on a missing tree or parent', async () => {
    const parent = await mainSha();
    expect(
      await status(h.octokit.rest.git.createCommit({ ...repo, message: 'x', tree: parent, parents: [] })),
    ).toBe(422);
    const base = await h.octokit.rest.git.getCommit({ ...repo, commit_sha: parent });
    expect(
      await status(
        h.octokit.rest.git.createCommit({
          ...repo,
          message: 'x',
          tree: base.data.tree.sha,
          parents: ['e'.repeat(40)],
        }),
      ),
    ).toBe(422);
  });
});
