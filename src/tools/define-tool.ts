import { z } from "zod";
import { ToolFailure, type ServerTool, type ToolContext, type Validation } from "./tool.js";

/** A library-mode tool: a TypeScript function behind a zod schema. */
export interface FunctionToolDefinition<S extends z.ZodType> {
  description: string;
  schema: S;
  /** Receives the arguments as the schema outputs them; the result is sent to the model as JSON (a string as is). */
  run: (args: z.output<S>, ctx: ToolContext) => unknown;
  timeoutMs?: number;
}

/** A function tool before it has a name (the key it is registered under in `createGateway({ tools })`). */
export interface FunctionTool {
  readonly kind: "function";
  bind(name: string): ServerTool;
}

function issues(error: z.ZodError): string[] {
  return error.issues.map((i) => `arguments${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")} ${i.message}`);
}

/** Declares a function tool; the model is shown the schema's input side as JSON Schema. */
export function defineTool<S extends z.ZodType>(definition: FunctionToolDefinition<S>): FunctionTool {
  const parameters = z.toJSONSchema(definition.schema, { io: "input" }) as Record<string, unknown>;
  const timeoutMs = definition.timeoutMs ?? 10_000;
  return {
    kind: "function",
    bind(name): ServerTool {
      return {
        id: name,
        name,
        description: definition.description,
        parameters,
        timeoutMs,
        validate(args): Validation {
          const parsed = definition.schema.safeParse(args);
          return parsed.success ? { ok: true, args: parsed.data } : { ok: false, errors: issues(parsed.error) };
        },
        async run(args, ctx) {
          const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
          const stopped = new Promise<never>((_, reject) => {
            const stop = () => reject(ctx.signal.aborted ? ctx.signal.reason : new ToolFailure("tool_timeout", `The tool did not finish within ${timeoutMs} ms.`));
            if (signal.aborted) stop();
            else signal.addEventListener("abort", stop, { once: true });
          });
          // Settled by the race or never looked at again once the function returned.
          stopped.catch(() => {});
          const result = await Promise.race([Promise.resolve(definition.run(args as z.output<S>, { ...ctx, signal })), stopped]);
          return typeof result === "string" ? result : JSON.stringify(result ?? null);
        },
      };
    },
  };
}
