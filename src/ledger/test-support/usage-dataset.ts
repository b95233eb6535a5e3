import type { Identity } from "../../spec/identity.js";
import type { RequestRecord } from "../../spec/request-record.js";
import { makeRecord } from "./records.js";

const KEYS: Identity[] = [
  { keyId: "key_a", userId: "alice", teamId: "red", tags: { env: "prod", app: "web" } },
  { keyId: "key_b", userId: "bob", teamId: "red", tags: { env: "dev" } },
  { keyId: "key_c", userId: "carol", tags: { app: "batch" } },
];
const MODELS = ["gpt-4o", "gpt-4o-mini", "claude-haiku-4-5"];

/** `count` requests spread over `spanMs` from `from`, by a fixed LCG: varied keys, models, statuses and costs. */
export function usageDataset(count: number, from: number, spanMs: number, firstId = 1): RequestRecord[] {
  let s = 12_345;
  const next = (n: number) => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s % n;
  };
  return Array.from({ length: count }, (_, i) => {
    const base = makeRecord(firstId + i, { startedAt: from + next(spanMs) });
    const identity = next(10) === 0 ? undefined : KEYS[next(KEYS.length)]!;
    const model = MODELS[next(MODELS.length)]!;
    const input = 1 + next(5_000);
    const output = next(2_000);
    const failed = next(8) === 0;
    const { identity: _identity, ...rest } = base;
    return {
      ...rest,
      ...(identity ? { identity } : {}),
      status: failed ? 502 : 200,
      outcome: failed ? "failed" : "complete",
      attempts: [{ ...base.attempts[0]!, startedAt: base.startedAt + 2, model, usage: { ...base.usage!, inputTokens: input, outputTokens: output } }],
      usage: { ...base.usage!, inputTokens: input, outputTokens: output, cachedInputTokens: next(input) },
      costNanos: input * 150 + output * 600,
      ...(next(6) === 0 ? { cache: { kind: "exact" as const, savedNanos: 1_000 + next(1_000) } } : {}),
    };
  });
}

export interface Expected {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costNanos: number;
  savedNanos: number;
}

type Dim = "key" | "user" | "team" | "model" | "route" | `tag:${string}`;

/** The usage totals of `records` in [from, to), computed here from the records alone. */
export function expectedTotals(records: readonly RequestRecord[], dim: Dim, from: number, to: number): Map<string | null, Expected> {
  const out = new Map<string | null, Expected>();
  for (const r of records) {
    if (r.startedAt < from || r.startedAt >= to) continue;
    let group: string | null;
    if (dim.startsWith("tag:")) {
      const value = r.identity?.tags?.[dim.slice(4)];
      if (value === undefined) continue;
      group = String(value);
    } else if (dim === "model") group = r.attempts.at(-1)?.model ?? null;
    else if (dim === "route") group = r.route ?? null;
    else group = (dim === "key" ? r.identity?.keyId : dim === "user" ? r.identity?.userId : r.identity?.teamId) ?? null;
    const e = out.get(group) ?? { requests: 0, inputTokens: 0, outputTokens: 0, costNanos: 0, savedNanos: 0 };
    e.requests += 1;
    e.inputTokens += r.usage?.inputTokens ?? 0;
    e.outputTokens += r.usage?.outputTokens ?? 0;
    e.costNanos += r.costNanos ?? 0;
    e.savedNanos += r.cache?.savedNanos ?? 0;
    out.set(group, e);
  }
  return out;
}
