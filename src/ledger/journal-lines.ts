import type { Identity } from "../spec/identity.js";
import type { RequestRecord } from "../spec/request-record.js";
import type { JournalBegin } from "./journal.js";

/**
 * The journal's begin and end lines as JSON text. Each is one JSON.stringify of object literals
 * of one shape (V8's native serialiser writes one flat string: a line joined from pieces would be
 * copied again to be encoded, and was slower); the end line of a request that bills the identity
 * of its begin line, in the same segment, refers to that line instead of repeating it.
 */

/** Every field of T, set or undefined: a literal of this type names each (a field added to T later cannot be left off). */
type Named<T> = { [K in keyof Required<T>]: T[K] };

/** Who is billed: the fields of an Identity the lines keep (the ledger's key, user, team, end user, tags). */
type Billed = Omit<Identity, "limits" | "userLimits" | "teamLimits" | "allowedModels" | "allowedOrigins">;

/**
 * The caller as a line needs it. Its limits and allow-lists, checked before the call, are left
 * out: they are most of its JSON, and nothing read back from the file looks at them.
 */
export function billedIdentity(i: Identity): Billed {
  const billed: Named<Billed> = { keyId: i.keyId, userId: i.userId, teamId: i.teamId, endUser: i.endUser, tags: i.tags };
  return billed;
}

/** `{"b": entry}`, with `identity` (billed) in place of the entry's. */
export function beginLine(e: JournalBegin, identity: Billed | undefined): string {
  const b: Named<JournalBegin> = {
    id: e.id,
    startedAt: e.startedAt,
    api: e.api,
    stream: e.stream,
    route: e.route,
    identity,
    provider: e.provider,
    model: e.model,
    inputTokens: e.inputTokens,
    budget: e.budget,
  };
  return JSON.stringify({ b });
}

/** Marks an end line whose record bills the identity of its request's begin line, found earlier in the same segment. */
export const SAME_IDENTITY = "ib";

/**
 * The end line of `record`: `{"e": record}` with `identity` (billed) in place of the record's,
 * or, when `identity` is SAME_IDENTITY, without one and marked so.
 */
export function endLine(r: RequestRecord, identity: Billed | typeof SAME_IDENTITY | undefined): string {
  const same = identity === SAME_IDENTITY;
  const e: Named<RequestRecord> = {
    id: r.id,
    api: r.api,
    startedAt: r.startedAt,
    route: r.route,
    identity: same ? undefined : identity,
    stream: r.stream,
    status: r.status,
    outcome: r.outcome,
    errorCode: r.errorCode,
    attempts: r.attempts,
    usage: r.usage,
    costNanos: r.costNanos,
    latencyMs: r.latencyMs,
    ttftMs: r.ttftMs,
    cache: r.cache,
    toolCalls: r.toolCalls,
  };
  return JSON.stringify(same ? { e, [SAME_IDENTITY]: 1 } : { e });
}
