import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parsePrometheusText } from "../../test/support/prometheus-text.js";
import { resolveConfig } from "../config/resolve.js";
import { BreakerRegistry } from "../engine/breaker-registry.js";
import { GatewayMetrics } from "./metrics.js";

// docs/alerts/prometheus-rules.yaml: valid for Prometheus (promtool, from Debian's
// `prometheus` package), and every metric it names is one the gateway exports.

const RULES = fileURLToPath(new URL("../../docs/alerts/prometheus-rules.yaml", import.meta.url));

function promtool(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile("promtool", args, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === "ENOENT") {
        reject(new Error("promtool is not installed: it comes with Prometheus (Debian/Ubuntu: apt-get install -y prometheus)."));
        return;
      }
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe("docs/alerts/prometheus-rules.yaml", () => {
  it("passes promtool check rules", async () => {
    const result = await promtool(["check", "rules", RULES]);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.code).toBe(0);
  });

  it("names only metrics the gateway exports, and covers budgets, errors, latency and the spool", async () => {
    const metrics = new GatewayMetrics(resolveConfig({ providers: { sim: { type: "simulator" } }, models: { fast: { targets: [{ provider: "sim", model: "sim" }] } } }, {}), new BreakerRegistry());
    metrics.watchLedgerSpool(() => 0);
    const exported = parsePrometheusText(await metrics.text()).types;
    const doc = parseYaml(readFileSync(RULES, "utf8")) as { groups: { name: string; rules: { alert: string; expr: string }[] }[] };
    const used = new Set(doc.groups.flatMap((g) => g.rules.flatMap((r) => r.expr.match(/tollgate_[a-z_]+/g) ?? [])).map((m) => m.replace(/_(bucket|sum|count)$/, "")));
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    expect(doc.groups.map((g) => g.name)).toEqual(["tollgate-budgets", "tollgate-errors", "tollgate-latency", "tollgate-ledger"]);
  });
});
