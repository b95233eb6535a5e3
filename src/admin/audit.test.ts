import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { renderError } from "../errors/render.js";
import { exportAudit, listAudit } from "./audit.js";
import { OWNER, testServices, type TestServices } from "./test-support/services.js";
import type { AdminHandler } from "./types.js";

let services: TestServices;
beforeEach(async () => {
  services = await testServices();
  for (let n = 1; n <= 5; n++) {
    await services.audit.record({
      actor: n % 2 ? "user:alice" : "admin-key:ci",
      actorRole: "owner",
      via: "admin_key",
      requestId: `adm_${n}`,
      action: "teams.update",
      resource: "teams",
      resourceId: `t${n}`,
      status: 200,
      before: { n },
      after: { n: n + 1 },
      at: 1_767_225_600_000 + n * 1000,
    });
  }
});
afterEach(() => services.close());

interface Page {
  data: { seq: number }[];
  next_before_seq: number | null;
  error: { message: string };
}

const call = (handler: AdminHandler, query: Record<string, string>) =>
  handler({ params: {}, query, body: undefined, services, principal: OWNER }).then(
    (r) => r as { status: number; body: unknown; contentType?: string },
    (e: unknown) => renderError(e) as { status: number; body: unknown; contentType?: string },
  );
const page = async (query: Record<string, string>) => (await call(listAudit, query)).body as Page;

describe("GET /admin/audit and /admin/audit/export", () => {
  test("pages newest first with next_before_seq, and filters by actor and time", async () => {
    const first = await page({ limit: "2" });
    expect(first.data.map((e) => e.seq)).toEqual([5, 4]);
    expect(first.data[0]).toMatchObject({ object: "audit_entry", actor: "user:alice", before: { n: 5 }, after: { n: 6 }, at: "2026-01-01T00:00:05.000Z" });
    const second = await page({ limit: "2", before_seq: String(first.next_before_seq) });
    expect(second.data.map((e) => e.seq)).toEqual([3, 2]);
    expect((await page({ actor: "admin-key:ci" })).data.map((e) => e.seq)).toEqual([4, 2]);
    expect((await page({ from: "2026-01-01T00:00:02Z", to: "2026-01-01T00:00:04Z" })).data.map((e) => e.seq)).toEqual([3, 2]);
    expect((await call(listAudit, { limit: "2000" })).status).toBe(400);
    expect((await page({ secret: "x" })).error.message).toBe("Unknown query parameter: secret.");
  });

  test("the export is JSON lines oldest first, with the stored fields, continued by after_seq", async () => {
    const all = await call(exportAudit, {});
    expect(all.contentType).toBe("application/x-ndjson");
    const lines = (all.body as string)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; before_json: string; prev_hash: string; hash: string });
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(lines[0]).toMatchObject({ before_json: '{"n":1}', prev_hash: "0".repeat(64) });
    expect(lines[1]!.prev_hash).toBe(lines[0]!.hash);
    const rest = await call(exportAudit, { after_seq: "3", actor: "user:alice" });
    expect(
      (rest.body as string)
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([5]);
    expect((await call(exportAudit, { actor: "nobody" })).body).toBe("");
  });
});
