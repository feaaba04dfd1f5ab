/**
 * The sandbox's GitHub service served from the benchmark's own process, with helpers to seed repositories, build
 * clients and count the REST and git calls a piece of work made. Children that talk to it (git) must be spawned
 * asynchronously: a blocking spawn would stop the server that answers them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GitIdentity } from '../src/git/git-repository.js';
import { GitHubClient } from '../src/github/github-client.js';
import { git } from '../src/sandbox/bare-repo.js';
import { createGitHubService, type GitHubService } from '../src/sandbox/github.js';
import { listen, type RecordedCall } from '../src/sandbox/http.js';
import { seedDirs } from '../src/sandbox/seed-repos.js';

export const BENCH_TOKEN = `ghs_bench${'5c1d'.repeat(6)}`;
export const BOT: GitIdentity = { name: 'Hephestus Bot', email: 'hephestus-bot@example.com' };

export interface BenchGitHub {
  service: GitHubService;
  url: string;
  tmp: string;
  /** Seeds `fullName` with the service repository's files (and GitHub's partial-clone support); its bare directory. */
  seed(fullName: string): Promise<string>;
  cloneUrl(fullName: string): string;
  /** A client without GitHub's write pacing (see the fan-out benchmark for what the pacing costs). */
  client(): GitHubClient;
  /** Calls recorded from now on. */
  record(): { done(): RecordedCall[] };
  stop(): Promise<void>;
}

/** Starts the GitHub service on a free loopback port. */
export async function startBenchGitHub(): Promise<BenchGitHub> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'hephestus-bench-github-'));
  const service = createGitHubService({ reposDir: path.join(tmp, 'repos'), token: BENCH_TOKEN });
  const server = await listen(service.router.listener);
  return {
    service,
    url: server.url,
    tmp,
    async seed(fullName) {
      await service.seedRepo(fullName, seedDirs.serviceRepo);
      const dir = service.repo(fullName).dir;
      // GitHub serves partial clones; without this http-backend would ignore --filter=blob:none.
      await git(dir, ['config', 'uploadpack.allowFilter', 'true']);
      return dir;
    },
    cloneUrl: (fullName) => `${server.url}${service.clonePath(fullName)}`,
    client: () =>
      new GitHubClient({ token: BENCH_TOKEN, baseUrl: server.url, pacing: false, retryBaseMs: 5 }),
    record() {
      const start = service.router.calls.length;
      return { done: () => service.router.calls.slice(start) };
    },
    async stop() {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** True for git smart-HTTP calls (clone, fetch, push), as opposed to REST calls. */
export function isGitCall(call: Pick<RecordedCall, 'path'>): boolean {
  return /\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/.test(call.path);
}

/** True for calls that change something (every method but GET and HEAD). */
export function isWrite(call: Pick<RecordedCall, 'method'>): boolean {
  return call.method !== 'GET' && call.method !== 'HEAD';
}
