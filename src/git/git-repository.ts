/**
 * A clone of one remote repository and the git verbs the update flow needs, over simple-git.
 *
 * Every command runs with an allowlisted environment and no hooks (see git-environment.ts), gets the token as an
 * environment config entry when it needs one (see git-credentials.ts), has a timeout, and comes back either with
 * its result or with a redacted error of our own (see redact-git-error.ts).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { ExternalServiceError, FailureError, HephestusError, InputError } from '../errors.js';
import { Redactor } from '../log/redact.js';
import { isBranchName } from './branch-name.js';
import { credentialEntries, remoteOrigin } from './git-credentials.js';
import { commandEnvironment, GIT_UNSAFE_ALLOWED } from './git-environment.js';
import { pushRejection } from './push-rejection.js';
import { type GitCommandKind, redactGitError } from './redact-git-error.js';

export interface GitIdentity {
  name: string;
  email: string;
}

export interface CloneOptions {
  /** The remote's http(s) URL, without credentials. */
  url: string;
  token: string;
  /** Where to clone; must not exist or be empty. */
  dir: string;
  /** The branch to clone: the base the update branch starts from. */
  branch: string;
  author: GitIdentity;
  /** Defaults to the author. */
  committer?: GitIdentity;
  /**
   * `commits` (default) fetches every commit but no file contents until checked out (`--filter=blob:none`);
   * `tip` fetches the newest commit only, and {@link GitRepository.fetchBranch} then fetches other branches to
   * a bounded depth, so the cost of a clone does not grow with the history.
   */
  history?: 'commits' | 'tip';
  /**
   * Check out only these paths (files or directories, from the repository's root): the clone fetches no file
   * contents (`--filter=blob:none`), and checking out fetches those of these paths alone, in one request. For a
   * big repository whose flow edits a few files; {@link GitRepository.sparseCheckout} adds paths later.
   */
  sparse?: readonly string[];
  /**
   * Leave every file bigger than this many bytes on the server (`--filter=blob:limit=`): the clone costs the round
   * trips of any other and moves only the small files of the tip. Only when the tip has such a file does
   * {@link sparse} apply (nothing the flow reads needs it); when it has none, the whole tip is checked out.
   */
  blobLimitBytes?: number;
  /** The token is added to it; pass the logger's so both hide the same secrets. */
  redactor?: Redactor;
  /** Kills a git command that stays silent this long. Default five minutes. */
  timeoutMs?: number;
  /**
   * git itself gives up on a transfer slower than 1 KB/s for this long (`http.lowSpeedTime`), so a remote that
   * accepts the connection and never answers ends the clone instead of waiting out {@link timeoutMs}. Default
   * 30 s, or HEPHESTUS_GIT_STALL_SECONDS.
   */
  stallSeconds?: number;
}

/** One commit on a branch, with the identities that tell whose it is. */
export interface CommitSummary {
  sha: string;
  subject: string;
  authorName: string;
  authorEmail: string;
  committerName: string;
  committerEmail: string;
}

export type PushResult = { status: 'pushed'; sha: string } | { status: 'rejected'; reason: 'moved' };

/** Re-applies the update after a rejected push, on top of `remoteSha` (the branch's new head; undefined when it was deleted), and commits. */
export type Reapply = (remoteSha: string | undefined) => Promise<void>;

const REMOTE = 'origin';
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_MAX_RETRIES = 3;

interface Settings {
  token: string;
  origin: string;
  author: GitIdentity;
  committer: GitIdentity;
  redactor: Redactor;
  timeoutMs: number;
  stallSeconds: number;
  shallow: boolean;
  /** File contents are fetched as commands need them: every command may talk to the remote. */
  partial: boolean;
  /** The partial clone's filter (`--filter=`), while it is one. */
  filter?: string;
  /** Only some paths are checked out (see {@link GitRepository.sparseCheckout}). */
  sparse: boolean;
  /** Files of the cloned tip its filter left on the server (see {@link CloneOptions.blobLimitBytes}). */
  leftOnServer: number;
}

/**
 * How many commits of a branch a `tip` clone fetches: an update branch is one commit on its base, so this
 * leaves room for many commits pushed on top of it by people while keeping the fetch independent of the history.
 */
