/**
 * The one tiny HTTP layer every sandbox service shares: a method + path-pattern router,
 * a request log (so tests and benchmarks count calls), and scripted faults.
 *
 * node:http and a dozen lines of matching are enough here; a framework would add weight
 * to a module that only ever serves loopback tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isUnshaped, type ShapedFront, type Shaping, type ShapingStats, shapedFront } from './shaping.js';

export interface SandboxRequest {
  method: string;
  url: URL;
  /** Path parameters from the route pattern (`/repos/:owner/:repo` gives `owner` and `repo`), URL-decoded. */
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: Buffer;
  raw: IncomingMessage;
  rawResponse: ServerResponse;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string | number>;
  /** Objects and arrays are sent as JSON; strings and buffers as they are. */
  body?: unknown;
}

/** Returned by a handler that wrote to `rawResponse` itself (git http-backend streams). */
export const HANDLED = Symbol('handled');

export type Handler = (
  req: SandboxRequest,
) => Promise<SandboxResponse | typeof HANDLED> | SandboxResponse | typeof HANDLED;

export interface RecordedCall {
  service: string;
  method: string;
  /** The matched route pattern, e.g. `GET /repos/:owner/:repo/pulls`. */
  route: string;
  path: string;
  status: number;
  at: number;
  /**
   * When the request reached the service and when its answer was written, in milliseconds on a clock shared by
   * processes (`performance.timeOrigin + performance.now()`), so calls to several services can be ordered and
   * their overlap found (critical-path.ts).
   */
  start: number;
  end: number;
}

/** Now on a clock that processes share, with sub-millisecond resolution. */
export function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

/** A scripted fault: the next `times` calls matching `route` (a route pattern, or `*`) get `respond` instead. */
export interface Fault {
  route: string;
  times: number;
  respond?: SandboxResponse;
  /** Delay before answering (or before the normal handler runs when `respond` is absent), in milliseconds. */
  delayMs?: number;
  /** Drop the connection without answering. */
  hangUp?: boolean;
  /** Skip this many matching calls before the fault starts (for "rate-limit after K calls"). */
  after?: number;
}

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: Handler;
}

/** The shaped link each request came through (set by `listen`), read when the router records the call. */
const requestLinks = new WeakMap<
  IncomingMessage,
  { shaping: Shaping; takeHandshake(remotePort: number | undefined): number }
>();

export class Router {
  private readonly routes: Route[] = [];
  private readonly faults: Fault[] = [];
  readonly calls: RecordedCall[] = [];
  constructor(readonly service: string) {}

  /** Registers `handler` for `method` (or `*`) and a pattern such as `/repos/:owner/:repo/pulls/:number`. A trailing `*` key (`/:rest*`) matches the rest of the path. */
  on(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const source = pattern
      .split('/')
      .map((part) => {
        if (part.startsWith(':')) {
          const greedy = part.endsWith('*');
          keys.push(greedy ? part.slice(1, -1) : part.slice(1));
          return greedy ? '(.*)' : '([^/]+)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method, pattern, regex: new RegExp(`^${source}/?$`), keys, handler });
    return this;
  }

  /** Scripts a fault; see {@link Fault}. Route is `METHOD /pattern` as registered, or `*` for every call. */
  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Calls recorded so far whose route matches `route` (`METHOD /pattern`), or all. */
  count(route?: string): number {
    return route
      ? this.calls.filter((c) => `${c.method} ${c.route}` === route || c.route === route).length
      : this.calls.length;
  }

  readonly listener = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const method = req.method ?? 'GET';
    const route = this.routes.find(
      (r) => (r.method === method || r.method === '*') && r.regex.test(url.pathname),
    );
    const routeName = route
      ? `${route.method === '*' ? method : route.method} ${route.pattern}`
      : `${method} ${url.pathname}`;
    // Recorded as the client sees the call: half a round trip before the request arrived (a whole one more for
    // the handshake of a new connection) and half a round trip after the answer left, so that requests a client
    // made together overlap in the record however quickly the service answered each.
    const link = requestLinks.get(req);
    const oneWayMs = (link?.shaping.latencyMs ?? 0) / 2;
    const start = sharedNow() - oneWayMs - (link?.takeHandshake(req.socket.remotePort) ?? 0);
    const record = (status: number) =>
      this.calls.push({
        service: this.service,
        method,
        route: route?.pattern ?? url.pathname,
        path: url.pathname,
        status,
        at: Date.now(),
        start,
        end: sharedNow() + oneWayMs,
      });
    try {
      const fault = this.takeFault(routeName);
      if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault?.hangUp) {
        record(0);
        req.socket.destroy();
        return;
      }
      if (fault?.respond) {
        await readBody(req);
        record(fault.respond.status);
        send(res, fault.respond);
        return;
      }
      if (!route) {
        await readBody(req);
        record(404);
        send(res, { status: 404, body: { message: 'Not Found', service: this.service, path: url.pathname } });
        return;
      }
      const match = route.regex.exec(url.pathname);
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(match?.[i + 1] ?? '');
      });
      // git http-backend reads the request body itself, so raw handlers get the stream unread.
      const body = isStreamingGit(url) ? Buffer.alloc(0) : await readBody(req);
      const result = await route.handler({
        method,
        url,
        params,
        headers: req.headers,
        body,
        raw: req,
        rawResponse: res,
      });
      if (result === HANDLED) {
        // A streamed answer ends when its last byte is written, not when the handler returns.
        if (res.writableFinished) record(res.statusCode);
        else res.once('close', () => record(res.statusCode));
        return;
      }
      record(result.status);
      send(res, result);
    } catch (error) {
      record(500);
      if (!res.headersSent)
        send(res, { status: 500, body: { message: `sandbox ${this.service}: ${(error as Error).message}` } });
      else res.destroy();
    }
  };

  private takeFault(routeName: string): Fault | undefined {
    const index = this.faults.findIndex((f) => f.route === '*' || f.route === routeName);
    if (index < 0) return undefined;
    const fault = this.faults[index] as Fault;
    if (fault.after && fault.after > 0) {
      fault.after--;
      return undefined;
    }
    fault.times--;
    if (fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }
}

