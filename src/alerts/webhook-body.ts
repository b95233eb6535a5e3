import type { Alert } from "./types.js";

/** The JSON a webhook receives for an alert, in its format. */
export function webhookBody(format: "generic" | "slack" | "teams", alert: Alert, meta: { id: string; createdAt: number }): unknown {
  const title = `Tollgate ${alert.severity}: ${alert.ruleId}`;
  if (format === "slack") {
    // Slack's incoming webhooks: `text` is the notification, blocks the message.
    return {
      text: `${title}: ${alert.summary}`,
      blocks: [
        { type: "header", text: { type: "plain_text", text: title } },
        { type: "section", text: { type: "mrkdwn", text: alert.summary } },
        { type: "context", elements: [{ type: "mrkdwn", text: `${alert.kind} · ${alert.subject} · ${new Date(alert.windowStart).toISOString()}` }] },
      ],
    };
  }
  if (format === "teams") {
    // Teams' incoming webhooks (and Workflows): an Adaptive Card in a message.
    return {
      type: "message",
      attachments: [
        {
          contentType: "application/vnd.microsoft.card.adaptive",
          content: {
            type: "AdaptiveCard",
            $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
            version: "1.4",
            body: [
              { type: "TextBlock", size: "Medium", weight: "Bolder", text: title },
              { type: "TextBlock", wrap: true, text: alert.summary },
              {
                type: "FactSet",
                facts: [
                  { title: "Kind", value: alert.kind },
                  { title: "Subject", value: alert.subject },
                  { title: "Window", value: new Date(alert.windowStart).toISOString() },
                ],
              },
            ],
          },
        },
      ],
    };
  }
  return {
    type: "tollgate.alert",
    id: meta.id,
    created_at: new Date(meta.createdAt).toISOString(),
    rule: alert.ruleId,
    kind: alert.kind,
    severity: alert.severity,
    subject: alert.subject,
    window_start: new Date(alert.windowStart).toISOString(),
    summary: alert.summary,
    details: alert.details,
  };
}