export const SHALLOW_FETCH_DEPTH = 50;

const CLONE_ATTEMPTS = 3;
const CLONE_RETRY_DELAY_MS = 1000;

/** Git's answer to a clone of a branch the remote does not have. */
export function isMissingBranch(error: unknown): boolean {
  return error instanceof HephestusError && /Remote branch .* not found/.test(error.message);
}

/** A remote failure worth one more try: a 5xx or 429 from the host, or no answer at all. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof ExternalServiceError)) return false;
  return error.status === undefined || error.status === 429 || error.status >= 500;
}

export class GitRepository {
  private constructor(
    /** The clone's working tree. */
    readonly dir: string,
    /** The branch the clone was made from. */
    readonly baseBranch: string,
    private readonly settings: Settings,
  ) {}

  /** Clones `branch` of `url` single-branch into `dir` (shallow or blobless, see {@link CloneOptions.history}). */
  static async clone(options: CloneOptions): Promise<GitRepository> {
    if (!options.token) throw new InputError('no git token given', { setting: 'git token' });
    assertBranchName(options.branch);
    const redactor = options.redactor ?? new Redactor();
    redactor.add(options.token);
    const settings: Settings = {
      token: options.token,
      origin: remoteOrigin(options.url),
      author: options.author,
      committer: options.committer ?? options.author,
      redactor,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      stallSeconds: options.stallSeconds ?? stallSecondsFrom(process.env),
      shallow: options.history === 'tip',
      partial:
        options.history !== 'tip' || options.sparse !== undefined || options.blobLimitBytes !== undefined,
      sparse: false,
      leftOnServer: 0,
    };
    if (settings.partial) settings.filter = blobFilter(options.blobLimitBytes);
    const dir = resolve(options.dir);
    await mkdir(dirname(dir), { recursive: true });
    const repo = new GitRepository(dir, options.branch, settings);
    const history = [
      ...(options.history === 'tip' ? ['--depth', '1'] : []),
      ...(settings.filter ? [`--filter=${settings.filter}`] : []),
      ...(options.sparse || options.blobLimitBytes !== undefined ? ['--no-checkout'] : []),
    ];
    // A clone that meets a passing 5xx or 429 from the git host is tried again (a few seconds apart); a wrong
    // token, a missing repository or a bad branch fails at once.
    for (let attempt = 1; ; attempt++) {
      try {
        await repo.run(
          dirname(dir),
          'remote',
          `clone of ${options.url} (${options.branch})`,
          (git) =>
            git.clone(options.url, dir, [
              ...history,
              '--single-branch',
              '--branch',
              options.branch,
              '--no-tags',
              '--origin',
              REMOTE,
            ]),
          {},
        );
        break;
      } catch (error) {
        // A branch the remote does not have is an answer, not a passing failure.
        if (attempt >= CLONE_ATTEMPTS || !isTransient(error) || isMissingBranch(error)) throw error;
        await rm(dir, { recursive: true, force: true });
        await new Promise((resolveDelay) => setTimeout(resolveDelay, CLONE_RETRY_DELAY_MS * attempt));
      }
    }
    if (options.blobLimitBytes !== undefined) settings.leftOnServer = await repo.countOmittedFiles();
    const leftBehind = settings.leftOnServer;
    // Nothing was left out: from here the clone is a shallow one like any other, which never fetches lazily.
    if (options.blobLimitBytes !== undefined && leftBehind === 0) await repo.setLazyFetch(false, 'for good');
    const sparse = options.blobLimitBytes === undefined || leftBehind > 0 ? options.sparse : undefined;
    if (sparse) await repo.sparseCheckout(sparse);
    if (sparse || options.blobLimitBytes !== undefined) {
      // The clone checked nothing out: this writes the tip (or the listed paths), fetching contents it lacks.
      await repo.git('local', `checkout of ${options.branch}`, (git) =>
        git.raw(['checkout', '--force', options.branch]),
      );
    }
    return repo;
  }

  /** True when only some paths are checked out (a sparse clone, or {@link sparseCheckout} called). */
  get isSparse(): boolean {
    return this.settings.sparse;
  }

  /** How many files of the cloned tip its filter left on the server (counted once, when it cloned). */
  get filesLeftOnServer(): number {
    return this.settings.leftOnServer;
  }

  /**
   * How many files of the checked-out commit the clone's filter left on the server. Asks nothing of the remote:
   * `rev-list --missing=print` lists what is missing instead of fetching it.
   */
  private async countOmittedFiles(): Promise<number> {
    const out = await this.git('local', 'count of omitted files', (git) =>
      git.raw(['rev-list', '--objects', '--missing=print', '--no-object-names', 'HEAD']),
    );
    return out.split('\n').filter((line) => line.startsWith('?')).length;
  }

  /**
   * Checks out only `paths` (and what was checked out before stays only if listed again), fetching the contents
   * it lacks in one request. Paths are matched literally from the repository's root (`--no-cone` patterns with
   * any wildcard escaped), so a file named in configuration cannot widen the checkout.
   */
  async sparseCheckout(paths: readonly string[]): Promise<void> {
    const patterns = [...new Set(paths)].map(sparsePattern);
    await this.quietly('local', 'sparse checkout', ['sparse-checkout', 'set', '--no-cone', ...patterns]);
    this.settings.sparse = true;
  }

  /**
   * The same clone, committing as another author (and committer): the identity is only passed to `git commit`,
   * so a flow that learns its author from the cloned configuration needs no second clone.
   */
  withIdentity(author: GitIdentity, committer: GitIdentity = author): GitRepository {
    return new GitRepository(this.dir, this.baseBranch, { ...this.settings, author, committer });
  }

  /** The sha of `branch` on the remote, or undefined when it does not exist (asks the remote, fetches nothing). */
  async remoteBranchSha(branch: string): Promise<string | undefined> {
    assertBranchName(branch);
    const out = await this.git('remote', `ls-remote ${branch}`, (git) =>
      git.raw(['ls-remote', '--heads', REMOTE, `refs/heads/${branch}`]),
    );
    return out.split('\t')[0]?.trim() || undefined;
  }

  /**
   * Fetches `branch` into `refs/remotes/origin/<branch>` (its newest {@link SHALLOW_FETCH_DEPTH} commits in a
   * `tip` clone); its sha, or undefined (and no tracking ref) when it does not exist. One round trip: a missing
   * branch is told by the fetch itself, not by an `ls-remote` first.
   */
  async fetchBranch(branch: string): Promise<string | undefined> {
    const tracking = trackingRef(assertBranchName(branch));
    const depth = this.settings.shallow ? [`--depth=${SHALLOW_FETCH_DEPTH}`] : [];
    try {
      await this.git('remote', `fetch of ${branch}`, (git) =>
        git.raw(['fetch', '--no-tags', ...depth, REMOTE, `+refs/heads/${branch}:${tracking}`]),
      );
    } catch (error) {
      if (!(error instanceof HephestusError && /couldn't find remote ref/.test(error.message))) throw error;
      await this.git('local', `removal of ${tracking}`, (git) => git.raw(['update-ref', '-d', tracking]));
      return undefined;
    }
    return this.revParse(tracking);
  }

  /** Checks out `branch`, created or reset to `startPoint` (a sha, or a ref such as `origin/main`); the working tree follows. */
  async resetBranch(branch: string, startPoint: string): Promise<void> {
    assertBranchName(branch);
    if (startPoint.startsWith('-')) throw new InputError(`not a commit: ${JSON.stringify(startPoint)}`);
    await this.git('local', `checkout of ${branch} at ${startPoint}`, (git) =>
      git.raw(['checkout', '--force', '--no-track', '-B', branch, startPoint]),
    );
  }

  /**
   * Stages every change and commits it as the configured author and committer; the new sha, or undefined when
   * nothing changed (`allowEmpty`: a commit without changes is made then, e.g. a requested rebuild).
   */
  async commitAll(message: string, options: { allowEmpty?: boolean } = {}): Promise<string | undefined> {
    // `--verbose` lists what it staged: simple-git waits 50 ms more after a command that printed nothing.
    await this.git('local', 'staging', (git) => git.add(['--all', '--verbose']));
    const { author, committer } = this.settings;
    const flags: Record<string, null> = options.allowEmpty ? { '--allow-empty': null } : {};
    const result = await this.git('local', 'commit', (git) => git.commit(message, [], flags), {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
    });
    // simple-git commits with core.abbrev=40, so its summary holds the full sha, and answers an empty one when
    // git found nothing to commit: the index then tells that apart from a commit that did not happen.
    if (/^[0-9a-f]{40}$/.test(result.commit)) return result.commit;
    if (options.allowEmpty) return this.revParse('HEAD');
    const staged = await this.git('local', 'diff of the staged changes', (git) =>
      git.raw(['diff', '--cached', '--name-only']),
    );
    if (staged.trim() === '') return undefined;
    if (result.commit === '') throw new FailureError('git: the commit of the staged changes made no commit');
    return this.revParse('HEAD');
  }

  /** The full sha of `rev`. */
  async revParse(rev: string): Promise<string> {
    const out = await this.git('local', `rev-parse ${rev}`, (git) =>
      git.raw(['rev-parse', '--verify', `${rev}^{commit}`]),
    );
    return out.trim();
  }

  /**
   * Commits reachable from `head` but not from `base`, newest first. Needs `history: 'commits'`, unless
   * `recentOnly`: then a `tip` clone answers from the history it fetched, where commits of the base older than
   * the fetched depth look like commits of `head`; only commits newer than one known to be `head`'s own are
   * then certain (which is what a foreign-commit check needs).
   */
  async commitsSince(
    base: string,
    head: string,
    options: { recentOnly?: boolean } = {},
  ): Promise<CommitSummary[]> {
    const shallow = options.recentOnly
      ? 'false'
      : await this.git('local', 'shallow check', (git) => git.raw(['rev-parse', '--is-shallow-repository']));
    if (shallow.trim() === 'true') {
      throw new FailureError(
        "git: listing a branch's commits needs the commit history; clone with history 'commits'",
      );
    }
    const log = await this.git('local', `log ${base}..${head}`, (git) =>
      // simple-git's from/to default to the symmetric `base...head`, which would count the base's new commits too.
      git.log<Omit<CommitSummary, 'sha'> & { sha: string }>({
        from: base,
        to: head,
        symmetric: false,
        format: {
          sha: '%H',
          subject: '%s',
          authorName: '%an',
          authorEmail: '%ae',
          committerName: '%cn',
          committerEmail: '%ce',
        },
      }),
    );
    return log.all.map((entry) => ({ ...entry }));
  }

  /**
   * Turns a partial clone's lazy fetching off or on again. With it on, git fetches any object it lacks as soon as
   * a command asks about it; a push asks about the remote's head of the branch (to leave it out of the pack, then
   * to tell whether the update was forced): two fetches of two requests each, for objects the push never sends
   * (measured with GIT_TRACE). With it off git takes a missing object as one the remote has, as in any shallow
   * clone, but `git commit` refuses a tree that names a file it lacks: so it is off only while a push runs, or
   * for good when nothing was left out. git 2.44 can do this per command (GIT_NO_LAZY_FETCH); Debian's is older,
   * so the clone's own configuration says it: this run's clone, which nothing else uses meanwhile.
   */
  private async setLazyFetch(on: boolean, forGood?: 'for good'): Promise<void> {
    const config = (args: string[]) => this.quietly('local', 'partial clone setting', ['config', ...args]);
    // Any of the three makes git take the remote as one to fetch missing objects from.
    if (on) {
      await config(['extensions.partialclone', REMOTE]);
      await config([`remote.${REMOTE}.promisor`, 'true']);
      await config([`remote.${REMOTE}.partialclonefilter`, this.settings.filter ?? 'blob:none']);
    } else {
      await config(['--unset-all', 'extensions.partialclone']);
      await config(['--unset-all', `remote.${REMOTE}.promisor`]);
      await config(['--unset-all', `remote.${REMOTE}.partialclonefilter`]);
    }
    this.settings.partial = on;
    // For good, the clone is a shallow one like any other: a branch fetched later comes whole.
    if (forGood) delete this.settings.filter;
  }

  /**
   * Runs a git command whose output is not needed in the clone, as {@link run} does but without simple-git: it
   * waits a fixed 50 ms after any command that printed nothing (its completion detection's `deferClose`), and
   * config writes and `sparse-checkout set` print nothing. Measured: 65 ms a config write through it, 4 ms for
   * git itself. The arguments are ours (paths as {@link sparsePattern} makes them), never a caller's.
   */
  private quietly(kind: GitCommandKind, what: string, args: readonly string[]): Promise<void> {
    const { token, origin, redactor, timeoutMs, stallSeconds } = this.settings;
    const credentials = kind === 'remote' || this.settings.partial ? credentialEntries(token, origin) : [];
    const deadlines = ['-c', 'http.lowSpeedLimit=1000', '-c', `http.lowSpeedTime=${stallSeconds}`];
    return new Promise((done, fail) => {
      execFile(
        'git',
        [...deadlines, ...args],
        { cwd: this.dir, env: commandEnvironment(origin, credentials), timeout: timeoutMs },
        (error, _stdout, stderr) =>
          // Exit 5: `config --unset-all` of a key that is not set, which is what it was asked for.
          error && !(error.code === 5 && args[1] === '--unset-all')
            ? fail(redactGitError(new Error(stderr || error.message), redactor, what, kind))
            : done(),
      );
    });
  }

  /** Runs `push` (a git push) with lazy fetching off in a partial clone (see {@link setLazyFetch}). */
  private async withoutLazyFetch<T>(push: () => Promise<T>): Promise<T> {
    if (!this.settings.partial) return push();
    await this.setLazyFetch(false);
    try {
      return await push();
    } finally {
      await this.setLazyFetch(true);
    }
  }

  /**
   * Pushes HEAD to `refs/heads/<branch>` only if the remote branch is still at `expectedSha` (undefined: it must
   * not exist). A branch that moved meanwhile is reported, not overwritten; other refusals throw. `head` is
   * HEAD's sha when the caller knows it (saves asking git).
   */
  async push(branch: string, expectedSha: string | undefined, head?: string): Promise<PushResult> {
    assertBranchName(branch);
    const sha = head ?? (await this.revParse('HEAD'));
    try {
      await this.withoutLazyFetch(() =>
        this.git('remote', `push to ${branch}`, (git) =>
          git.raw([
            // A single-branch clone fetches only its base, so git would leave the update branch's tracking ref
            // alone; this refspec, for this push only, has the push move it (no second git command for it).
            '-c',
            `remote.${REMOTE}.fetch=+refs/heads/${branch}:${trackingRef(branch)}`,
            'push',
            '--porcelain',
            `--force-with-lease=refs/heads/${branch}:${expectedSha ?? ''}`,
            REMOTE,
            `HEAD:refs/heads/${branch}`,
          ]),
        ),
      );
    } catch (error) {
      if (error instanceof HephestusError && pushRejection(error.message) === 'moved') {
        return { status: 'rejected', reason: 'moved' };
      }
      throw error;
    }
    return { status: 'pushed', sha };
  }

  /**
   * Pushes as {@link push}; when the branch moved (someone pushed first), fetches its new head, lets `reapply`
   * rebuild the update on it, and tries again, at most `maxRetries` times (default 3). `head` as in {@link push}.
   */
  async pushWithRetry(
    branch: string,
    expectedSha: string | undefined,
    reapply: Reapply,
    options: { maxRetries?: number; head?: string } = {},
  ): Promise<{ sha: string; retries: number }> {
    const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    let lease = expectedSha;
    for (let retries = 0; ; retries++) {
      // `head` is HEAD's sha before the first attempt only: a re-applied update is a new commit.
      const result = await this.push(branch, lease, retries === 0 ? options.head : undefined);
      if (result.status === 'pushed') return { sha: result.sha, retries };
      if (retries >= maxRetries) {
        throw new FailureError(
          `git: the push to ${branch} was rejected ${retries + 1} times because the branch moved each time ` +
            '(someone else is pushing to it); giving up',
        );
      }
      lease = await this.fetchBranch(branch);
      await reapply(lease);
    }
  }

  /** Deletes `refs/heads/<branch>` on the remote (only if still at `expectedSha` when given); `absent` when it was not there. */
  async deleteRemoteBranch(branch: string, expectedSha?: string): Promise<'deleted' | 'absent'> {
    assertBranchName(branch);
    const lease = expectedSha === undefined ? [] : [`--force-with-lease=refs/heads/${branch}:${expectedSha}`];
    try {
      await this.withoutLazyFetch(() =>
        this.git('remote', `deletion of ${branch}`, (git) =>
          // A short name is matched against the advertised refs, so a missing branch is reported; a full
          // `refs/heads/...` (or `:ref`) "deletes" it with only a warning on stderr.
          git.raw(['push', '--porcelain', ...lease, REMOTE, '--delete', branch]),
        ),
      );
    } catch (error) {
      if (error instanceof HephestusError && /remote ref does not exist/.test(error.message)) return 'absent';
      throw error;
    }
    await this.git('local', `removal of ${trackingRef(branch)}`, (git) =>
      git.raw(['update-ref', '-d', trackingRef(branch)]),
    );
    return 'deleted';
  }

  /** Runs one git command in the clone; see {@link run}. */
  private git<T>(
    kind: GitCommandKind,
    what: string,
    task: (git: SimpleGit) => Promise<T>,
    env?: Record<string, string>,
  ): Promise<T> {
    return this.run(this.dir, kind, what, task, env);
  }

  /** Runs `task` on a simple-git bound to `baseDir` with credentials, a clean environment and a timeout; errors come back redacted. */
  private async run<T>(
    baseDir: string,
    kind: GitCommandKind,
    what: string,
    task: (git: SimpleGit) => Promise<T>,
    env: Record<string, string> = {},
  ): Promise<T> {
    const { token, origin, redactor, timeoutMs, stallSeconds } = this.settings;
    const deadlines = ['http.lowSpeedLimit=1000', `http.lowSpeedTime=${stallSeconds}`];
    // Only commands that talk to the remote get the token. In a blobless clone any command may fetch a missing
    // file's contents, so there every command gets it.
    const credentials = kind === 'remote' || this.settings.partial ? credentialEntries(token, origin) : [];
    const git = simpleGit({
      baseDir,
      config: deadlines,
      timeout: { block: timeoutMs },
      unsafe: GIT_UNSAFE_ALLOWED,
    }).env(commandEnvironment(origin, credentials, env));
    try {
      return await task(git);
    } catch (error) {
      throw redactGitError(error, redactor, what, kind);
    }
  }
}

const DEFAULT_STALL_SECONDS = 30;

function stallSecondsFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.HEPHESTUS_GIT_STALL_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_STALL_SECONDS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 600) {
    throw new InputError(`must be a whole number of seconds from 1 to 600, not ${JSON.stringify(raw)}`, {
      setting: 'HEPHESTUS_GIT_STALL_SECONDS',
    });
  }
  return value;
}

