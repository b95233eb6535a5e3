import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { z } from "zod";
import { StaticKeys } from "./auth/static-keys.js";
import { AlertService } from "./alerts/alert-service.js";
import { budgetLines } from "./admin/budget-lines.js";
import { createBudgetStore } from "./budgets/create-budget-store.js";
import { resolveConfig, type ResolvedConfig } from "./config/resolve.js";
import type { ConfigInput } from "./config/schema.js";
import { ShuttingDownError } from "./errors/gateway-error.js";
import { newRequestId } from "./request-id.js";
import { Redactor } from "./errors/redact.js";
import { createIdempotencyStore } from "./idempotency/create-idempotency-store.js";
import { KeyStore } from "./keys/key-store.js";
import { VirtualKeys } from "./keys/virtual-keys.js";
import { OrgDirectory } from "./orgs/org-directory.js";
import { OrgStore } from "./orgs/org-store.js";
import { Journal } from "./ledger/journal.js";
import { recoverInterrupted } from "./ledger/recover-interrupted.js";
import { LedgerMaintenance } from "./ledger/ledger-maintenance.js";
import { LedgerWriter } from "./ledger/ledger-writer.js";
import { generateObject, type GenerateObjectOptions } from "./library/generate-object.js";
import { createResponseCache } from "./cache/create-response-cache.js";
import { BreakerRegistry } from "./engine/breaker-registry.js";
import { ClientClosedError } from "./engine/client-closed.js";
import { GatewayContext } from "./stages/context.js";
import { EndingSink } from "./stages/ending-sink.js";
import type { InboundRequest } from "./stages/inbound-request.js";
import { beginEntry, relayedTokens } from "./stages/journal-begin.js";
import { createPipeline } from "./stages/pipeline.js";
import { endedRecord } from "./stages/request-record.js";
import type { GatewayServices } from "./stages/context.js";
import type { RequestRecord } from "./spec/request-record.js";
import { PriceTable } from "./pricing/price-table.js";
import { createProviders } from "./providers/registry.js";
import { HttpTransport } from "./transport/http-transport.js";
import { createNodeHandler, type NodeHandler } from "./server/node-handler.js";
import type { ServedGateway } from "./server/served-gateway.js";
import type { GatewayLogger } from "./observability/logger.js";
import { Observability } from "./observability/observability.js";
import { openStore } from "./store/open-store.js";
import type { FunctionTool } from "./tools/define-tool.js";
import { ToolRegistry } from "./tools/registry.js";
import { createToolServices } from "./tools/tool-services.js";
import type { Sql } from "./store/sql.js";

export interface GatewayOptions {
  /** A resolved config, or a raw one (validated and resolved against `env`). */
  config: ResolvedConfig | ConfigInput;
  env?: Record<string, string | undefined>;
  /** Library mode: resolve the caller from the host app's request instead of Tollgate's keys. */
  identify?: GatewayServices["identify"];
  /** Also receives every request record (the ledger always does). */
  onRecord?: (record: RequestRecord) => void;
  /** Also receives operational warnings (store outages, failed settlements) as text; they are logged either way. */
  log?: (message: string) => void;
  /** A pino (or pino-compatible) logger for request and operational lines, or false for none. Default: JSON lines to stderr. */
  logger?: GatewayLogger | false;
  /** Where the response cache reads the time (epoch ms); tests move it to expire entries. */
  clock?: () => number;
  /** Library mode: function tools (`defineTool`) that routes may list beside the config's tools. */
  tools?: Record<string, FunctionTool>;
}

export interface Gateway {
  readonly config: ResolvedConfig;
  /** The gateway as a node:http handler, to mount in an existing server (Express, Fastify, http). */
  readonly handler: NodeHandler;
  /** Resolves once the database is open and migrated (requests wait for it too). */
  readonly ready: Promise<void>;
  /** False once draining for shutdown. */
  readonly accepting: boolean;
  readonly inflight: number;
  /** The Prometheus text of this gateway's metrics, for a host app to serve (rejects when metrics are disabled). */
  metrics(): Promise<string>;
  /** A typed object from a route, validated (and repaired) by the pipeline: docs/structured-output.md#library. */
  generateObject<S extends z.ZodType>(options: GenerateObjectOptions<S>): Promise<z.output<S>>;
  /** Stops taking requests, waits for in-flight ones, then ends the rest with an error. */
  drain(timeoutMs?: number): Promise<void>;
  /** Drains, flushes the ledger and closes connections. */
  close(): Promise<void>;
}

/** What a gateway runs on, for Tollgate's own transports and tests; not part of the public API. */
export interface GatewayInternals {
  services: GatewayServices;
  handle(request: InboundRequest): Promise<GatewayContext>;
}

