import { GatewayError, InternalError } from "./gateway-error.js";
import type { Redactor } from "./redact.js";

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: { error: { message: string; type: string; code: string; param: string | null } & Record<string, unknown> };
}

function toGatewayError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new InternalError(err);
}

/** The one renderer: any error to OpenAI's error shape, secrets removed. */
export function renderError(err: unknown, redactor?: Redactor): RenderedError {
  const e = toGatewayError(err);
  const headers: Record<string, string> = {};
  if (e.retryAfterSeconds !== undefined) headers["retry-after"] = String(Math.max(0, e.retryAfterSeconds));
  const error = { ...e.exposed, message: e.message, type: e.type, code: e.relayedCode ?? e.code, param: e.param };
  // Every string of the body, however deep: an upstream's fields are relayed in it.
  return { status: e.status, headers, body: { error: redactor ? redactor.redactFields(error) : error } };
}
