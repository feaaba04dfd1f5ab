/**
 * The sandbox's GitHub for the benchmarks, in a process of its own (started and driven over IPC by
 * github-sandbox.ts), as GitHub is to a real run: the server's work (git http-backend, pack generation, its
 * bookkeeping) then neither blocks the measured client's event loop nor makes its process large, which makes
 * every process it spawns slower to fork (measured: a `git` spawn from a 450 MB process costs 7x one from a
 * 50 MB process). The shell floor and the flow talk to this same server.
 */
import { git } from '../src/sandbox/github/bare-repo.js';
import { createGitHubService } from '../src/sandbox/github/github-service.js';
import { listen, type RunningServer } from '../src/sandbox/http.js';
import { seedDirs } from '../src/sandbox/seed-repos.js';
import type { Shaping } from '../src/sandbox/shaping.js';
import { cpuSeconds } from './measure.js';

/** What the benchmark process can ask of the server. */
export type ServerOp =
  | { op: 'seed'; fullName: string }
  | { op: 'sync'; fullName: string }
  | { op: 'callCount' }
  | { op: 'callsSince'; index: number }
  | { op: 'cpuSeconds' }
  /** Serves the same GitHub on one more port, through a shaped link (src/sandbox/shaping.ts); its URL. */
  | { op: 'listenShaped'; shaping: Shaping }
  | { op: 'stop' };

/** An operation as sent, answered with the same `id`. */
export type ServerRequest = ServerOp & { id: number };

const [reposDir, token] = process.argv.slice(2);
if (!reposDir || !token || !process.send)
  throw new Error('usage: forked with <reposDir> <token> and an IPC channel');
const send = process.send.bind(process);

const service = createGitHubService({ reposDir, token });
const server = await listen(service.router.listener);
const shapedServers: RunningServer[] = [];

async function handle(request: ServerRequest): Promise<unknown> {
  switch (request.op) {
    case 'seed': {
      await service.seedRepo(request.fullName, seedDirs.serviceRepo);
      const dir = service.repo(request.fullName).dir;
      // GitHub serves partial clones; without this http-backend would ignore --filter=blob:none.
      await git(dir, ['config', 'uploadpack.allowFilter', 'true']);
      return { dir, clonePath: service.clonePath(request.fullName) };
    }
    case 'sync':
      return service.sync(request.fullName);
    case 'callCount':
      return service.router.calls.length;
    case 'callsSince':
      return service.router.calls.slice(request.index);
    case 'cpuSeconds':
      return cpuSeconds();
    case 'listenShaped': {
      const shaped = await listen(service.router.listener, { shaping: request.shaping });
      shapedServers.push(shaped);
      return shaped.url;
    }
    case 'stop':
      await Promise.all(shapedServers.map((shaped) => shaped.close()));
      await server.close();
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (request: ServerRequest) => {
  handle(request).then(
    (result) => send({ id: request.id, result }),
    (error: unknown) =>
      send({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
send({ ready: server.url });
