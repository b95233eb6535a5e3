/** The header in which the upstream takes an idempotency key (lower case), when it honours one. */
export interface UpstreamIdempotency {
  idempotencyHeader?: string;
}

/**
 * A provider's config as resolved: named, its secrets read (absent when empty), header names
 * lower-cased; `Computed` replaces the fields resolve works out (a preset's base URL, ...).
 */
export type Resolved<P, Secrets extends keyof P, Computed = unknown> = Omit<P, Secrets | "headers" | "idempotencyHeader" | keyof Computed> & {
  name: string;
  headers: Record<string, string>;
} & { [K in Secrets]?: string } & UpstreamIdempotency &
  Computed;
