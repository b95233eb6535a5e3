import { AuditLog } from "../../audit/audit-log.js";
import { MemoryBudgetStore } from "../../budgets/memory-store.js";
import { resolveConfig } from "../../config/resolve.js";
import type { ConfigInput } from "../../config/schema.js";
import { Redactor } from "../../errors/redact.js";
import { KeyStore } from "../../keys/key-store.js";
import { VirtualKeys } from "../../keys/virtual-keys.js";
import { OrgDirectory } from "../../orgs/org-directory.js";
import { OrgStore } from "../../orgs/org-store.js";
import type { Principal } from "../../orgs/principal.js";
import { openStore } from "../../store/open-store.js";
import type { Sql } from "../../store/sql.js";
import type { AdminServices } from "../types.js";

export interface TestServices extends AdminServices {
  sql: Sql;
  close(): Promise<void>;
}

/** The caller of handler tests that are not about roles. */
export const OWNER: Principal = { actor: "admin-key:test", via: "admin_key", role: "owner", teams: [] };

/** Admin services over a fresh in-memory SQLite database and in-memory budget counters, with routes `fast` and `cheap`. */
export async function testServices(config: Partial<ConfigInput> = {}): Promise<TestServices> {
  const sql = await openStore("sqlite::memory:");
  const keyStore = new KeyStore(sql);
  const orgStore = new OrgStore(sql);
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
    orgs: new OrgDirectory(() => Promise.resolve(orgStore)),
    audit: new AuditLog(() => Promise.resolve(sql), new Redactor()),
    budgetStore: new MemoryBudgetStore(),
    close: () => sql.close(),
  };
}
