import type { AttemptRecord } from "../spec/request-record.js";

/** What a request's attempts add to provider health, counted when the request is written (migration 13). */
export interface AttemptOutcomes {
  /** Attempts that failed (status `error`). */
  attemptErrors: number;
  /** Attempts followed, within the same model call (step), by another try of the same provider and model. */
  retries: number;
  /** Attempts followed, within the same step, by a try of another provider or model. */
  fallbacks: number;
  /** Distinct providers tried: with one, the request row alone gives that provider's share. */
  providers: number;
}

/**
 * Pairs each attempt with the next by attempt number, as `PROVIDER_HEALTH_RAW` does with
 * `LEAD()` for rows written before migration 13: one definition, held equal by a property
 * test (provider-health-sql.test.ts). A tool loop's or repair's next step is neither a retry
 * nor a fallback.
 */
export function attemptOutcomes(attempts: readonly AttemptRecord[]): AttemptOutcomes {
  const ordered = [...attempts].sort((a, b) => a.attempt - b.attempt);
  let retries = 0;
  let fallbacks = 0;
  for (let i = 0; i + 1 < ordered.length; i++) {
    const [a, next] = [ordered[i]!, ordered[i + 1]!];
    if ((next.step ?? 1) !== (a.step ?? 1)) continue;
    if (next.provider === a.provider && next.model === a.model) retries++;
    else fallbacks++;
  }
  return { attemptErrors: ordered.filter((a) => a.status === "error").length, retries, fallbacks, providers: new Set(ordered.map((a) => a.provider)).size };
}
