import type { ResolvedRoute } from "../config/resolve.js";
import type { OpenedUpstream } from "../engine/upstream-attempt.js";
import type { CanonicalRequest } from "../spec/canonical-request.js";

/** What logs, metrics and traces read of a finished request besides its record (the request context satisfies it). */
export interface ObservedRequest {
  readonly request?: CanonicalRequest;
  readonly route?: ResolvedRoute;
  readonly upstream?: OpenedUpstream;
  readonly error?: unknown;
  header(name: string): string | undefined;
}
