/**
 * Gemini 3 returns a thought signature with each function call and rejects the next turn
 * if the call comes back without it. A client of another API cannot carry it, except in
 * the one field every API round-trips: the call's id. So a signed call's id is
 * `call_<hash>__ts_<signature as base64url>` (ids stay within [A-Za-z0-9_-], as Anthropic's
 * tool_use ids must), and the request builder takes the signature back out.
 */
const MARKER = "__ts_";

export function idWithSignature(id: string, signature: string | undefined): string {
  return signature ? `${id}${MARKER}${Buffer.from(signature, "base64").toString("base64url")}` : id;
}

/** The signature carried in a call id; undefined when it carries none. */
export function signatureFromId(id: string): string | undefined {
  const at = id.lastIndexOf(MARKER);
  if (at === -1) return undefined;
  const encoded = id.slice(at + MARKER.length);
  return /^[A-Za-z0-9_-]+$/.test(encoded) ? Buffer.from(encoded, "base64url").toString("base64") : undefined;
}