const internals = new WeakMap<Gateway, GatewayInternals>();

export function internalsOf(gateway: Gateway): GatewayInternals {
  const found = internals.get(gateway);
  if (!found) throw new Error("Not a gateway made by createGateway.");
  return found;
}

function isResolved(config: GatewayOptions["config"]): config is ResolvedConfig {
  return "clientKeys" in config;
}

function urlPassword(url: string | undefined): string | undefined {
  try {
    return url ? decodeURIComponent(new URL(url).password) || undefined : undefined;
  } catch {
    return undefined;
  }
}

function redactorFor(config: ResolvedConfig): Redactor {
  const redactor = new Redactor();
  for (const key of [...config.clientKeys, ...config.adminKeys, config.admin.oidc?.clientSecret]) redactor.add(key);
  for (const p of Object.values(config.providers)) {
    if (p.type === "simulator") continue;
    redactor.add(p.type === "vertex" ? p.accessToken : p.apiKey);
    for (const v of Object.values(p.headers)) redactor.add(v);
  }
  for (const v of Object.values(config.observability.traces.headers)) redactor.add(v);
  // A driver's error may quote its connection URL: the password goes, whatever else stays.
  for (const url of [config.databaseUrl, config.redisUrl]) redactor.add(urlPassword(url));
  for (const w of config.alerts.webhooks) {
    redactor.add(w.url);
    redactor.add(w.secret);
  }
  for (const t of [...Object.values(config.tools), ...Object.values(config.mcpServers)]) for (const v of Object.values(t.headers)) redactor.add(v);
  return redactor;
}

