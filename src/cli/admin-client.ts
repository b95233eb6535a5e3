import { CommandError, UsageError } from "./args.js";

const DEFAULT_URL = "http://127.0.0.1:8787";
const TIMEOUT_MS = 30_000;

/** Options every admin command takes. */
export const connectionOptions = {
  url: { type: "string" },
  "admin-key": { type: "string" },
  json: { type: "boolean" },
} as const;

export const CONNECTION_HELP = `Connection: --url URL (or TOLLGATE_URL; default ${DEFAULT_URL}), the admin key from TOLLGATE_ADMIN_KEY (or --admin-key KEY);
--json prints the API's JSON instead of a table.`;

/** A running gateway's admin API. */
export interface AdminClient {
  url: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/** The API answered with an error (or could not be reached): printed as is, exit 1. */
class AdminApiError extends CommandError {
  override name = "AdminApiError";
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

function hint(status: number, code: string | undefined): string {
  if (status === 401) return " Check TOLLGATE_ADMIN_KEY (or --admin-key) against the gateway's admin.keys.";
  if (status === 404 && code === "not_found") return " Is the admin API enabled (admin.keys in the gateway's config) and --url right?";
  return "";
}

export function adminClient(values: { url?: string | undefined; "admin-key"?: string | undefined }, usage: string, env: NodeJS.ProcessEnv = process.env): AdminClient {
  const base = (values.url ?? env.TOLLGATE_URL ?? DEFAULT_URL).replace(/\/+$/, "");
  try {
    const parsed = new URL(base);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("not http");
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got "${base}".`, usage);
  }
  const key = values["admin-key"] ?? env.TOLLGATE_ADMIN_KEY;
  if (!key) throw new UsageError("No admin key: set TOLLGATE_ADMIN_KEY (or pass --admin-key).", usage);

  return {
    url: base,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? (err as Error).message;
        throw new AdminApiError(`Cannot reach the gateway at ${base}: ${reason}.`);
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (!res.ok) {
        const error = (json as { error?: { message?: string; code?: string } } | undefined)?.error;
        const message = error?.message ?? `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`;
        throw new AdminApiError(`Error (HTTP ${res.status}${error?.code ? ` ${error.code}` : ""}): ${message}${hint(res.status, error?.code)}`, res.status, error?.code);
      }
      if (json === undefined) throw new AdminApiError(`The gateway at ${base} answered ${method} ${path} with something other than JSON.`);
      return json as T;
    },
  };
}
