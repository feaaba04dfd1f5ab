/**
 * A repository's files and commits through GitHub's contents and git data APIs, one small method per call: an
 * update of a few small files committed without a clone (read the files, write a tree on the base tree, a
 * commit, and move the branch).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { CommitSummary, GitIdentity } from '../git/git-repository.js';
import type { Attempt, GitHubClient } from './github-client.js';
import type { RepositoryRef } from './pull-requests.js';

const BranchSchema = z
  .object({
    commit: z.object({ sha: z.string(), commit: z.object({ tree: z.object({ sha: z.string() }) }) }),
  })
  .transform((branch) => ({ sha: branch.commit.sha, tree: branch.commit.commit.tree.sha }));
export type BranchTip = z.output<typeof BranchSchema>;

export const RefSchema = z
  .object({ object: z.object({ sha: z.string() }) })
  .transform((ref) => ref.object.sha);

// Files over 1 MB come without content (`encoding: none`); their blob has it.
const FileSchema = z.object({
  type: z.literal('file'),
  sha: z.string(),
  content: z.string(),
  encoding: z.string(),
});
const BlobSchema = z.object({ content: z.string(), encoding: z.string() });

const PersonSchema = z.object({ name: z.string(), email: z.string() }).nullable();
const CompareSchema = z
  .object({
    behind_by: z.number(),
    commits: z.array(
      z.object({
        sha: z.string(),
        commit: z.object({ message: z.string(), author: PersonSchema, committer: PersonSchema }),
      }),
    ),
    files: z
      .array(z.object({ filename: z.string(), sha: z.string().nullable(), status: z.string() }))
      .optional(),
  })
  .transform((compare) => ({
    behindBy: compare.behind_by,
    // Newest first, as `git log` lists them (GitHub answers oldest first).
    commits: compare.commits
      .map(
        (c): CommitSummary => ({
          sha: c.sha,
          subject: c.commit.message.split('\n')[0] ?? '',
          authorName: c.commit.author?.name ?? '',
          authorEmail: c.commit.author?.email ?? '',
          committerName: c.commit.committer?.name ?? '',
          committerEmail: c.commit.committer?.email ?? '',
        }),
      )
      .reverse(),
    files: (compare.files ?? []).map((f) => ({ path: f.filename, sha: f.sha, status: f.status })),
  }));
export type Comparison = z.output<typeof CompareSchema>;

const ShaSchema = z.object({ sha: z.string() }).transform((object) => object.sha);

const GitPersonSchema = z.object({ name: z.string(), email: z.string() });
const GitCommitSchema = z
  .object({
    sha: z.string(),
    message: z.string(),
    tree: z.object({ sha: z.string() }),
    author: GitPersonSchema,
    committer: GitPersonSchema,
  })
  .transform((c): CommitSummary & { tree: string } => ({
    sha: c.sha,
    subject: c.message.split('\n')[0] ?? '',
    authorName: c.author.name,
    authorEmail: c.author.email,
    committerName: c.committer.name,
    committerEmail: c.committer.email,
    tree: c.tree.sha,
  }));
export type GitCommit = z.output<typeof GitCommitSchema>;

/** A file's new text for {@link GitData.createTree}. */
export interface FileContent {
  path: string;
  text: string;
}

/** The contents and git data operations of one repository. */
export class GitData {
  constructor(
    private readonly client: GitHubClient,
    readonly repository: RepositoryRef,
  ) {}

  /** `owner/name`. */
  get fullName(): string {
    return `${this.repository.owner}/${this.repository.repo}`;
  }

  /** The commit and tree at the tip of `branch`, or undefined when it does not exist. */
  async branch(branch: string): Promise<BranchTip | undefined> {
    const result = await this.client.attempt(
      `read the branch ${branch} of ${this.fullName}`,
      BranchSchema,
      (o) => o.rest.repos.getBranch({ ...this.repository, branch }),
      [404],
    );
    return result.ok ? result.data : undefined;
  }

