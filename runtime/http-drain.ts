/**
 * Graceful shutdown of a node:http server without resetting a connection:
 * the connections are tracked (requests in progress, last activity); once
 * the caller has answered what it accepted, the listener stays open until
 * the connections have been quiet for a moment (late arrivals still get an
 * answer — the caller's 503; at most `maxQuietWaitMs`), then stops listening without touching the open
 * sockets (node's `server.close()` would destroy idle ones, resetting any
 * whose next request is already on the wire); an idle keep-alive socket is
 * then ended with a FIN once it has been idle for the quiet time, a busy one
 * closes after its response (the caller sends `Connection: close`).
 * Invariant: a socket is destroyed outright only past `hardTimeoutMs`.
 */
import type http from 'node:http';
import net from 'node:net';

interface SocketState {
  /** Requests read on this socket and not yet answered. */
  busy: number;
  /** When the socket last started or finished a request (ms, performance clock). */
  last: number;
  ending: boolean;
}

/** Options of `drainServer`. Example: `{ quietMs: 100, hardTimeoutMs: 30000 }`. */
export interface DrainOptions {
  /** How long the connections must be quiet (no new connection, no request) before the listener closes (default 100 ms). */
  quietMs?: number;
  /** The longest the listener waits for quiet (default 1 s): clients that keep sending after their 503 do not hold the shutdown. */
  maxQuietWaitMs?: number;
  /** After this long the listener closes and every socket is destroyed, answered or not (default 30 s). */
  hardTimeoutMs?: number;
}

/**
 * Tracks a server's connections from its creation on, so `drain` can close
 * them gracefully.
 *
 * ```ts
 * const tracker = new ConnectionTracker(server);
 * // ... on shutdown, after answering the accepted requests:
 * await tracker.drain({ quietMs: 100 });
 * ```
 */
export class ConnectionTracker {
  private readonly sockets = new Map<net.Socket, SocketState>();
  private lastEvent = performance.now();
  private onEmpty: (() => void) | null = null;

  constructor(private readonly server: http.Server) {
    server.on('connection', (socket: net.Socket) => {
      const state: SocketState = { busy: 0, last: performance.now(), ending: false };
      this.lastEvent = state.last;
      this.sockets.set(socket, state);
      socket.once('close', () => {
        this.sockets.delete(socket);
        if (this.sockets.size === 0) this.onEmpty?.();
      });
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const state = this.sockets.get(req.socket);
      if (!state) return;
      state.busy++;
      state.last = this.lastEvent = performance.now();
      res.once('close', () => {
        state.busy--;
        state.last = this.lastEvent = performance.now();
      });
    });
  }

  /** Open connections now. */
  get size(): number {
    return this.sockets.size;
  }

  /**
   * Waits until the connections are quiet, stops listening, ends idle
   * sockets gracefully, and resolves once every socket has closed.
   */
  async drain(options: DrainOptions = {}): Promise<void> {
    const quietMs = options.quietMs ?? 100;
    const start = performance.now();
    const hard = start + (options.hardTimeoutMs ?? 30_000);
    const quietBy = Math.min(hard, start + (options.maxQuietWaitMs ?? 1000));
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(1, ms)));
    // 1. Quiet: nothing new for quietMs (late arrivals are answered by the caller meanwhile), within maxQuietWaitMs.
    while (performance.now() < quietBy) {
      const busy = [...this.sockets.values()].some((s) => s.busy > 0);
      const since = performance.now() - this.lastEvent;
      if (!busy && since >= quietMs) break;
      await sleep(busy ? quietMs : quietMs - since);
    }
    // 2. Stop listening; net.Server's close leaves open sockets alone (http.Server's would destroy idle ones).
    const listenerClosed = new Promise<void>((r) => net.Server.prototype.close.call(this.server, () => r()));
    // 3. End idle sockets once idle for quietMs; busy ones close after their answer (Connection: close).
    const allClosed = this.sockets.size === 0 ? Promise.resolve() : new Promise<void>((r) => (this.onEmpty = r));
    while (this.sockets.size > 0 && performance.now() < hard) {
      const now = performance.now();
      for (const [socket, s] of this.sockets) {
        if (s.busy === 0 && !s.ending && now - s.last >= quietMs) {
          s.ending = true;
          socket.end();
          // A peer that does not close its side is let go after the quiet time again.
          setTimeout(() => socket.destroy(), Math.max(quietMs, 1000)).unref();
        }
      }
      await Promise.race([allClosed, sleep(Math.min(quietMs, 50))]);
    }
    for (const socket of this.sockets.keys()) socket.destroy();
    await Promise.all([allClosed, listenerClosed]);
  }
}
