/**
 * Network shaping for the sandbox: a round-trip latency and a per-connection bandwidth, so that clients on
 * loopback (Octokit, fetch, the AWS SDK, git, Packer) feel a link like the one a real run has to GitHub or AWS.
 *
 * The shaping sits in front of a service as a TCP proxy (see `shapedFront`), not inside the HTTP handler: every
 * byte then crosses the modelled link whatever wrote it (JSON answers, git http-backend's streamed packs, request
 * bodies a client uploads), and keep-alive, pipelining and new connections cost what they cost over TCP without
 * the handler knowing about requests at all.
 *
 * The model, per connection and per direction (`Link`): a chunk starts onto the wire when the link is free, takes
 * bytes / bandwidth to serialize, and arrives half a round trip later. A new connection first pays one round
 * trip (the handshake: the client cannot send before the SYN-ACK is back), so a request on a fresh connection
 * costs two round trips and one on a kept-alive connection one. Not modelled: TCP slow start, loss, TLS (which
 * would add a round trip per new connection on TLS 1.3), so the shaped figures are a lower bound of a real link.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Shaping {
  /** Round-trip time in milliseconds (0: none). */
  latencyMs: number;
  /** Bandwidth of each connection, each way, in megabits per second (0 or absent: unlimited). */
  bandwidthMbps?: number;
}

/** What a shaped front has done, for tests and benchmarks to count. */
export interface ShapingStats {
  /** Connections accepted, each charged one round trip for its handshake. */
  connections: number;
  /** Bytes carried from clients to the service and back. */
  bytesUp: number;
  bytesDown: number;
}

/** Parses `--latency-ms` / `--bandwidth-mbps` style values: a finite number of 0 or more. */
export function parseShapingNumber(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const number = Number(value);
  return value.trim() !== '' && Number.isFinite(number) && number >= 0 ? number : undefined;
}

/** True when `shaping` changes nothing (so no proxy is put in front of the service). */
export function isUnshaped(shaping: Shaping | undefined): boolean {
  return !shaping || (shaping.latencyMs <= 0 && !(shaping.bandwidthMbps && shaping.bandwidthMbps > 0));
}

/**
 * One direction of one connection. Pure bookkeeping over times in milliseconds, so the model is tested without
 * a clock: `deliver` tells when a chunk handed over at `now` arrives at the other end.
 */
export class Link {
  private freeAt: number;
  private lastArrival = 0;

  /** `openedAt`: when the link can first carry data (after the handshake, for the client's direction). */
  constructor(
    private readonly shaping: () => Shaping,
    openedAt = 0,
  ) {
    this.freeAt = openedAt;
  }

  deliver(bytes: number, now: number): number {
    const { latencyMs, bandwidthMbps } = this.shaping();
    const serializeMs = bandwidthMbps && bandwidthMbps > 0 ? (bytes * 8) / (bandwidthMbps * 1000) : 0;
    const start = Math.max(now, this.freeAt);
    this.freeAt = start + serializeMs;
    // In order even if the latency is changed while bytes are in flight.
    this.lastArrival = Math.max(this.lastArrival, this.freeAt + latencyMs / 2);
    return this.lastArrival;
  }
}

/** Copies `from` to `to` through `link`, each chunk released at its arrival time; pauses `from` when far ahead. */
function pump(from: Socket, to: Socket, link: Link, count: (bytes: number) => void): void {
  const queue: Array<{ at: number; chunk: Buffer }> = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const HIGH_WATER = 1024 * 1024;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && (queue[0] as { at: number }).at <= now + 0.5) {
      const { chunk } = queue.shift() as { at: number; chunk: Buffer };
      queuedBytes -= chunk.length;
      if (!to.destroyed) to.write(chunk);
    }
    if (queuedBytes < HIGH_WATER && from.isPaused()) from.resume();
    if (queue.length > 0) timer = setTimeout(flush, (queue[0] as { at: number }).at - now);
    else if (ended && !to.destroyed) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    queue.push({ at: link.deliver(chunk.length, performance.now()), chunk });
    queuedBytes += chunk.length;
    if (queuedBytes >= HIGH_WATER) from.pause();
    if (!timer) timer = setTimeout(flush, Math.max(0, (queue[0] as { at: number }).at - performance.now()));
  });
  from.on('end', () => {
    ended = true;
    if (!timer) flush();
  });
  from.on('error', () => to.destroy());
  from.on('close', () => {
    // An abrupt close (a reset, a hang-up fault) is passed on once the bytes before it have arrived.
    if (!ended) setTimeout(() => to.destroy(), Math.max(0, (queue.at(-1)?.at ?? 0) - performance.now()));
  });
}

export interface ShapedFront {
  server: Server;
  port: number;
  stats: ShapingStats;
  /**
   * The handshake a request arriving on the service's connection from `remotePort` paid: one round trip for the
   * first request of a connection, 0 afterwards (and for connections the front did not make).
   */
  takeHandshake(remotePort: number | undefined): number;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1:`port` (0: a free one) and carries every connection to `target` through the shaping
 * model; `shaping` is read for each chunk, so it can be changed while the service runs.
 */
export async function shapedFront(target: number, shaping: () => Shaping, port = 0): Promise<ShapedFront> {
  const stats: ShapingStats = { connections: 0, bytesUp: 0, bytesDown: 0 };
  const sockets = new Set<Socket>();
  const handshakes = new Map<number, number>();
  const server = createServer((client) => {
    stats.connections++;
    const service = connect(target, '127.0.0.1');
    const handshakeMs = shaping().latencyMs;
    service.once('connect', () => {
      if (service.localPort !== undefined) handshakes.set(service.localPort, handshakeMs);
    });
    sockets.add(client).add(service);
    client.on('close', () => sockets.delete(client));
    service.on('close', () => {
      sockets.delete(service);
      if (service.localPort !== undefined) handshakes.delete(service.localPort);
    });
    client.setNoDelay(true);
    service.setNoDelay(true);
    const opened = performance.now() + handshakeMs;
    pump(client, service, new Link(shaping, opened), (bytes) => {
      stats.bytesUp += bytes;
    });
    pump(service, client, new Link(shaping), (bytes) => {
      stats.bytesDown += bytes;
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    stats,
    takeHandshake(remotePort) {
      const handshakeMs = remotePort === undefined ? undefined : handshakes.get(remotePort);
      if (handshakeMs === undefined || remotePort === undefined) return 0;
      handshakes.set(remotePort, 0);
      return handshakeMs;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
