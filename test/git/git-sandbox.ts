/**
 * The sandbox's GitHub service (git smart HTTP over `git http-backend`, basic auth with the token) with the
 * service repository seeded, and helpers to clone it with {@link GitRepository} and to look at the bare
 * repository behind it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CloneOptions, type GitIdentity, GitRepository } from '../../src/git/git-repository.js';
import { git, listBranches } from '../../src/sandbox/github/bare-repo.js';
import { createGitHubService, type GitHubService } from '../../src/sandbox/github/github-service.js';
import { listen, type RunningServer } from '../../src/sandbox/http.js';
import { seedDirs } from '../../src/sandbox/seed-repos.js';

/** A canary: the only token the sandbox accepts, searched for everywhere it must not appear. */
export const TOKEN = `ghs_gitCanary${'7f3a9c'.repeat(4)}`;
export const REPO = 'acme/vm-manager';
export const BASE = 'main';

export const BOT: GitIdentity = {
  name: 'Hephestus Bot',
  email: 'hephestus-bot@users.noreply.sandbox.invalid',
};
export const COMMITTER: GitIdentity = { name: 'Hephestus CI', email: 'ci@hephestus.invalid' };
export const PERSON: GitIdentity = { name: 'Ada Person', email: 'ada@example.invalid' };

export interface GitSandbox {
  service: GitHubService;
  server: RunningServer;
  url: string;
  /** The bare repository the server serves. */
  bareDir: string;
  tmp: string;
  /** Clones the repository's `main` into a fresh directory, as the bot. */
  clone(overrides?: Partial<CloneOptions>): Promise<GitRepository>;
  /** Branch name -> sha, read from the bare repository. */
  branches(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** Starts the GitHub service on a free port with the service repository seeded as `acme/vm-manager`. */
export async function startGitSandbox(): Promise<GitSandbox> {
  const tmp = await mkdtemp(join(tmpdir(), 'hephestus-git-test-'));
  const service = createGitHubService({ reposDir: join(tmp, 'repos'), token: TOKEN });
  await service.seedRepo(REPO, seedDirs.serviceRepo);
  // GitHub serves partial clones; without this, http-backend ignores `--filter=blob:none` and sends every blob,
  // and the lazy blob fetches of later checkouts (which need the credentials too) would go untested.
  await git(service.repo(REPO).dir, ['config', 'uploadpack.allowFilter', 'true']);
  const server = await listen(service.router.listener);
  const url = `${server.url}${service.clonePath(REPO)}`;
  let clones = 0;
  return {
    service,
    server,
    url,
    bareDir: service.repo(REPO).dir,
    tmp,
    clone: (overrides = {}) =>
      GitRepository.clone({
        url,
        token: TOKEN,
        dir: join(tmp, `clone-${++clones}`),
        branch: BASE,
        author: BOT,
        committer: COMMITTER,
        ...overrides,
      }),
    branches: () => listBranches(service.repo(REPO).dir),
    async close() {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
