import type { ErrorCode } from "../errors/codes.js";
import type { CanonicalRequest } from "./canonical-request.js";
import type { Usage } from "./usage.js";
import type { Identity } from "./identity.js";

export interface AttemptRecord {
  /** 1-based, across all targets of the route. */
  attempt: number;
  /** 1-based model call of the request this attempt serves (a tool loop's or a repair's later steps); absent: 1. */
  step?: number;
  provider: string;
  model: string;
  startedAt: number;
  durationMs?: number;
  ttftMs?: number;
  status: "pending" | "ok" | "error" | "cancelled";
  errorCode?: ErrorCode;
  upstreamStatus?: number;
  usage?: Usage;
  /** Nano-dollars (1e-9 USD), from the price table at the time of the call. */
  costNanos?: number;
}

/** "interrupted": the gateway process died while the request was upstream; recorded at the next start, usage estimated (docs/accounting.md#what-a-crash-costs). */
export type RequestOutcome = "complete" | "failed" | "cancelled" | "interrupted";

/** One server-side tool call of a tool loop (docs/tools.md). */
export interface ToolCallRecord {
  /** 1-based model call whose answer asked for it. */
  step: number;
  /** 0-based position among that answer's calls. */
  position: number;
  /** The name the model used (refused calls keep whatever it asked for). */
  name: string;
  status: "ok" | "refused" | "error";
  errorCode?: string;
  /** The result was stored from an earlier run of the same call (a retried request): nothing ran. */
  reused?: boolean;
  startedAt: number;
  durationMs: number;
}

/** What the gateway knows about a request once it is over: the ledger's input. */
export interface RequestRecord {
  id: string;
  api: CanonicalRequest["inbound"]["api"];
  startedAt: number;
  route?: string;
  identity?: Identity;
  stream: boolean;
  status: number;
  outcome: RequestOutcome;
  errorCode?: ErrorCode;
  attempts: AttemptRecord[];
  /** The usage of the attempt that answered (reported, or estimated and marked so). */
  usage?: Usage;
  /** Nano-dollars (1e-9 USD) for the whole request. */
  costNanos?: number;
  latencyMs: number;
  ttftMs?: number;
  /** Set when the answer came from the gateway's cache or an idempotent replay instead of an upstream call. */
  cache?: { kind: "exact" | "semantic" | "idempotent"; savedNanos: number; similarity?: number; ageMs?: number };
  /** Server-side tool calls, when the route runs a tool loop. */
  toolCalls?: ToolCallRecord[];
}
