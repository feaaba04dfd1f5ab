/**
 * The sandbox's GitHub: the REST endpoints Hephestus uses (repos, refs, pulls, merges, comments,
 * labels, reviewers, compare) and git smart HTTP on one router, over real bare repositories.
 * Status codes, error bodies, pagination and rate-limit headers follow GitHub; responses carry
 * the fields GitHub's OpenAPI schemas require (test/sandbox/openapi.ts checks every one).
 *
 * Each route module (`users`, `repos`, `refs`, `git-data`, `compare`, `pulls`, `pull-merge`, `checks`,
 * `issues`) registers its endpoints on the one `api` over the shared {@link GitHubWorld}; this module only
 * composes them and adds what tests and the demo call directly.
 */

import { Router } from '../http.js';
import { seedBareRepo } from '../seed-repos.js';
import * as checks from './checks.js';
import * as compare from './compare.js';
import * as gitData from './git-data.js';
import { bareRepoDir, registerGitHttp } from './git-http.js';
import { createApiRoutes, type GitHubExchange, newRateWindow, timestamp } from './github-api.js';
import { gitHubFaults, landPendingPushRejection } from './github-faults.js';
import {
  emptyGitHubState,
  type GitHubState,
  nextId,
  type SandboxIssue,
  type SandboxPull,
  type SandboxRepo,
  type SandboxReview,
} from './github-state.js';
import { type GitHubWorld, syncRepo } from './github-world.js';
import * as issues from './issues.js';
import * as pullMerge from './pull-merge.js';
import * as pulls from './pulls.js';
import * as refs from './refs.js';
import * as repos from './repos.js';
import * as users from './users.js';

export type { GitHubExchange } from './github-api.js';

export interface GitHubServiceOptions {
  /** Where the bare repositories live (`<reposDir>/<owner>/<repo>.git`). */
  reposDir: string;
  /** The one token the sandbox accepts, for REST and git alike. */
  token: string;
  /** The login the token belongs to: author of PRs and comments it creates, merger of PRs. */
  login?: string;
  /** Overrides the URL objects point at; by default taken from each request's Host header. */
  baseUrl?: string;
  /** Sees every REST exchange a handler answered (the fidelity tests validate them against the OpenAPI description). */
  observe?: (exchange: GitHubExchange) => void;
}

/** The REST route modules, in registration order. */
const ROUTE_MODULES = [users, repos, refs, gitData, compare, pulls, pullMerge, checks, issues];

/** Creates the GitHub service: its router (REST + git), its state, and helpers for tests and the demo. */
export function createGitHubService(options: GitHubServiceOptions) {
  const router = new Router('github');
  const state: GitHubState = emptyGitHubState();
  const login = options.login ?? 'hephestus-bot';
  // Token -> login: the bot's token, plus the people tests add (an attacker commenting, a fork's author).
  const logins = new Map<string, string>([[options.token, login]]);
  const rate = newRateWindow();
  const world: GitHubWorld = {
    state,
    merger: { name: login, email: `${login}@users.noreply.sandbox.invalid` },
    pendingPullRaces: [],
    pendingPushRejections: [],
  };

  const api = createApiRoutes(router, rate, {
    users: logins,
    baseUrl: options.baseUrl,
    observe: options.observe,
  });
  for (const routes of ROUTE_MODULES) routes.register(api, world);
  // Git smart HTTP on the same port, after the REST routes.
  registerGitHttp(router, {
    reposDir: options.reposDir,
    isToken: (token) => logins.has(token),
    beforePush: (owner, name) => landPendingPushRejection(world, owner, name),
    afterPush: async (owner, name) => {
      const repo = state.repos.get(`${owner}/${name}`);
      if (!repo) return;
      repo.pushedAt = timestamp();
      await syncRepo(state, repo);
    },
  });

  return {
    router,
    state,
    /** Creates `owner/name` as a bare repository holding `fixtureDir`'s files on `main`; returns the commit sha. */
    seedRepo: (fullName: string, fixtureDir: string) =>
      seedRepo(state, options.reposDir, fullName, fixtureDir),
    /** The repository `owner/name`, or throws. */
    repo(fullName: string): SandboxRepo {
      const repo = state.repos.get(fullName);
      if (!repo) throw new Error(`sandbox github: no repository ${fullName}`);
      return repo;
    },
    /** The pull requests of `owner/name`, oldest first. */
    pulls(fullName: string): SandboxPull[] {
      return state.pulls.filter((p) => p.repo === fullName);
    },
    /** The issues of `owner/name` that are not pull requests, oldest first. */
    issues(fullName: string): SandboxIssue[] {
      return state.issues.filter((i) => i.repo === fullName);
    },
    /** Comments on `owner/name#number`, oldest first. */
    comments(fullName: string, number: number) {
      return state.comments.filter((c) => c.repo === fullName && c.issueNumber === number);
    },
    /** A token of a second person, `login`, for the REST API and git alike (an attacker, a fork's author). */
    addUser(user: string): string {
      const token = `ghp_sandbox_${user.replace(/\W/g, '')}_${(logins.size + 1).toString(36)}${Date.now().toString(36)}`;
      logins.set(token, user);
      return token;
    },
    /** A review on `owner/name#number` by `user` (someone other than the token's owner), on the PR's head. */
    addReview: (
      fullName: string,
      number: number,
      review: { user: string; state: SandboxReview['state']; body?: string },
    ) => addReview(state, fullName, number, review),
    /** The clone URL path of `owner/name` (append to the server URL). */
    clonePath: (fullName: string) => `/${fullName}.git`,
    /** Re-reads `owner/name`'s branches from disk (after a test changed the bare repository directly). */
    sync: (fullName: string) => syncRepo(state, state.repos.get(fullName) as SandboxRepo),
    faults: gitHubFaults(router, rate, world),
  };
}

export type GitHubService = ReturnType<typeof createGitHubService>;

/** A fresh repository `owner/name` under `reposDir`, seeded with `fixtureDir` on `main`; returns the commit sha. */
async function seedRepo(state: GitHubState, reposDir: string, fullName: string, fixtureDir: string) {
  const [owner = '', name = ''] = fullName.split('/');
  const dir = bareRepoDir(reposDir, owner, name);
  const sha = await seedBareRepo(dir, fixtureDir);
  const now = timestamp();
  const repo: SandboxRepo = {
    id: nextId(state),
    owner,
    name,
    fullName,
    dir,
    defaultBranch: 'main',
    branches: {},
    createdAt: now,
    pushedAt: now,
    labels: [],
  };
  state.repos.set(fullName, repo);
  await syncRepo(state, repo);
  return sha;
}

/** Reviews come from other people, whom no test drives through the API: the test adds them here. */
function addReview(
  state: GitHubState,
  fullName: string,
  number: number,
  review: { user: string; state: SandboxReview['state']; body?: string },
): SandboxReview {
  const pr = state.pulls.find((p) => p.repo === fullName && p.number === number);
  if (!pr) throw new Error(`sandbox github: no pull request ${fullName}#${number}`);
  const added: SandboxReview = {
    id: nextId(state),
    repo: fullName,
    pullNumber: number,
    user: review.user,
    state: review.state,
    body: review.body ?? '',
    commitId: pr.head.sha,
    submittedAt: timestamp(),
  };
  state.reviews.push(added);
  return added;
}
