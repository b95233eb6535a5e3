import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { z } from "zod";
import type { InboundCodec } from "./apis/inbound-codec.js";
import { StaticKeys } from "./auth/static-keys.js";
import { AlertService } from "./alerts/alert-service.js";
import { budgetLines } from "./alerts/budget-lines.js";
import { createBudgetStore } from "./budgets/create-budget-store.js";
import { resolveConfig, type ResolvedConfig } from "./config/resolve.js";
import type { ConfigInput } from "./config/schema.js";
import { ShuttingDownError } from "./errors/gateway-error.js";
import { Redactor } from "./errors/redact.js";
import { createIdempotencyStore } from "./idempotency/create-idempotency-store.js";
import { KeyStore } from "./keys/key-store.js";
import { VirtualKeys } from "./keys/virtual-keys.js";
import { OrgDirectory } from "./orgs/org-directory.js";
import { OrgStore } from "./orgs/org-store.js";
import { Journal, type JournalBudgetLine } from "./ledger/journal.js";
import { beginEntry, interruptedRecord, relayedTokens, settlementOf } from "./ledger/journal-entries.js";
import { LedgerMaintenance } from "./ledger/ledger-maintenance.js";
import { AuditLog } from "./audit/audit-log.js";
import { LedgerWriter } from "./ledger/ledger-writer.js";
import { EndingSink } from "./pipeline/ending-sink.js";
import { requestRecord } from "./pipeline/request-record.js";
import { generateObject, type GenerateObjectOptions } from "./library/generate-object.js";
import { cacheStages } from "./cache/cache-stages.js";
import { createResponseCache } from "./cache/create-response-cache.js";
import { BreakerRegistry } from "./pipeline/breaker-registry.js";
import { ClientClosedError } from "./pipeline/client-closed.js";
import { compose, type Stage } from "./pipeline/compose.js";
import { GatewayContext, type GatewayServices, type Identity, type RequestRecord, type ResponseSink } from "./pipeline/context.js";
import { answerTokenCount } from "./pipeline/stages/answer-token-count.js";
import { attribute } from "./pipeline/stages/attribute.js";
import { checkOrigin } from "./pipeline/stages/check-origin.js";
import { authenticate } from "./pipeline/stages/authenticate.js";
import { dispatch } from "./pipeline/stages/dispatch.js";
import { enforceBudgets } from "./pipeline/stages/enforce-budgets.js";
import { idempotency } from "./pipeline/stages/idempotency.js";
import { meter } from "./pipeline/stages/meter.js";
import { parseRequest } from "./pipeline/stages/parse-request.js";
import { pinSystemPrompt } from "./pipeline/stages/pin-system-prompt.js";
import { relay } from "./pipeline/stages/relay.js";
import { resolveRoute } from "./pipeline/stages/resolve-route.js";
import { respondErrors } from "./pipeline/stages/respond-errors.js";
import { structuredOutput } from "./pipeline/stages/structured-output.js";
import { PriceTable } from "./pricing/price-table.js";
import { createProviders } from "./providers/registry.js";
import { HttpTransport } from "./providers/transport.js";
import { createNodeHandler, type NodeHandler } from "./server/node-handler.js";
import type { GatewayLogger } from "./observability/logger.js";
import { Observability } from "./observability/observability.js";
import { openStore } from "./store/open-store.js";
import type { FunctionTool } from "./tools/define-tool.js";
import { ToolRegistry } from "./tools/registry.js";
import { toolLoop } from "./tools/tool-loop.js";
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

/** A request as the transport hands it to the gateway: already read, not yet understood. */
export interface InboundRequest {
  codec: InboundCodec;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** The transport's reader of the body, called only once the caller is authenticated (then `body` is unused). */
  readBody?: () => Promise<unknown>;
  sink: ResponseSink;
  /** The transport calls back when the client goes away before the answer is complete. */
  onClientGone(cancel: () => void): void;
  /** The request URL's query string, without the `?`. */
  query?: string;
  /** In-process callers only (generateObject): who is asking, instead of authenticating. The HTTP transport never sets it. */
  identity?: Identity;
}

export interface Gateway {
  readonly config: ResolvedConfig;
  /** The gateway as a node:http handler, to mount in an existing server (Express, Fastify, http). */
  readonly handler: NodeHandler;
  readonly services: GatewayServices;
  /** Resolves once the database is open and migrated (requests wait for it too). */
  readonly ready: Promise<void>;
  /** False once draining for shutdown. */
  readonly accepting: boolean;
  readonly inflight: number;
  /** The Prometheus text of this gateway's metrics, for a host app to serve (rejects when metrics are disabled). */
  metrics(): Promise<string>;
  /** Runs one request through the pipeline; resolves when the answer is complete. */
  handle(request: InboundRequest): Promise<void>;
  /** A typed object from a route, validated (and repaired) by the pipeline: docs/structured-output.md#library. */
  generateObject<S extends z.ZodType>(options: GenerateObjectOptions<S>): Promise<z.output<S>>;
  /** Stops taking requests, waits for in-flight ones, then ends the rest with an error. */
  drain(timeoutMs?: number): Promise<void>;
  /** Drains, flushes the ledger and closes connections. */
  close(): Promise<void>;
}

