import { readFileSync } from "node:fs";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { startOrderService, type OrderService } from "../../examples/order-service/order-service.mjs";
import { buildDist, killAll, REPO_ROOT, removeTempDirs, runCli, spawnCli, tempDir, tempFile } from "../support/cli-process.js";

// examples/order-service as its README runs it: the order service, `tollgate start` with
// the example's config (the simulator as the model), and a client asking about an order.

let orders: OrderService;
let config: string;

beforeAll(async () => {
  await buildDist();
  orders = await startOrderService();
  const text = readFileSync(path.join(REPO_ROOT, "examples/order-service/tollgate.config.yaml"), "utf8");
  // The example's fixed port, replaced by the one this test's service got.
  config = tempFile("tollgate.config.yaml", text.replace("127.0.0.1:4010", `127.0.0.1:${orders.port}`));
}, 120_000);
afterEach(killAll);
afterAll(async () => {
  await orders?.close();
  removeTempDirs();
});

test("tollgate check accepts the example config", async () => {
  const result = await runCli(["check", "--config", config]);
  expect(result.stdout).toContain("OK");
  expect(result.code).toBe(0);
});

test("the simulator calls get_order_status and answers from the order service's result", async () => {
  const cli = spawnCli(["start", "--config", config, "--port", "0"], { cwd: tempDir() });
  const url = (await cli.waitForStdout(/Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });

  const { data, response } = await client.chat.completions.create({ model: "support", messages: [{ role: "user", content: "Where is order A-1001?" }] }).withResponse();
  expect(data.choices[0]!.message.content).toContain('"status":"shipped"');
  expect(response.headers.get("x-tollgate-tool-calls")).toBe("1");
  expect(orders.requests).toMatchObject([{ method: "GET", path: "/orders/A-1001" }]);

  // An ID the schema refuses never reaches the service.
  const refused = await client.chat.completions.create({ model: "support", messages: [{ role: "user", content: "Where is order 12?" }] });
  expect(refused.choices[0]!.message.content).toContain("invalid_arguments");
  expect(orders.requests).toHaveLength(1);
});
