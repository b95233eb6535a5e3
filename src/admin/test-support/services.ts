import { MemoryBudgetStore } from "../../budgets/memory-store.js";
import { resolveConfig } from "../../config/resolve.js";
import type { ConfigInput } from "../../config/schema.js";
import { KeyStore } from "../../keys/key-store.js";
import { VirtualKeys } from "../../keys/virtual-keys.js";
import { openStore } from "../../store/open-store.js";
import type { Sql } from "../../store/sql.js";
import type { AdminServices } from "../types.js";

export interface TestServices extends AdminServices {
  sql: Sql;
  close(): Promise<void>;
}

/** Admin services over a fresh in-memory SQLite database and in-memory budget counters, with routes `fast` and `cheap`. */
export async function testServices(config: Partial<ConfigInput> = {}): Promise<TestServices> {
  const sql = await openStore("sqlite::memory:");
  const keyStore = new KeyStore(sql);
  const resolved = resolveConfig({
    providers: { sim: { type: "simulator" } },
    models: { fast: { targets: [{ provider: "sim", model: "sim" }] }, cheap: { targets: [{ provider: "sim", model: "sim" }] } },
    ...config,
  });
  return {
    sql,
    config: resolved,
    store: () => Promise.resolve(sql),
    keyStore: () => Promise.resolve(keyStore),
    virtualKeys: new VirtualKeys(() => Promise.resolve(keyStore)),
    budgetStore: new MemoryBudgetStore(),
    close: () => sql.close(),
  };
}
