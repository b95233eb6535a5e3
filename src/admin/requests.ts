import { z } from "zod";
import { NotFoundError } from "../errors/gateway-error.js";
import { queryRecentRequests, queryRequest, type AttemptRow, type RequestSummaryRow } from "../ledger/recent-requests-query.js";
import { ForbiddenError } from "../errors/org-errors.js";
import { keyVisible, ledgerScope } from "../orgs/scope.js";
import { costFields, moneyFields } from "../pricing/money.js";
import { iso } from "./time.js";
import type { AdminHandler } from "./types.js";
import { parseWith } from "./validate.js";

const MAX_LIMIT = 200;

const requestsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(50),
  /** Only requests answered with a status of 400 or more. */
  errors: z
    .enum(["true", "false", "1", "0"])
    .transform((v) => v === "true" || v === "1")
    .default(false),
});

function parseTags(text: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** A ledger row as the admin API shows it: the key by id, name and prefix (never more of it). */
function requestView(r: RequestSummaryRow) {
  return {
    object: "request",
    id: r.id,
    started_at: iso(r.started_at),
    key: r.key_id === null ? null : { id: r.key_id, name: r.key_name, prefix: r.key_prefix },
    user_id: r.user_id,
    team_id: r.team_id,
    end_user: r.end_user,
    tags: parseTags(r.tags),
    route: r.route,
    api: r.api,
    stream: r.stream === 1,
    status: r.status,
    outcome: r.outcome,
    error_code: r.error_code,
    provider: r.provider,
    model: r.model,
    attempts: r.attempts,
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    cached_input_tokens: r.cached_input_tokens,
    reasoning_tokens: r.reasoning_tokens,
    usage_source: r.usage_source,
    ...moneyFields(r.cost_nanos, r.saved_nanos),
    cache_hit: r.cache_hit === 1,
    /** Which answered it: "exact", "semantic", "idempotent"; null for an upstream answer. */
    cache_kind: r.cache_kind,
    latency_ms: r.latency_ms,
    ttft_ms: r.ttft_ms,
  };
}

function attemptView(a: AttemptRow) {
  return { ...a, started_at: iso(a.started_at), ...costFields(a.cost_nanos) };
}

/** GET /admin/requests?limit=50&errors=true: the newest requests the caller may see, newest first. */
export const listRequests: AdminHandler = async ({ query, services, principal }) => {
  const q = parseWith(requestsQuery, query, "query");
  const rows = await queryRecentRequests(await services.store(), { limit: q.limit, errorsOnly: q.errors, scope: ledgerScope(principal) });
  return { status: 200, body: { object: "list", data: rows.map(requestView) } };
};

/** GET /admin/requests/:id: one request with each upstream attempt. */
export const getRequest: AdminHandler = async ({ params, services, principal }) => {
  const id = params.id!;
  const found = await queryRequest(await services.store(), id);
  if (!found) throw new NotFoundError("request_not_found", `No request with id "${id.slice(0, 100)}" in the ledger (it is written within a second of finishing).`, { param: "id" });
  if (!keyVisible(principal, { userId: found.request.user_id ?? "", teamId: found.request.team_id ?? undefined }))
    throw new ForbiddenError(`Request ${id.slice(0, 100)} belongs to another ${principal.role === "member" ? "user" : "team"}.`);
  return { status: 200, body: { ...requestView(found.request), attempt_list: found.attempts.map(attemptView) } };
};
