// @ts-check
import { admin } from "../api.js";
import { card, h, replace } from "../dom.js";
import { dateTime } from "../format.js";
import { errorBox, table } from "../table.js";

/**
 * @typedef {{ id: string, rule_id: string, kind: string, severity: string, subject: string, summary: string, webhook: string, created_at: string, state: string, attempts: number, last_error: string | null }} AlertRow
 */

/** The latest alerts (GET /admin/alerts) and how their delivery went. */
export function alertsCard() {
  const body = h("div", null, h("div", { class: "empty" }, "Loading…"));
  void (async () => {
    try {
      const alerts = await admin("admin/alerts");
      const hint = alerts.webhooks.length === 0 ? "No webhooks configured (alerts.webhooks): rules are not evaluated." : "No alerts yet.";
      replace(
        body,
        table(
          [
            { label: "When", cell: (/** @type {AlertRow} */ a) => dateTime(a.created_at) },
            { label: "Severity", cell: (a) => h("span", { class: `badge ${a.severity === "critical" ? "bad" : "warn"}` }, a.severity) },
            { label: "Rule", cell: (a) => a.rule_id },
            { label: "Alert", wide: true, cell: (a) => a.summary },
            { label: "Webhook", phoneHidden: true, cell: (a) => a.webhook },
            {
              label: "Delivery",
              cell: (a) => (a.state === "sent" ? "sent" : `${a.state}${a.attempts > 0 ? ` after ${a.attempts} attempt${a.attempts === 1 ? "" : "s"}` : ""}${a.last_error ? ` (${a.last_error})` : ""}`),
            },
          ],
          alerts.recent,
          { empty: hint, label: "Alerts" },
        ),
      );
    } catch (err) {
      replace(body, errorBox(err));
    }
  })();
  return card({ title: "Alerts", subtitle: "Budget, spend-rate, provider and ledger alerts, newest first", body, id: "alerts-card" });
}