/** Time-ordered ids: the ledger's primary key grows at its end instead of at random places. */
function newRequestId(): string {
  return `req_${Date.now().toString(36)}${randomUUID().slice(0, 13).replace("-", "")}`;
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
    });
    m.start();
    return m;
  });
  maintenance.catch(() => {});
  // Records written before the store is open wait on the promise, in order.
  let ledgerChain: Promise<unknown> = Promise.resolve();
  const writeLedger = (record: RequestRecord) => {
    ledgerChain = ledgerChain.then(() => ledger.then((l) => l.write(record))).catch((err: unknown) => observability.warn("ledger", `Ledger unavailable: ${String(err)}`));
  };

  const budgetStore = createBudgetStore(config, warn("budgets"));
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
  const cached = cache ? cacheStages(cache, relay) : undefined;
  recoverInterrupted(journal, services, writeLedger, warn("ledger"));
  // What the alert service reads through the admin handlers (it writes nothing to audit).
  const alertServices = { ...services, audit: new AuditLog(services.store, services.redactor) };
  const alerts = storePromise.then((sql) => {
    const service = new AlertService({
      config: config.alerts,
      sql,
      inputs: { budgets: () => budgetLines(alertServices, Date.now()), unhealthyTargets: () => breakers.unhealthy(), spooled: async () => (await ledger).spooled },
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
  const admit: Stage<GatewayContext> = async (_ctx, next) => {
    if (!accepting) throw new ShuttingDownError();
    await next();
  };
  // The request lifecycle, outermost first; docs/architecture.md shows where later stages go.
  const pipeline = compose<GatewayContext>([
    meter,
    respondErrors,
    admit,
    authenticate(new StaticKeys(config.clientKeys), services.virtualKeys, services.orgs, !config.open),
    checkOrigin(config.server.cors.origins),
    parseRequest,
    attribute,
    pinSystemPrompt,
    resolveRoute,
    answerTokenCount,
    idempotency({ store: idempotencyStore, config: config.idempotency, log: warn("idempotency") }),
    ...(cached ? [cached.lookup] : []),
    enforceBudgets({
      store: budgetStore,
      rules: config.budgets.rules,
      reservationTtlMs: config.budgets.reservationTtlMs,
      defaultMaxOutputTokens: config.budgets.defaultMaxOutputTokens,
      log: warn("budgets"),
    }),
    ...(cached ? [cached.semantic] : []),
    structuredOutput,
    toolLoop,
    dispatch,
    relay,
  ]);

  const gateway: Gateway = {
    config,
    services,
    ready: storePromise.then(() => undefined),
    get handler() {
      return (handler ??= createNodeHandler(gateway));
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
    async handle(request) {
      const controller = new AbortController();
      request.onClientGone(() => controller.abort(new ClientClosedError()));
      // The record is journaled as the answer's last bytes go out, not when the pipeline unwinds.
      const sink = new EndingSink(request.sink, () => journal.end(requestRecord(ctx)));
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
    },
    generateObject: (options) => generateObject((request) => gateway.handle(request), options),
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
  return gateway;
}

/**
 * What an earlier process left unfinished. Requests it began upstream and never finished
 * are recorded as `interrupted` (the prompt billed, the output as far as it was relayed,
 * estimated); their budget reservations, and those of requests it finished but died before
 * settling, are settled to what the ledger records instead of waiting to expire.
 */
function recoverInterrupted(journal: Journal, services: GatewayServices, writeLedger: (record: RequestRecord) => void, warn: (message: string) => void): void {
  const settle = (id: string, budget: readonly JournalBudgetLine[] | undefined, record: RequestRecord) => {
    if (!budget?.length) return;
    // Only where still held: the earlier process may have settled it and died before noting so.
    services.budgetStore.settle(id, settlementOf(budget, record), { ifHeld: true }).then(
      () => journal.settled(id),
      (err: unknown) => warn(`budget settlement of request ${id} after a restart failed: ${String(err)}`),
    );
  };
  if (journal.recovered.length > 0) warn(`${journal.recovered.length} request(s) were in flight when the previous process stopped; recorded as interrupted.`);
  for (const open of journal.recovered) {
    const record = interruptedRecord(open, services.prices);
    journal.end(record);
    writeLedger(record);
    settle(open.id, open.budget, record);
  }
  for (const { budget, record } of journal.unsettledRecovered) settle(record.id, budget, record);
}
