import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ResolvedConfig } from "../config/resolve.js";
import { guardPendingConnections } from "./connection-guard.js";
import type { NodeHandler } from "./node-handler.js";

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  /** Graceful stop: refuse new requests, let in-flight ones finish (or end them with an error), close. */
  close(): Promise<void>;
}

/** What serving a gateway over HTTP needs of it. */
export interface Listenable {
  readonly config: ResolvedConfig;
  readonly handler: NodeHandler;
  readonly ready: Promise<void>;
  drain(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function listen(gateway: Listenable, options: { host?: string; port?: number } = {}): Promise<RunningServer> {
  // A database that cannot open fails the start, not the first request.
  await gateway.ready;
  const host = options.host ?? gateway.config.server.host;
  const { handler } = gateway;
  const limits = gateway.config.server;
  // Headers must come within headersTimeoutMs (checked every second); a body's own deadline is the handler's (bodyTimeoutMs).
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: 1_000 }, (req, res) => handler(req, res));
  guardPendingConnections(server, limits.maxPendingConnections);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? gateway.config.server.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await gateway.drain();
        await gateway.close();
        // Let the last frames of finished responses reach their clients before cutting what is left.
        server.closeIdleConnections();
        await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
