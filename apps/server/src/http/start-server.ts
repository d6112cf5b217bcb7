/**
 * Serves an app on host:port with a graceful close: stop accepting, let in-flight requests finish until
 * the deadline, then cut the remaining connections (their request signals abort, so the engine frees
 * their KV), and resolve. The CLI wires SIGTERM to `close`.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export interface StartServerOptions {
  host: string;
  /** 0 = any free port */
  port: number;
}

export interface RunningServer {
  /** base URL, e.g. http://127.0.0.1:30000 */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** stops accepting, waits up to deadlineMs for in-flight requests, then aborts them; idempotent */
  close(deadlineMs: number): Promise<void>;
}

export function startServer(app: Hono, opts: StartServerOptions): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }) as Server;
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      const { port } = server.address() as AddressInfo;
      const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${host}:${port}`,
        port,
        server,
        close: (deadlineMs) => (closing ??= closeGracefully(server, deadlineMs)),
      });
    });
  });
}

function closeGracefully(server: Server, deadlineMs: number): Promise<void> {
  return new Promise((resolve) => {
    // keep-alive connections that finish their response become idle; close those as they appear
    const sweep = setInterval(() => server.closeIdleConnections(), 25);
    const deadline = setTimeout(() => server.closeAllConnections(), Math.max(0, deadlineMs));
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
