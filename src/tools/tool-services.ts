import type { Sql } from "../store/sql.js";
import type { ToolRegistry } from "./registry.js";
import { ToolResultStore } from "./result-store.js";

/** What the tool loop needs from the gateway: the registry and the stored results. */
export interface ToolServices {
  registry: ToolRegistry;
  results: () => Promise<ToolResultStore>;
}

export function createToolServices(registry: ToolRegistry, store: () => Promise<Sql>, retentionMs: number): ToolServices {
  let results: Promise<ToolResultStore> | undefined;
  return { registry, results: () => (results ??= store().then((sql) => new ToolResultStore(sql, retentionMs))) };
}