/** Git's smart-HTTP POSTs are piped to `git http-backend` unread. */
function isStreamingGit(url: URL): boolean {
  return url.pathname.endsWith('/git-upload-pack') || url.pathname.endsWith('/git-receive-pack');
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function send(res: ServerResponse, response: SandboxResponse): void {
  const headers: Record<string, string | number> = { ...response.headers };
  let payload: Buffer | string | undefined;
  if (response.body === undefined) payload = undefined;
  else if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) payload = response.body;
  else {
    payload = JSON.stringify(response.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json; charset=utf-8';
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  /** The link clients reach it through; change its fields to reshape a running service. */
  shaping: Shaping;
  /** What the shaping front carried (zeros when the service was started unshaped). */
  shapingStats: ShapingStats;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** 0 (default) for a free port. */
  port?: number;
  /**
   * Round-trip latency and bandwidth between clients and this service (shaping.ts). The one place every sandbox
   * service gets it: when set, clients reach the service through a shaping front on the advertised port.
   */
  shaping?: Shaping;
}

/**
 * Listens on 127.0.0.1 on a free port (or `port`), shaped as `shaping` asks. A router may listen more than once,
 * shaped differently on each port (the benchmarks measure one service over loopback and over a slow link).
 */
export async function listen(
  listener: Router['listener'],
  options: ListenOptions | number = {},
): Promise<RunningServer> {
  const { port = 0, shaping: asked } = typeof options === 'number' ? { port: options } : options;
  const shaping: Shaping = { latencyMs: 0, ...asked };
  let front: ShapedFront | undefined;
  const link = {
    shaping,
    takeHandshake: (remotePort: number | undefined) => front?.takeHandshake(remotePort) ?? 0,
  };
  const server = createServer((req, res) => {
    if (front) requestLinks.set(req, link);
    void listener(req, res);
  });
  // Unshaped, clients talk to the service directly (no proxy hop), as they did before shaping existed.
  const shaped = !isUnshaped(asked);
  // Shaped, connections stay open as a real service keeps them (a minute): undici reuses a connection only
  // while the server's Keep-Alive hint, less a second of margin, has not passed, so 1 s meant a new connection
  // (and one more round trip) for every request, which no client of GitHub or AWS pays.
  server.keepAliveTimeout = shaped ? 60_000 : 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(shaped ? 0 : port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  front = shaped ? await shapedFront(address.port, () => shaping, port) : undefined;
  const publicPort = front?.port ?? address.port;
  return {
    url: `http://127.0.0.1:${publicPort}`,
    port: publicPort,
    server,
    shaping,
    shapingStats: front?.stats ?? { connections: 0, bytesUp: 0, bytesDown: 0 },
    close: async () => {
      await front?.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
