import type { UpstreamErrorFields } from "../openai/error-body.js";

/** Exceptions that mean the credentials were refused, whatever status AWS sent them with. */
const AUTH_EXCEPTIONS = new Set(["UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "IncompleteSignatureException", "MissingAuthenticationTokenException"]);

function headerText(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Bedrock's error answers: `{"message": "..."}` with the exception named in the
 * `x-amzn-errortype` header (`ThrottlingException:http://...`) or in `__type`. The name
 * becomes `type`; a refused signature or token is a 401 whatever status came with it, so
 * it reads as the upstream refusing Tollgate's credentials, not as the client's mistake.
 */
export function parseBedrockErrorBody(status: number, text: string, headers: Record<string, string | string[] | undefined> = {}): UpstreamErrorFields {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page): quoted below.
  }
  const raw = headerText(headers, "x-amzn-errortype") ?? (typeof body.__type === "string" ? body.__type : undefined);
  // "ThrottlingException:http://internal.amazon.com/coral/..." or "com.amazon.coral#ThrottlingException".
  const type = raw?.split(":")[0]?.split("#").at(-1);
  const message = typeof body.message === "string" ? body.message : typeof body.Message === "string" ? body.Message : undefined;
  const snippet = text.trim().slice(0, 200);
  const fields: UpstreamErrorFields = { message: message ?? (snippet ? `Upstream returned ${status}: ${snippet}` : `Upstream returned ${status}.`) };
  if (type) {
    fields.type = type;
    fields.code = type;
    if (AUTH_EXCEPTIONS.has(type)) fields.status = 401;
  }
  return fields;
}
