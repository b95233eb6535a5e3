import { createGateway, type Gateway } from "../../src/gateway.js";
import type { ConfigInput } from "../../src/config/schema.js";
import type { RequestRecord } from "../../src/spec/request-record.js";
import { listen, type RunningServer } from "../../src/server/listen.js";

export interface TestGateway {
  url: string;
  /** Base URL for OpenAI-compatible clients. */
  baseURL: string;
  gateway: Gateway;
  server: RunningServer;
  records: RequestRecord[];
  /** Resolves with the record of the request whose x-request-id is given, once it is written. */
  recordOf(id: string | string[] | undefined): Promise<RequestRecord>;
  close(): Promise<void>;
}

/** Starts a real gateway on 127.0.0.1:0 with the given config and collects its request records. */
export async function startGateway(
  config: ConfigInput,
  options: {
    env?: Record<string, string>;
    identify?: Parameters<typeof createGateway>[0]["identify"];
    logger?: Parameters<typeof createGateway>[0]["logger"];
    clock?: () => number;
    log?: (message: string) => void;
    tools?: Parameters<typeof createGateway>[0]["tools"];
  } = {},
): Promise<TestGateway> {
  const records: RequestRecord[] = [];
  const waiters = new Map<string, (r: RequestRecord) => void>();
  const gateway = createGateway({
    config: { database: { url: "sqlite::memory:" }, ...config, server: { ...config.server, port: 0, host: "127.0.0.1" } },
    env: options.env ?? {},
    ...(options.identify ? { identify: options.identify } : {}),
    // Quiet unless a test captures the lines.
    logger: options.logger ?? false,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.log ? { log: options.log } : {}),
    ...(options.tools ? { tools: options.tools } : {}),
    onRecord: (r) => {
      records.push(r);
      waiters.get(r.id)?.(r);
      waiters.delete(r.id);
    },
  });
  const server = await listen(gateway);
  return {
    url: server.url,
    baseURL: `${server.url}/v1`,
    gateway,
    server,
    records,
    recordOf: (id) => {
      if (typeof id !== "string") return Promise.reject(new Error("response has no x-request-id"));
      const done = records.find((r) => r.id === id);
      return done ? Promise.resolve(done) : new Promise((resolve) => waiters.set(id, resolve));
    },
    close: () => server.close(),
  };
}
