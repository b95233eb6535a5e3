import type { ResolvedRoute } from "../config/resolve.js";
import type { AttemptRecord, RequestRecord } from "../spec/request-record.js";

/** What logs, metrics and traces all derive from a record the same way. */
export interface RecordFacts {
  /** The attempt that answered, or the last one tried when none did. */
  last?: AttemptRecord;
  /** Attempts beyond the first on each target tried, within each step. */
  retries: number;
  /** Model calls beyond the first: a tool loop's later steps or a structured output's repairs. */
  steps: number;
  /** The last attempt went to another target than the route's first (after failures or an open breaker). */
  fallback: boolean;
}

const targetOf = (t: { provider: string; model: string }) => `${t.provider}/${t.model}`;

export function factsOf(record: RequestRecord, route: ResolvedRoute | undefined): RecordFacts {
  const { attempts } = record;
  const last = attempts.at(-1);
  if (!last) return { retries: 0, steps: 0, fallback: false };
  const first = route?.targets[0];
  const fallback = first !== undefined && (first.provider !== last.provider || first.model !== last.model);
  // Most requests make one attempt: nothing to count.
  if (attempts.length === 1) return { last, retries: 0, steps: 0, fallback };
  // A retry is another attempt at the same call on the same target; a later step is a new call.
  const calls = new Set(attempts.map((a) => `${a.step ?? 1} ${targetOf(a)}`));
  const steps = new Set(attempts.map((a) => a.step ?? 1)).size - 1;
  return { last, retries: attempts.length - calls.size, steps, fallback };
}
