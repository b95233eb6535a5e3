// @ts-check
/**
 * The admin API from the page. The admin key lives in this tab's sessionStorage only: it
 * goes in the Authorization header, never in a URL, and is dropped on sign-out or a 401.
 * Signed in with single sign-on instead, the HttpOnly session cookie is the credential
 * (the page never sees it) and each change carries the session's CSRF token.
 */

const STORAGE_KEY = "tollgate.adminKey";
/** The gateway's root, relative to the page at <root>/dashboard/: works under a host app's mount prefix too. */
const ROOT = new URL("../", location.href);

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {string | null} code
   */
  constructor(status, message, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** @type {Set<(reason: string) => void>} */
const signedOut = new Set();

/**
 * Who is signed in (GET /admin/me): role, teams, the endpoints the role may call, and for a
 * single sign-on session the CSRF token every change carries.
 * @typedef {{ actor: string, via: "admin_key" | "session", role: string, teams: string[], user_id: string | null, sees_all: boolean, endpoints: string[], csrf_token?: string }} Me
 */

/** @type {Me | null} */
let me = null;

export const session = {
  /** The admin key of this tab, or null (signed in with single sign-on, or not at all). */
  get key() {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  get me() {
    return me;
  },
  /**
   * Whether the signed-in role may call an endpoint, e.g. "POST /admin/keys".
   * @param {string} endpoint
   */
  can(endpoint) {
    return me?.endpoints.includes(endpoint) ?? false;
  },
  /**
   * Reads who is signed in (with `key`, or the session cookie); false when nobody is.
   * @param {string} [key]
   */
  async start(key) {
    try {
      me = await admin("admin/me", key === undefined ? { quiet: true } : { key });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return false;
      throw err;
    }
    if (key !== undefined) sessionStorage.setItem(STORAGE_KEY, key);
    return true;
  },
  signOut(reason = "Signed out.") {
    const csrf = me?.csrf_token;
    sessionStorage.removeItem(STORAGE_KEY);
    me = null;
    // A single sign-on session ends on the server too (every instance, the cookie cleared).
    if (csrf) void fetch(new URL("dashboard/auth/logout", ROOT), { method: "POST", headers: { "x-csrf-token": csrf }, credentials: "same-origin" });
    for (const listener of signedOut) listener(reason);
  },
  /** @param {(reason: string) => void} listener */
  onSignOut(listener) {
    signedOut.add(listener);
  },
};

/** @param {string} path relative to the gateway root, e.g. "admin/usage" */
export function url(path) {
  return new URL(path, ROOT).toString();
}

/**
 * @param {Response} res
 * @returns {Promise<ApiError>}
 */
export async function errorOf(res) {
  /** @type {{ error?: { message?: string, code?: string } }} */
  let body = {};
  try {
    body = await res.json();
  } catch {
    // Not JSON: the status says enough.
  }
  return new ApiError(res.status, body.error?.message ?? `${res.status} ${res.statusText}`, body.error?.code ?? null);
}

/**
 * The admin API's response for `path`, with the tab's admin key, or else the single sign-on
 * session's cookie (and its CSRF token on changes). A 401 ends the session (the sign-in
 * screen shows) unless `key` or `quiet` is given.
 * @param {string} path e.g. "admin/keys"
 * @param {{ method?: string, body?: unknown, query?: Record<string, string | number | boolean | undefined>, key?: string, quiet?: boolean, signal?: AbortSignal }} [options]
 * @returns {Promise<Response>}
 */
export async function adminResponse(path, options = {}) {
  const key = options.key ?? session.key;
  const target = new URL(path, ROOT);
  for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) target.searchParams.set(name, String(value));
  const method = options.method ?? "GET";
  /** @type {Record<string, string>} */
  const headers = {};
  if (key) headers.authorization = `Bearer ${key}`;
  else if (method !== "GET" && me?.csrf_token) headers["x-csrf-token"] = me.csrf_token;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(target, {
    method,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    cache: "no-store",
    // The admin key goes in the header only; without one, the session cookie is the credential.
    credentials: key ? "omit" : "same-origin",
    signal: options.signal ?? null,
  });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && options.key === undefined && !options.quiet) session.signOut("Your sign-in is no longer accepted. Sign in again.");
    throw err;
  }
  return res;
}

/**
 * The admin API's JSON for `path` (see adminResponse).
 * @param {string} path
 * @param {Parameters<typeof adminResponse>[1]} [options]
 * @returns {Promise<any>}
 */
export async function admin(path, options = {}) {
  return (await adminResponse(path, options)).json();
}
