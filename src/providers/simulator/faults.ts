import type { FaultConfig } from "../../config/schema.js";

/** A fault to act out on one call, with its defaults applied. */
export type ActiveFault = { kind: "status"; status: number; retryAfterSeconds?: number } | { kind: "hang" } | { kind: "stall" | "cut" | "malformed"; afterTokens: number };

const DEFAULT_FAULT_STATUS = 500;
const DEFAULT_RETRY_AFTER_SECONDS = 1;
const DEFAULT_AFTER_TOKENS = 5;

const SUFFIX = /\+(\d{3}|hang|stall|cut|malformed)$/;

/**
 * The fault a model name asks for: `sim+429`, `sim+500`, `sim+hang`, `sim+stall`,
 * `sim+cut`, `sim+malformed`. Undefined when the name has no fault suffix.
 */
export function faultFromModel(model: string): Pick<FaultConfig, "kind" | "status"> | undefined {
  const match = SUFFIX.exec(model);
  if (!match) return undefined;
  const name = match[1]!;
  if (/^\d+$/.test(name)) {
    const status = Number(name);
    return status >= 400 && status <= 599 ? { kind: "status", status } : undefined;
  }
  return { kind: name as FaultConfig["kind"] };
}

/**
 * Combines the configured fault with the model suffix: the suffix chooses the kind
 * (and status); the configured afterTokens, retryAfterSeconds and times still apply.
 */
export function effectiveFault(model: string, configured: FaultConfig | undefined): FaultConfig | undefined {
  const fromModel = faultFromModel(model);
  if (!fromModel) return configured;
  const merged: FaultConfig = { ...configured, ...fromModel };
  if (fromModel.kind !== "status") delete merged.status;
  return merged;
}

/** The fault to act out on the call numbered `call` (0-based), or undefined to answer normally. */
export function activeFault(fault: FaultConfig | undefined, call: number): ActiveFault | undefined {
  if (!fault) return undefined;
  if (fault.times !== undefined && call >= fault.times) return undefined;
  switch (fault.kind) {
    case "status": {
      const status = fault.status ?? DEFAULT_FAULT_STATUS;
      const retryAfterSeconds = fault.retryAfterSeconds ?? (status === 429 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
      return retryAfterSeconds === undefined ? { kind: "status", status } : { kind: "status", status, retryAfterSeconds };
    }
    case "hang":
      return { kind: "hang" };
    default:
      return { kind: fault.kind, afterTokens: fault.afterTokens ?? DEFAULT_AFTER_TOKENS };
  }
}
