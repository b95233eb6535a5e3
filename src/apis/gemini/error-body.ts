import type { RenderedError } from "../../errors/render.js";

/** google.rpc.Code names by HTTP status, as Google's APIs pair them. */
const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  405: "UNIMPLEMENTED",
  409: "ABORTED",
  413: "INVALID_ARGUMENT",
  415: "INVALID_ARGUMENT",
  422: "FAILED_PRECONDITION",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  501: "UNIMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

export interface GeminiErrorBody {
  error: { code: number; message: string; status: string; details: Record<string, unknown>[] };
}

/**
 * An error in Google's shape: `{error: {code, message, status, details}}`; Tollgate's own
 * code rides in a google.rpc.ErrorInfo detail (reason), with the field it names, if any.
 */
export function toGeminiErrorBody(error: RenderedError): GeminiErrorBody {
  const { message, code, param } = error.body.error;
  const metadata: Record<string, string> = param ? { param } : {};
  return {
    error: {
      code: error.status,
      message,
      status: STATUS_NAMES[error.status] ?? (error.status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION"),
      details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: code, domain: "tollgate", metadata }],
    },
  };
}
