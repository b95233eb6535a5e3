import type { StaticKeys } from "../auth/static-keys.js";
import type { BudgetStore } from "../budgets/types.js";
import type { ResponseCache } from "../cache/response-cache.js";
import type { ResolvedConfig } from "../config/resolve.js";
import type { IdempotencyStore } from "../idempotency/types.js";
import { admit } from "./admit.js";
import { attribute } from "./attribute.js";
import { authenticate } from "./authenticate.js";
import { cacheLookup } from "./cache/cache-lookup.js";
import { cacheSemantic } from "./cache/cache-semantic.js";
import { checkOrigin } from "./check-origin.js";
import { compose, phase, type Stage } from "./compose.js";
import { type GatewayContext, isParsed, isRouted, type RoutedContext } from "./context.js";
import { countTokens } from "./count-tokens.js";
import { dispatch } from "./dispatch.js";
import { enforceBudgets } from "./enforce-budgets.js";
import { idempotency } from "./idempotency/idempotency.js";
import { meter } from "./meter.js";
import { parseRequest } from "./parse-request.js";
import { pinSystemPrompt } from "./pin-system-prompt.js";
import { relay } from "./relay.js";
import { resolveRoute } from "./resolve-route.js";
import { respondErrors } from "./respond-errors.js";
import type { GatewayServices } from "./context.js";
import { structuredOutput } from "./structured-output/structured-output.js";
import { toolLoop } from "./tool-loop/tool-loop.js";

/** What the stages are built with, besides the services each request carries. */
export interface PipelineParts {
  config: ResolvedConfig;
  services: GatewayServices;
  staticKeys: StaticKeys;
  idempotencyStore: IdempotencyStore;
  budgetStore: BudgetStore;
  cache?: ResponseCache;
  accepting: () => boolean;
  warn: (component: string) => (message: string) => void;
}

/**
 * The request lifecycle, outermost first (docs/architecture.md). Stages after parseRequest
 * see the caller and the request as set, stages after resolveRoute the route too.
 */
export function createPipeline({ config, services, staticKeys, idempotencyStore, budgetStore, cache, accepting, warn }: PipelineParts): (ctx: GatewayContext) => Promise<void> {
  const routed: Stage<RoutedContext>[] = [
    countTokens,
    idempotency({ store: idempotencyStore, config: config.idempotency, log: warn("idempotency") }),
    ...(cache ? [cacheLookup(cache)] : []),
    enforceBudgets({
      store: budgetStore,
      rules: config.budgets.rules,
      reservationTtlMs: config.budgets.reservationTtlMs,
      defaultMaxOutputTokens: config.budgets.defaultMaxOutputTokens,
      log: warn("budgets"),
    }),
    ...(cache ? [cacheSemantic(cache)] : []),
    structuredOutput,
    toolLoop,
    dispatch,
    relay,
  ];
  return compose<GatewayContext>([
    meter,
    respondErrors,
    admit(accepting),
    authenticate(staticKeys, services.virtualKeys, services.orgs, !config.open),
    checkOrigin(config.server.cors.origins),
    parseRequest,
    phase("parsed", isParsed, [attribute, pinSystemPrompt, resolveRoute, phase("routed", isRouted, routed)]),
  ]);
}
