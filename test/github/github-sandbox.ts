/**
 * The sandbox's GitHub service for the pull-request tests: one server per test file, a fresh repository per
 * test, every REST exchange checked against GitHub's OpenAPI description, and helpers to move branches
 * (through the sandbox's bare-repository helpers) and to count the calls a flow made.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubClient, type GitHubClientOptions } from '../../src/github/github-client.js';
import { PullRequests } from '../../src/github/pull-requests.js';
import { commitFileOnBranch, git, updateBranch } from '../../src/sandbox/github/bare-repo.js';
import { createGitHubService, type GitHubService } from '../../src/sandbox/github/github-service.js';
import { listen, type RecordedCall, type RunningServer } from '../../src/sandbox/http.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';
import { gitHubOpenApi } from '../sandbox/openapi.js';

/** A canary: the only token the sandbox accepts, searched for in every error. */
export const TOKEN = `ghs_prCanary${'4b7e21'.repeat(4)}`;
export const OWNER = 'acme';
/** The labels every test repository has. */
export const LABELS = ['images', 'automated', 'ready', 'hold'];
export const BOT = { name: 'Hephestus Bot', email: 'hephestus-bot@users.noreply.sandbox.invalid' };
export const PERSON = { name: 'Ada Person', email: 'ada@example.invalid' };

export interface SandboxRepo {
  fullName: string;
  owner: string;
  repo: string;
  prs: PullRequests;
  client: GitHubClient;
  /** Commits `files` on `branch` (created from main when missing), as `author`; the new sha. */
  commit(branch: string, files: Record<string, string>, author?: typeof BOT): Promise<string>;
}

export interface Harness {
  service: GitHubService;
  server: RunningServer;
  /** OpenAPI findings in the exchanges so far; tests expect none. */
  problems: string[];
  newRepo(): Promise<SandboxRepo>;
  /** A client for the sandbox without write pacing and with millisecond retry waits. */
  client(overrides?: Partial<GitHubClientOptions>): GitHubClient;
  /** The calls recorded from now on (call `done()` to read them). */
  record(): { done(): RecordedCall[] };
  close(): Promise<void>;
}

/** Starts the sandbox's GitHub service on a free port. */
export async function startHarness(): Promise<Harness> {
  const tmp = await mkdtemp(join(tmpdir(), 'hephestus-github-test-'));
  const openapi = gitHubOpenApi();
  const problems: string[] = [];
  const service = createGitHubService({
    reposDir: join(tmp, 'repos'),
    token: TOKEN,
    observe: (exchange) => {
      if (exchange.requestBody !== undefined) {
        problems.push(...openapi.validateRequest(exchange.method, exchange.path, exchange.requestBody));
      }
      problems.push(
        ...openapi.validateResponse(exchange.method, exchange.path, exchange.status, exchange.responseBody),
      );
    },
  });
  const server = await listen(service.router.listener);
  const client = (overrides: Partial<GitHubClientOptions> = {}) =>
    new GitHubClient({
      token: TOKEN,
      tokenSource: 'GITHUB_TOKEN',
      baseUrl: server.url,
      pacing: false,
      retryBaseMs: 5,
      ...overrides,
    });
  let repos = 0;
  return {
    service,
    server,
    problems,
    client,
    async newRepo() {
      const name = `images-${++repos}`;
      const fullName = `${OWNER}/${name}`;
      await service.seedRepo(fullName, seedDirs.serviceRepo);
      // Labels the sandbox would create itself get `description: null`, which GitHub's description of a
      // pull-request-simple does not allow; the tests' labels exist beforehand, as they would on GitHub.
      service.repo(fullName).labels.push(
        ...LABELS.map((label, i) => ({
          id: 900 + i,
          name: label,
          color: 'ededed',
          description: `${label} (test)`,
        })),
      );
      const dir = service.repo(fullName).dir;
      const repoClient = client();
      return {
        fullName,
        owner: OWNER,
        repo: name,
        client: repoClient,
        prs: new PullRequests(repoClient, { owner: OWNER, repo: name }),
        async commit(branch, files, author = BOT) {
          if (!service.repo(fullName).branches[branch]) {
            await updateBranch(dir, branch, await git(dir, ['rev-parse', 'refs/heads/main']), '');
          }
          let sha = '';
          for (const [path, content] of Object.entries(files)) {
            sha = await commitFileOnBranch(dir, branch, path, content, `Update ${path}`, author);
          }
          await service.sync(fullName);
          return sha;
        },
      };
    },
    record() {
      const start = service.router.calls.length;
      return { done: () => service.router.calls.slice(start) };
    },
    async close() {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** `METHOD /route` of each call, for readable assertions. */
export function routes(calls: readonly RecordedCall[]): string[] {
  return calls.map((c) => `${c.method} ${c.route}`);
}

/** The calls that write. */
export function writes(calls: readonly RecordedCall[]): RecordedCall[] {
  return calls.filter((c) => c.method !== 'GET' && c.method !== 'HEAD');
}
