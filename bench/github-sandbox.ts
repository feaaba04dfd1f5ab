/**
 * The sandbox's GitHub for the benchmarks, run in a process of its own (github-server.ts, forked here and driven
 * over IPC), with helpers to seed repositories, build clients and count the REST and git calls a piece of work
 * made. The measured flows run in the benchmark's process and talk to it over loopback, as a real run talks
 * to GitHub.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GitIdentity } from '../src/git/git-repository.js';
import { GitHubClient } from '../src/github/github-client.js';
import type { RecordedCall } from '../src/sandbox/http.js';
import type { Shaping } from '../src/sandbox/shaping.js';
import type { ServerOp } from './github-server.js';

export const BENCH_TOKEN = `ghs_bench${'5c1d'.repeat(6)}`;
export const BOT: GitIdentity = { name: 'Hephestus Bot', email: 'hephestus-bot@example.com' };

export interface BenchGitHub {
  url: string;
  tmp: string;
  /** Seeds `fullName` with the service repository's files (and GitHub's partial-clone support); its bare directory. */
  seed(fullName: string): Promise<string>;
  /** Makes the server re-read `fullName`'s branches after its bare repository was changed behind its back. */
  sync(fullName: string): Promise<void>;
  cloneUrl(fullName: string): string;
  /** A client without GitHub's write pacing (see the fan-out benchmark for what the pacing costs). */
  client(): GitHubClient;
  /** Calls recorded from now on. */
  record(): Promise<{ done(): Promise<RecordedCall[]> }>;
  /** CPU seconds the server process and its children (git http-backend and friends) have used so far. */
  serverCpuSeconds(): Promise<number>;
  /**
   * The same GitHub (same repositories, pull requests and call record) reached through a shaped link on a port
   * of its own (src/sandbox/shaping.ts): what a run with that latency and bandwidth to GitHub sees.
   */
  shaped(shaping: Shaping): Promise<BenchGitHub>;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./github-server.ts', import.meta.url));

/** Starts the GitHub service in a child process on a free loopback port. */
export async function startBenchGitHub(): Promise<BenchGitHub> {
  const tmp = await mkdtemp(path.join(tmpdir(), 'hephestus-bench-github-'));
  const child = fork(SERVER, [path.join(tmp, 'repos'), BENCH_TOKEN], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const readyUrl = ready(child);
  const call = ipcCaller(child);
  const clonePaths = new Map<string, string>();
  const view = (url: string): BenchGitHub => ({
    url,
    tmp,
    async seed(fullName) {
      const { dir, clonePath } = (await call({ op: 'seed', fullName })) as { dir: string; clonePath: string };
      clonePaths.set(fullName, clonePath);
      return dir;
    },
    async sync(fullName) {
      await call({ op: 'sync', fullName });
    },
    cloneUrl: (fullName) => `${url}${clonePaths.get(fullName) ?? `/${fullName}.git`}`,
    client: () => new GitHubClient({ token: BENCH_TOKEN, baseUrl: url, pacing: false, retryBaseMs: 5 }),
    async record() {
      const start = (await call({ op: 'callCount' })) as number;
      return { done: async () => (await call({ op: 'callsSince', index: start })) as RecordedCall[] };
    },
    serverCpuSeconds: async () => (await call({ op: 'cpuSeconds' })) as number,
    shaped: async (shaping) => view((await call({ op: 'listenShaped', shaping })) as string),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await call({ op: 'stop' });
      await exited;
      await rm(tmp, { recursive: true, force: true });
    },
  });
  return view(await readyUrl);
}

function ready(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { ready?: string }) => {
      if (!message.ready) return;
      child.off('message', onMessage);
      resolve(message.ready);
    };
    child.on('message', onMessage);
    child.once('exit', (code) =>
      reject(new Error(`the bench GitHub server exited (${code}) before it listened`)),
    );
  });
}

/** Sends requests to the server and resolves each with its answer (matched by id). */
function ipcCaller(child: ChildProcess): (request: ServerOp) => Promise<unknown> {
  let next = 0;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  child.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
    if (message.id === undefined) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(`bench GitHub server: ${message.error}`));
    else waiter?.resolve(message.result);
  });
  return (request) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      child.send({ ...request, id });
    });
}

/** True for git smart-HTTP calls (clone, fetch, push), as opposed to REST calls. */
export function isGitCall(call: Pick<RecordedCall, 'path'>): boolean {
  return /\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/.test(call.path);
}

/** True for calls that change something (every method but GET and HEAD). */
export function isWrite(call: Pick<RecordedCall, 'method'>): boolean {
  return call.method !== 'GET' && call.method !== 'HEAD';
}