  /** The commit `branch` points at, or undefined when it does not exist. */
  async branchSha(branch: string): Promise<string | undefined> {
    const result = await this.client.attempt(
      `read the ref of ${branch} in ${this.fullName}`,
      RefSchema,
      (o) => o.rest.git.getRef({ ...this.repository, ref: `heads/${branch}` }),
      [404],
    );
    return result.ok ? result.data : undefined;
  }

  /** One commit's identities and tree (`GET /git/commits/{sha}`), or undefined when there is no such commit. */
  async commit(sha: string): Promise<GitCommit | undefined> {
    const result = await this.client.attempt(
      `read the commit ${sha} in ${this.fullName}`,
      GitCommitSchema,
      (o) => o.rest.git.getCommit({ ...this.repository, commit_sha: sha }),
      [404, 422],
    );
    return result.ok ? result.data : undefined;
  }

  /** The UTF-8 text of `path` at `ref`, or undefined when there is no such file. */
  async readFile(path: string, ref: string): Promise<string | undefined> {
    const what = `read ${path} at ${ref} in ${this.fullName}`;
    const result = await this.client.attempt(
      what,
      FileSchema,
      (o) => o.rest.repos.getContent({ ...this.repository, path, ref }),
      [404],
    );
    if (!result.ok) return undefined;
    let { content, encoding } = result.data;
    if (encoding === 'none') {
      ({ content, encoding } = await this.client.call(what, BlobSchema, (o) =>
        o.rest.git.getBlob({ ...this.repository, file_sha: result.data.sha }),
      ));
    }
    const bytes = encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
    return decodeText(bytes, path);
  }

  /** The commits on `head` since `base` (newest first) and the files they change (with blob shas). */
  compare(base: string, head: string): Promise<Comparison> {
    return this.client.call(`compare ${base}...${head} in ${this.fullName}`, CompareSchema, (o) =>
      o.rest.repos.compareCommitsWithBasehead({ ...this.repository, basehead: `${base}...${head}` }),
    );
  }

  /** Writes a tree: `baseTree` with `files` replaced. Returns its sha. */
  createTree(baseTree: string, files: readonly FileContent[]): Promise<string> {
    return this.client.call(`create a tree in ${this.fullName}`, ShaSchema, (o) =>
      o.rest.git.createTree({
        ...this.repository,
        base_tree: baseTree,
        tree: files.map((file) => ({ path: file.path, mode: '100644', type: 'blob', content: file.text })),
      }),
    );
  }

  /** Writes a commit of `tree` on `parents`, authored and committed by `author`. Returns its sha. */
  createCommit(message: string, tree: string, parents: string[], author: GitIdentity): Promise<string> {
    const person = { name: author.name, email: author.email };
    return this.client.call(`create a commit in ${this.fullName}`, ShaSchema, (o) =>
      o.rest.git.createCommit({
        ...this.repository,
        message,
        tree,
        parents,
        author: person,
        committer: person,
      }),
    );
  }

  /** Creates `branch` at `sha`; a 422 (it exists meanwhile) is returned, not thrown. */
  createBranch(branch: string, sha: string): Promise<Attempt<string>> {
    return this.client.attempt(
      `create ${branch} in ${this.fullName}`,
      RefSchema,
      (o) => o.rest.git.createRef({ ...this.repository, ref: `refs/heads/${branch}`, sha }),
      [422],
    );
  }

  /** Moves `branch` to `sha` (`force` allows a move that is no fast-forward); a 422 is returned, not thrown. */
  moveBranch(branch: string, sha: string, force: boolean): Promise<Attempt<string>> {
    return this.client.attempt(
      `move ${branch} in ${this.fullName}`,
      RefSchema,
      (o) => o.rest.git.updateRef({ ...this.repository, ref: `heads/${branch}`, sha, force }),
      [422],
    );
  }
}

/** The sha git gives `text` as a blob, so a file's content can be compared with one GitHub lists. */
export function blobSha(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function decodeText(bytes: Buffer, file: string): string {
  if (bytes.includes(0))
    throw new InputError('file holds binary content (a NUL byte); not a text file', { file });
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InputError('file is not valid UTF-8', { file });
  }
}
