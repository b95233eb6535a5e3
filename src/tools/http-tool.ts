import { Agent, request } from "undici";
import type { ResolvedHttpTool } from "../config/resolve.js";
import { compileSchema } from "./schema-validator.js";
import { assertAllowedLiteral, BlockedAddressError, guardedLookup } from "./ssrf-guard.js";
import { ToolFailure, type ServerTool, type ToolContext, type Validation } from "./tool.js";
import { expandBody, expandUrl, templateOrigin } from "./url-template.js";

const WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

/** An undici agent whose every connection goes through the SSRF guard's lookup. */
export function guardedAgent(allowPrivateNetwork: boolean): Agent {
  return new Agent({ connect: { lookup: guardedLookup(allowPrivateNetwork) } });
}

/** The guard's refusal, wherever undici wrapped it. */
function blockedCause(err: unknown): BlockedAddressError | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof BlockedAddressError) return e;
  return undefined;
}

async function readCapped(body: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const bytes of body) {
    size += bytes.byteLength;
    if (size > limit) throw new ToolFailure("tool_response_too_large", `The tool's response exceeds ${limit} bytes.`);
    parts.push(Buffer.from(bytes));
  }
  return Buffer.concat(parts).toString("utf8");
}

/** A configured HTTP endpoint as a tool: one origin, a timeout, a size cap, no redirects. */
export class HttpTool implements ServerTool {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
  readonly timeoutMs: number;
  readonly validate: (args: unknown) => Validation;
  private readonly origin: string;
  private readonly agent: Agent;

  constructor(private readonly config: ResolvedHttpTool) {
    this.id = this.name = config.name;
    this.description = config.description;
    this.parameters = config.parameters;
    this.timeoutMs = config.timeoutMs;
    this.validate = compileSchema(config.parameters);
    this.origin = templateOrigin(config.url).origin;
    this.agent = guardedAgent(config.allowPrivateNetwork);
  }

  async run(args: unknown, ctx: ToolContext): Promise<string> {
    const values = (args ?? {}) as Record<string, unknown>;
    const url = expandUrl(this.config.url, values, this.origin);
    const headers: Record<string, string> = { ...this.config.headers, "idempotency-key": ctx.idempotencyKey };
    let body: string | undefined;
    if (WITH_BODY.has(this.config.method)) {
      body = JSON.stringify(this.config.body === undefined ? values : expandBody(this.config.body, values));
      headers["content-type"] = "application/json";
    }
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(this.timeoutMs)]);
    try {
      assertAllowedLiteral(url, this.config.allowPrivateNetwork);
      const res = await request(url, { method: this.config.method, headers, body, dispatcher: this.agent, signal });
      if (res.statusCode >= 300 && res.statusCode < 400) {
        await res.body.dump();
        throw new ToolFailure("tool_redirect_refused", `The tool answered ${res.statusCode} (a redirect); redirects are not followed.`);
      }
      const text = await readCapped(res.body, this.config.maxResponseBytes);
      if (res.statusCode >= 400) throw new ToolFailure("tool_http_error", `The tool answered ${res.statusCode}: ${text.slice(0, 500)}`);
      return text;
    } catch (err) {
      throw this.failureOf(err, signal, ctx.signal);
    }
  }

  private failureOf(err: unknown, signal: AbortSignal, clientSignal: AbortSignal): unknown {
    if (err instanceof ToolFailure) return err;
    if (clientSignal.aborted) return clientSignal.reason;
    const blocked = blockedCause(err);
    if (blocked) return new ToolFailure("tool_address_blocked", blocked.message);
    if (signal.aborted) return new ToolFailure("tool_timeout", `The tool did not answer within ${this.timeoutMs} ms.`);
    return new ToolFailure("tool_unreachable", `The tool could not be reached: ${(err as Error).message}`);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