/** The partial clone's filter: no file contents, or none bigger than `limitBytes`. */
function blobFilter(limitBytes: number | undefined): string {
  return limitBytes === undefined ? 'blob:none' : `blob:limit=${limitBytes}`;
}

/** A `--no-cone` sparse-checkout pattern matching `path` (a file or directory from the root) and nothing else. */
export function sparsePattern(path: string): string {
  const clean = path
    .replace(/\\/g, '/')
    .replace(/^\.?\//, '')
    .replace(/\/+$/, '');
  // gitignore syntax: `*`, `?`, `[` and `\` are wildcards or escapes, a leading `!` or `#` negates or comments.
  return `/${clean.replace(/[*?[\\!#]/g, (c) => `\\${c}`)}`;
}

/** The remote-tracking ref a fetched branch is kept in. */
export function trackingRef(branch: string): string {
  return `refs/remotes/${REMOTE}/${branch}`;
}

/** The commits whose author or committer is not one of `ours` (compared by email, case-insensitively). */
export function foreignCommits(
  commits: readonly CommitSummary[],
  ours: readonly GitIdentity[],
): CommitSummary[] {
  const emails = new Set(ours.map((identity) => identity.email.toLowerCase()));
  return commits.filter(
    (commit) =>
      !emails.has(commit.authorEmail.toLowerCase()) || !emails.has(commit.committerEmail.toLowerCase()),
  );
}

/**
 * Refuses branch names git would refuse (git-check-ref-format's rules) and names starting with `-`, which a
 * command line would read as an option.
 */
export function assertBranchName(name: string): string {
  if (!isBranchName(name))
    throw new InputError(`not a valid branch name: ${JSON.stringify(name)}`, { setting: 'branch' });
  return name;
}
