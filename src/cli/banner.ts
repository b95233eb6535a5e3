import type { ResolvedConfig } from "../config/resolve.js";

/** The start banner: where it listens, what it routes where, the dashboard, and loud warnings. */
export function banner(config: ResolvedConfig, url: string, source: string, localAdminKey?: string): string {
  const lines = [`Tollgate listening on ${url}  (OpenAI-compatible: ${url}/v1)`, `config: ${source}`, "models:"];
  for (const route of Object.values(config.models)) {
    const targets = route.targets.map((t) => {
      const simulated = config.providers[t.provider]?.type === "simulator";
      return `${t.provider}/${t.model}${simulated ? " [SIMULATOR]" : ""}`;
    });
    lines.push(`  ${route.name} -> ${targets.join(" -> ")}`);
  }
  if (Object.values(config.providers).some((p) => p.type === "simulator")) {
    lines.push("NOTE: [SIMULATOR] targets are Tollgate's built-in fake model, not a real LLM.");
  }
  // Single sign-on alone turns the admin API (and with it virtual keys) on too.
  const admin = config.adminKeys.length > 0 || config.admin.oidc !== undefined;
  if (localAdminKey) {
    lines.push(`dashboard: ${url}/dashboard/#key=${localAdminKey}`);
    lines.push(`  (a one-time admin key for this run, also for the admin API; set admin.keys in a config to keep one)`);
  } else if (admin) lines.push(`dashboard: ${url}/dashboard/`);
  if (admin) lines.push(`admin API: ${url}/admin  (tollgate keys / tollgate usage --url ${url})`);
  if (config.admin.oidc) lines.push(`dashboard sign-in: single sign-on with ${config.admin.oidc.issuer}`);
  if (config.clientKeys.length === 0 && !config.open) {
    lines.push("Clients need a virtual key: create one with `tollgate keys create --user U`.");
  } else if (config.open) {
    lines.push("WARNING: no client keys configured (auth.keys): ANY caller can use this gateway. For local development only.");
  }
  return `${lines.join("\n")}\n`;
}
