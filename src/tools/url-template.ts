import { ToolFailure } from "./tool.js";

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

/** The parts of a URL template a placeholder may not touch: scheme, host and port. */
export function templateOrigin(template: string): URL {
  const authorityEnd = template.indexOf("/", template.indexOf("//") + 2);
  const head = authorityEnd === -1 ? template : template.slice(0, authorityEnd);
  if (head.includes("{")) throw new Error("placeholders are allowed in the path and query only, not in the scheme, host or port");
  const url = new URL(template.replace(PLACEHOLDER, "x"));
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`only http and https URLs are allowed, got ${url.protocol}`);
  return url;
}

function scalar(name: string, value: unknown): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  throw new ToolFailure("invalid_arguments", `Argument "${name}" must be a string, number or boolean to fill the URL.`);
}

/**
 * Fills a URL template with percent-encoded arguments. A value can never add a path
 * segment, a query or a fragment ("/", "?", "#" are encoded), nor be a dot segment
 * (which a URL parser would resolve, in any encoding), so the URL stays on its origin
 * and under its path.
 */
export function expandUrl(template: string, args: Record<string, unknown>, origin: string): URL {
  const text = template.replace(PLACEHOLDER, (_, name: string) => {
    if (!(name in args)) throw new ToolFailure("invalid_arguments", `Argument "${name}" is required to build the URL.`);
    const value = scalar(name, args[name]);
    if (value === "." || value === "..") throw new ToolFailure("invalid_arguments", `Argument "${name}" cannot be "${value}".`);
    return encodeURIComponent(value);
  });
  const url = new URL(text);
  if (url.origin !== origin) throw new ToolFailure("invalid_arguments", "The arguments would change the tool's origin.");
  return url;
}

/** A JSON body template: every string that is exactly "{name}" becomes that argument's value. */
export function expandBody(template: unknown, args: Record<string, unknown>): unknown {
  if (typeof template === "string") {
    const whole = /^\{([A-Za-z0-9_]+)\}$/.exec(template);
    return whole ? (args[whole[1]!] ?? null) : template;
  }
  if (Array.isArray(template)) return template.map((v) => expandBody(v, args));
  if (template !== null && typeof template === "object") return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, expandBody(v, args)]));
  return template;
}
