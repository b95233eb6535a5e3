import type { ResolvedConfig } from "../config/resolve.js";
import type { Redactor } from "../errors/redact.js";
import type { Provider } from "../providers/provider.js";
import type { Identity } from "../spec/identity.js";
import type { RequestRecord } from "../spec/request-record.js";
import type { BreakerRegistry } from "../engine/breaker-registry.js";
import type { PriceTable } from "../pricing/price-table.js";
import type { Sql } from "../store/sql.js";
import type { KeyStore } from "../keys/key-store.js";
import type { VirtualKeys } from "../keys/virtual-keys.js";
import type { OrgDirectory } from "../orgs/org-directory.js";
import type { BudgetStore } from "../budgets/types.js";
import type { GatewayLogger } from "../observability/logger.js";
import type { GatewayMetrics } from "../observability/metrics.js";
import type { ResponseCache } from "../cache/response-cache.js";
import type { ToolServices } from "../tools/tool-services.js";
import type { GatewayContext } from "./context.js";

/** Long-lived parts of a gateway that every request shares. */
export interface GatewayServices {
  config: ResolvedConfig;
  providers: ReadonlyMap<string, Provider>;
  breakers: BreakerRegistry;
  redactor: Redactor;
  prices: PriceTable;
  /** The database, once open and migrated. */
  store: () => Promise<Sql>;
  keyStore: () => Promise<KeyStore>;
  virtualKeys: VirtualKeys;
  /** Teams and users (their budgets, models, default tags, disabled state), cached for the request path. */
  orgs: OrgDirectory;
  budgetStore: BudgetStore;
  /** The host application's identity hook (library mode); replaces key auth when set. */
  identify?: (request: { headers: Record<string, string | string[] | undefined> }) => Identity | null | Promise<Identity | null>;
  /** Every finished request's record, with its context for sinks that need the request's details (traces, logged bodies). */
  onRecord: (record: RequestRecord, ctx: GatewayContext) => void;
  /** Operational and request logs (pino-compatible). */
  logger: GatewayLogger;
  /** Prometheus metrics; undefined when `observability.metrics.enabled` is false. */
  metrics?: GatewayMetrics;
  /** The response cache, when a route caches (docs/caching.md). */
  cache?: ResponseCache;
  /** Server-side tools and their stored results (docs/tools.md). */
  tools: ToolServices;
  /** The ledger's journal, told what a crash would otherwise lose (docs/accounting.md#what-a-crash-costs). */
  journal?: RequestJournal;
}

interface RequestJournal {
  /** The request is about to call upstream (the first call counts): from here a crash bills it as interrupted. */
  begin(ctx: GatewayContext, provider: string, model: string): void;
  /** The request's budget reservation was settled. */
  settled(id: string): void;
}
