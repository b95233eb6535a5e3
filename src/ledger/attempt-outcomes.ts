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
  // Records list attempts in order (nearly always one): copied and sorted only when not.
  const ordered = inOrder(attempts) ? attempts : [...attempts].sort((a, b) => a.attempt - b.attempt);
  let attemptErrors = 0;
  let retries = 0;
  let fallbacks = 0;
  let providers = 0;
  for (let i = 0; i < ordered.length; i++) {
    const a = ordered[i]!;
    if (a.status === "error") attemptErrors++;
    if (!triedBefore(ordered, i, a.provider)) providers++;
    const next = ordered[i + 1];
    if (next === undefined || (next.step ?? 1) !== (a.step ?? 1)) continue;
    if (next.provider === a.provider && next.model === a.model) retries++;
    else fallbacks++;
  }
  return { attemptErrors, retries, fallbacks, providers };
}

/** Whether an attempt before index `i` went to `provider`: attempts are few, a Set per request would cost more. */
function triedBefore(ordered: readonly AttemptRecord[], i: number, provider: string): boolean {
  for (let j = 0; j < i; j++) if (ordered[j]!.provider === provider) return true;
  return false;
}

/** Attempt numbers never decrease: a stable sort would leave them as they are. */
function inOrder(attempts: readonly AttemptRecord[]): boolean {
  for (let i = 1; i < attempts.length; i++) if (attempts[i - 1]!.attempt > attempts[i]!.attempt) return false;
  return true;
}
