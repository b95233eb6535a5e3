import type { Redactor } from "../errors/redact.js";
import type { PriceTable } from "../pricing/price-table.js";
import type { Provider } from "../providers/provider.js";
import type { AttemptRecord } from "../spec/request-record.js";
import type { BreakerRegistry } from "./breaker-registry.js";

/**
 * What the upstream engine needs from the request it serves, and nothing more: the
 * request context satisfies it, and engine tests build one by hand.
 */
export interface UpstreamCall {
  readonly signal: AbortSignal;
  /** Every attempt is appended here, in order. */
  readonly attempts: AttemptRecord[];
  /** The model call under way (1, then each tool-loop step or repair). */
  readonly step: number;
  /** Epoch ms the request began: attempts are priced at that time. */
  readonly startedAt: number;
  readonly services: { providers: ReadonlyMap<string, Provider>; breakers: BreakerRegistry; redactor: Redactor; prices: PriceTable };
  /** Told just before each upstream call goes out (the journal begins billing a crash from here). */
  upstreamBegins(provider: string, model: string): void;
}
