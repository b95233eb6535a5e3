import { fieldPath } from "../errors/field-path.js";

/**
 * Old config names, still read for one minor version: each use is rewritten to the new name
 * (and unit) before validation, with one warning naming the new name. Remove after 0.(N+1).
 */

type Obj = Record<string, unknown>;

interface Issue {
  path: string;
  message: string;
}

export interface Renamed {
  /** The config with old names replaced (the caller's object is left as it was). */
  input: unknown;
  warnings: string[];
  /** Both an old and a new name set. */
  issues: Issue[];
  /** Issues found at a new path are reported at the path the file used: [new, old] prefixes. */
  paths: [string, string][];
}

const LATER = "the old name is read until the next minor version";

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Tools' JSON Schema parameters and body templates are the user's own JSON: not config names. */
const FREE_FORM = new Set(["tools.*.parameters", "tools.*.body"]);

/** Paths of `{ env: NAME }` secrets (the old spelling of "env:NAME"). */
function objectSecrets(value: unknown, path: PropertyKey[] = []): string[] {
  if (value === null || typeof value !== "object") return [];
  if (path.length === 3 && FREE_FORM.has(`${String(path[0])}.*.${String(path[2])}`)) return [];
  const entries = Object.entries(value);
  if (!Array.isArray(value) && entries.length === 1 && typeof (value as { env?: unknown }).env === "string") return [fieldPath(path)];
  return entries.flatMap(([k, v]) => objectSecrets(v, [...path, Array.isArray(value) ? Number(k) : k]));
}

export function renameDeprecated(raw: unknown): Renamed {
  const out: Renamed = { input: raw, warnings: [], issues: [], paths: [] };
  if (!isObj(raw)) return out;
  const root: Obj = { ...raw };
  out.input = root;

  /** Moves `obj[from]` to `obj[to]` (converted), warning once; both set is an issue. */
  const rename = (obj: Obj, at: string, from: string, to: string, convert: (v: unknown) => unknown = (v) => v, unit = ""): void => {
    if (!(from in obj)) return;
    const prefix = at ? `${at}.` : "";
    if (to in obj) {
      out.issues.push({ path: `${prefix}${from}`, message: `"${from}" is the old name of "${to}": set only "${to}".` });
      delete obj[from];
      return;
    }
    obj[to] = convert(obj[from]);
    delete obj[from];
    out.warnings.push(`${prefix}${from} is now ${prefix}${to}${unit}; ${LATER}.`);
    out.paths.push([`${prefix}${to}`, `${prefix}${from}`]);
  };
  /** A copy of `obj[key]` when it is an object, put back in place so that renames inside it do not touch the caller's. */
  const own = (obj: Obj, key: string): Obj | undefined => {
    const value = obj[key];
    if (!isObj(value)) return undefined;
    const copy = { ...value };
    obj[key] = copy;
    return copy;
  };
  const toMs = (v: unknown) => (typeof v === "number" ? v * 1000 : v);
  /** An enum value renamed, warning once. */
  const renameValue = (obj: Obj | undefined, at: string, key: string, from: string, to: string): void => {
    if (obj?.[key] !== from) return;
    obj[key] = to;
    out.warnings.push(`${at}.${key}: "${from}" is now "${to}"; ${LATER}.`);
  };

  rename(root, "", "models", "routes");
  const routes = own(root, "routes");
  for (const name of Object.keys(routes ?? {})) {
    const cache = own(own(routes!, name) ?? {}, "cache");
    if (!cache) continue;
    for (const kind of ["exact", "semantic"]) {
      const section = own(cache, kind);
      if (section) rename(section, `routes.${name}.cache.${kind}`, "ttlSeconds", "ttlMs", toMs, " (in milliseconds)");
    }
  }
  const idempotency = own(root, "idempotency");
  if (idempotency) rename(idempotency, "idempotency", "retentionSeconds", "retentionMs", toMs, " (in milliseconds)");
  renameValue(idempotency, "idempotency", "store", "sql", "database");
  renameValue(own(root, "cache"), "cache", "store", "sqlite", "database");

  const secrets = objectSecrets(root);
  if (secrets.length > 0) out.warnings.push(`${secrets.join(", ")}: { env: NAME } is now written "env:NAME"; ${LATER}.`);
  // Paths in warnings and issues above use the new root name; the file may use the old one.
  if (out.paths.some(([, old]) => old === "models")) {
    const toOld = (p: string) => p.replace(/^routes\b/, "models");
    out.warnings = out.warnings.map((w, i) => (i === 0 ? w : w.replace(/^routes\./, "models.")));
    out.issues = out.issues.map((i) => ({ ...i, path: toOld(i.path) }));
    out.paths = out.paths.map(([now, old]) => [now, toOld(old)]);
  }
  return out;
}

/** An issue's path as the file wrote it (old names where it used them). */
export function pathAsWritten(path: string, paths: readonly [string, string][]): string {
  let best: [string, string] | undefined;
  for (const pair of paths) {
    const [now] = pair;
    const under = path === now || path.startsWith(`${now}.`) || path.startsWith(`${now}[`);
    if (under && (!best || now.length > best[0].length)) best = pair;
  }
  return best ? best[1] + path.slice(best[0].length) : path;
}
