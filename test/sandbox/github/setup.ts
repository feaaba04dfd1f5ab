/**
 * Starts only the GitHub service for its own tests, with every REST exchange validated against
 * GitHub's OpenAPI description, and small helpers to drive real `git` over HTTP.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Octokit } from '@octokit/rest';
import {
  createGitHubService,
  type GitHubExchange,
  type GitHubService,
} from '../../../src/sandbox/github/github-service.js';
import { listen, type RunningServer } from '../../../src/sandbox/http.js';
import { seedDirs } from '../../../src/sandbox/seed-repos.js';
import { gitHubOpenApi } from '../openapi.js';

export const TOKEN = 'ghs_sandboxTokenCanary0123456789';
export const REPO = 'acme/vm-manager';
export const [OWNER, NAME] = REPO.split('/') as [string, string];

export interface GitHubHarness {
  service: GitHubService;
  server: RunningServer;
  octokit: Octokit;
  /** Every exchange seen, and the schema problems found in them. */
  exchanges: GitHubExchange[];
  problems: string[];
  /** Request headers of every call, in order (to see what git clients send). */
  requestHeaders: Record<string, string | string[] | undefined>[];
  tmp: string;
  close(): Promise<void>;
}

/** Starts the GitHub service with the service repository seeded as `acme/vm-manager`. */
export async function startGitHub(): Promise<GitHubHarness> {
  const tmp = await mkdtemp(join(tmpdir(), 'sandbox-github-test-'));
  const openapi = gitHubOpenApi();
  const exchanges: GitHubExchange[] = [];
  const problems: string[] = [];
  const service = createGitHubService({
    reposDir: join(tmp, 'repos'),
    token: TOKEN,
    observe: (exchange) => {
      exchanges.push(exchange);
      if (exchange.requestBody !== undefined) {
        problems.push(...openapi.validateRequest(exchange.method, exchange.path, exchange.requestBody));
      }
      problems.push(
        ...openapi.validateResponse(exchange.method, exchange.path, exchange.status, exchange.responseBody),
      );
    },
  });
  await service.seedRepo(REPO, seedDirs.serviceRepo);
  const requestHeaders: GitHubHarness['requestHeaders'] = [];
  const server = await listen((req, res) => {
    requestHeaders.push(req.headers);
    return service.router.listener(req, res);
  });
  // Expected error statuses would otherwise each print a request-log line.
  const quiet = () => {};
  const octokit = new Octokit({
    auth: TOKEN,
    baseUrl: server.url,
    log: { debug: quiet, info: quiet, warn: console.warn, error: quiet },
  });
  return {
    service,
    server,
    octokit,
    exchanges,
    problems,
    requestHeaders,
    tmp,
    async close() {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real git CLI; the token travels in an `http.extraHeader`, never in a URL. */
export function runGit(
  args: string[],
  options: { cwd?: string; token?: string | null; input?: string } = {},
): Promise<GitRun> {
  const token = options.token === undefined ? TOKEN : options.token;
  const auth =
    token === null
      ? []
      : [
          '-c',
          `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
        ];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('GIT_')) env[k] = v;
  Object.assign(env, {
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
  });
  const identity = [
    '-c',
    'user.name=Hephestus Test',
    '-c',
    'user.email=test@sandbox.invalid',
    '-c',
    'credential.helper=',
  ];
  return new Promise((resolve) => {
    const child = execFile(
      'git',
      [...auth, ...identity, ...args],
      { cwd: options.cwd, env },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like {@link runGit} but throws on failure; returns trimmed stdout. */
export async function gitOk(args: string[], options: Parameters<typeof runGit>[1] = {}): Promise<string> {
  const result = await runGit(args, options);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Clones the seeded repository into a fresh directory under the harness's temp dir. */
export async function cloneRepo(
  h: GitHubHarness,
  name = `clone-${Math.random().toString(36).slice(2)}`,
): Promise<string> {
  const dir = join(h.tmp, name);
  await gitOk(['clone', '--quiet', `${h.server.url}/${REPO}.git`, dir]);
  return dir;
}

/** Writes `files` in `dir` and commits them. */
export async function commitFiles(
  dir: string,
  files: Record<string, string>,
  message: string,
): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await gitOk(['add', '--all'], { cwd: dir });
  await gitOk(['commit', '--quiet', '-m', message], { cwd: dir });
  return gitOk(['rev-parse', 'HEAD'], { cwd: dir });
}

/** Creates `branch` from main with one commit changing `files`, pushed to the sandbox; returns the commit sha. */
export async function pushBranch(
  h: GitHubHarness,
  branch: string,
  files: Record<string, string>,
  message = `Update ${branch}`,
): Promise<string> {
  const dir = await cloneRepo(h);
  await gitOk(['checkout', '--quiet', '-b', branch], { cwd: dir });
  const sha = await commitFiles(dir, files, message);
  await gitOk(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: dir });
  return sha;
}