export function createGateway(options: GatewayOptions): Gateway {
  const config = isResolved(options.config) ? options.config : resolveConfig(options.config, options.env ?? process.env);
  // Checked before anything opens: a route naming an unknown tool is a config error.
  const toolRegistry = new ToolRegistry(config, options.tools);
  const redactor = redactorFor(config);
  const breakers = new BreakerRegistry();
  const observability = new Observability(config, breakers, redactor, { logger: options.logger, log: options.log });
  const warn = (component: string) => (message: string) => observability.warn(component, message);
  // Old config names still work for one minor version; each use says its new name once, at start.
  for (const message of config.warnings) observability.warn("config", message);
  const http = new HttpTransport();
  const providers = createProviders(config.providers, http);
  // Before the store opens: a cache config that cannot work refuses to start with nothing left open.
  const cache = createResponseCache(config, providers, () => store(), warn("cache"), options.clock);
  const storePromise = openStore(config.databaseUrl);
  // A failed open is reported by `ready` and by each request that needs the store.
  storePromise.catch(() => {});
  const store = () => storePromise;
  const keyStorePromise = storePromise.then((sql) => new KeyStore(sql));
  keyStorePromise.catch(() => {});
  const keyStore = () => keyStorePromise;
  const orgStorePromise = storePromise.then((sql) => new OrgStore(sql));
  orgStorePromise.catch(() => {});
  // Every record reaches the journal before its response ends (docs/accounting.md#what-a-crash-costs). An
  // in-memory database dies with the process, so its journal only spools, in a directory of its own.
  const temporaryJournal = config.databaseUrl === "sqlite::memory:";
  const journalDir = temporaryJournal ? mkdtempSync(join(tmpdir(), "tollgate-journal-")) : config.ledger.spoolDir;
  const journal = new Journal(journalDir, { onError: (err) => observability.warn("ledger", String(err)) });
  const ledger = storePromise.then((sql) => new LedgerWriter(sql, { ...config.ledger, spoolDir: journalDir, journal, onError: (err) => observability.warn("ledger", String(err)) }));
  ledger.catch(() => {});
  ledger.then((l) => observability.metrics?.watchLedgerSpool(() => l.spooled)).catch(() => {});
  const maintenance = storePromise.then((sql) => {
    const m = new LedgerMaintenance(sql, {
      retention: config.ledger.retention,
      intervalMs: config.ledger.maintenanceIntervalMs,
      onError: (err) => observability.warn("ledger", `Maintenance failed: ${String(err)}`),
      onWarning: (message) => observability.warn("ledger", message),
    });
    m.start();
    return m;
  });
  maintenance.catch(() => {});
  // Records written before the store is open wait on the promise, in order; once the last
  // of them is written, records go straight to the writer.
  let openLedger: LedgerWriter | undefined;
  let ledgerChain: Promise<void> = Promise.resolve();
  const writeLedger = (record: RequestRecord) => {
    if (openLedger) return openLedger.write(record);
    const tail: Promise<void> = ledgerChain
      .then(() => ledger)
      .then(
        (l) => {
          l.write(record);
          if (ledgerChain === tail) openLedger = l;
        },
        (err: unknown) => observability.warn("ledger", `Ledger unavailable: ${String(err)}`),
      );
    ledgerChain = tail;
  };

  const budgetStore = createBudgetStore(config, warn("budgets"), journal.instanceId);
  const idempotencyStore = createIdempotencyStore(config, store);
  const services: GatewayServices = {
    config,
    providers,
    breakers,
    redactor,
    prices: new PriceTable(PriceTable.shipped(), config.prices),
    store,
    keyStore,
    virtualKeys: new VirtualKeys(keyStore),
    orgs: new OrgDirectory(() => orgStorePromise),
    budgetStore,
    onRecord: (record, ctx) => {
      writeLedger(record);
      observability.record(record, ctx);
      options.onRecord?.(record);
    },
    logger: observability.logger,
    ...(observability.metrics ? { metrics: observability.metrics } : {}),
    tools: createToolServices(toolRegistry, store, config.toolResults.retentionMs),
    journal: {
      begin: (ctx, provider, model) => {
        if (!journal.tracks(ctx.id)) journal.begin(beginEntry(ctx, provider, model), relayedTokens(ctx));
      },
      settled: (id) => journal.settled(id),
    },
    ...(options.identify ? { identify: options.identify } : {}),
    ...(cache ? { cache } : {}),
  };
  recoverInterrupted(journal, services, writeLedger, warn("ledger"));
  const alerts = storePromise.then((sql) => {
    const service = new AlertService({
      config: config.alerts,
      sql,
      inputs: { budgets: () => budgetLines(services, Date.now()), unhealthyTargets: () => breakers.unhealthy(), spooled: async () => (await ledger).spooled },
      warn: warn("alerts"),
    });
    service.start();
    return service;
  });
  alerts.catch(() => {});

  const inflight = new Map<GatewayContext, AbortController>();
  let accepting = true;
  let drained: (() => void) | undefined;
  let handler: NodeHandler | undefined;
  const pipeline = createPipeline({ config, services, staticKeys: new StaticKeys(config.clientKeys), idempotencyStore, budgetStore, ...(cache ? { cache } : {}), accepting: () => accepting, warn });

  /** Runs one request through the pipeline; resolves with its context once the answer is complete. */
  async function handle(request: InboundRequest): Promise<GatewayContext> {
    const controller = new AbortController();
    request.onClientGone(() => controller.abort(new ClientClosedError()));
    // The record is journaled as the answer's last bytes go out, not when the pipeline unwinds.
    const sink = new EndingSink(request.sink, () => journal.end(endedRecord(ctx)));
    const ctx = new GatewayContext(newRequestId(), request.codec, request.headers, request.body, controller.signal, sink, services);
    if (request.identity) ctx.identity = request.identity;
    if (request.readBody) ctx.readBody = request.readBody;
    if (request.query) ctx.query = request.query;
    inflight.set(ctx, controller);
    try {
      await pipeline(ctx);
    } finally {
      inflight.delete(ctx);
      if (inflight.size === 0) drained?.();
    }
    return ctx;
  }

  const gateway: Gateway = {
    config,
    ready: storePromise.then(() => undefined),
    get handler() {
      return (handler ??= createNodeHandler(served));
    },
    get accepting() {
      return accepting;
    },
    get inflight() {
      return inflight.size;
    },
    metrics() {
      return observability.metrics ? observability.metrics.text() : Promise.reject(new Error("Metrics are disabled (observability.metrics.enabled: false)."));
    },
    generateObject: (options) => generateObject(handle, options),
    async drain(timeoutMs = config.server.drainTimeoutMs) {
      accepting = false;
      if (inflight.size > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, timeoutMs).unref();
        });
      }
      if (inflight.size > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          for (const controller of inflight.values()) controller.abort(new ShuttingDownError());
          setTimeout(resolve, 1_000).unref();
        });
      }
    },
    async close() {
      await gateway.drain(0);
      await http.close();
      await toolRegistry.close();
      await ledgerChain;
      await ledger.then((l) => l.close()).catch(() => {});
      journal.close();
      if (temporaryJournal) rmSync(journalDir, { recursive: true, force: true });
      await maintenance.then((m) => m.close()).catch(() => {});
      await alerts.then((a) => a.close()).catch(() => {});
      await budgetStore.close();
      await cache?.close();
      await idempotencyStore.close();
      await storePromise.then((sql: Sql) => sql.close()).catch(() => {});
      await observability.close();
    },
  };
  // What the HTTP transport reads: `accepting` live, not a copy.
  const served: ServedGateway = {
    config,
    services,
    handle,
    get accepting() {
      return accepting;
    },
  };
  internals.set(gateway, { services, handle });
  return gateway;
}
