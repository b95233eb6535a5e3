/** The session cookie: HttpOnly, Secure, SameSite=Strict, for the whole gateway (the admin API lives beside the dashboard). */
export const SESSION_COOKIE = "tollgate_session";
/** State, nonce and PKCE verifier between the redirect to the provider and its callback: SameSite=Lax, as the callback is a cross-site navigation. */
export const FLOW_COOKIE = "tollgate_oidc_flow";

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export function setCookie(name: string, value: string, options: { maxAgeSeconds: number; sameSite: "Strict" | "Lax"; secure: boolean; path: string }): string {
  return [`${name}=${encodeURIComponent(value)}`, `Path=${options.path}`, `Max-Age=${options.maxAgeSeconds}`, "HttpOnly", `SameSite=${options.sameSite}`, ...(options.secure ? ["Secure"] : [])].join(
    "; ",
  );
}
