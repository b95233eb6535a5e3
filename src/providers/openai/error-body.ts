export interface UpstreamErrorFields {
  message: string;
  type?: string;
  code?: string | null;
  param?: string | null;
  /** A wait hint found in the body (Gemini's RetryInfo); a Retry-After header wins over it. */
  retryAfterMs?: number;
  /** The status the error stands for when the provider's HTTP status says otherwise (AWS answers an expired token with 400). */
  status?: number;
}

/** Reads OpenAI's `{"error": {...}}` (and the looser shapes compatible servers send). */
export function parseOpenAIErrorBody(text: string, status: number): UpstreamErrorFields {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown };
    const err = body.error;
    if (err && typeof err === "object") {
      const e = err as { message?: unknown; type?: unknown; code?: unknown; param?: unknown };
      const fields: UpstreamErrorFields = { message: typeof e.message === "string" ? e.message : `Upstream returned ${status}.` };
      if (typeof e.type === "string") fields.type = e.type;
      if (typeof e.code === "string" || e.code === null) fields.code = e.code as string | null;
      if (typeof e.param === "string" || e.param === null) fields.param = e.param as string | null;
      return fields;
    }
    if (typeof err === "string") return { message: err };
    if (typeof body.message === "string") return { message: body.message };
    if (typeof body.detail === "string") return { message: body.detail };
  } catch {
    // Not JSON: fall through to the raw text.
  }
  const snippet = text.trim().slice(0, 200);
  return { message: snippet ? `Upstream returned ${status}: ${snippet}` : `Upstream returned ${status}.` };
}
