// @ts-check
/**
 * The admin API from the page. The admin key lives in this tab's sessionStorage only: it
 * goes in the Authorization header, never in a URL, and is dropped on sign-out or a 401.
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

export const session = {
  get key() {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  /** @param {string} key */
  signIn(key) {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  signOut(reason = "Signed out. Sign in again with an admin key.") {
    sessionStorage.removeItem(STORAGE_KEY);
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
 * Calls the admin API with the session's key. A 401 ends the session (the login screen shows).
 * @param {string} path e.g. "admin/keys"
 * @param {{ method?: string, body?: unknown, query?: Record<string, string | number | boolean | undefined>, key?: string, signal?: AbortSignal }} [options]
 * @returns {Promise<any>}
 */
export async function admin(path, options = {}) {
  const key = options.key ?? session.key;
  const target = new URL(path, ROOT);
  for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) target.searchParams.set(name, String(value));
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${key ?? ""}` };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(target, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    cache: "no-store",
    credentials: "omit",
    signal: options.signal ?? null,
  });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && options.key === undefined) session.signOut("The admin key is no longer accepted. Sign in again.");
    throw err;
  }
  return res.json();
}
