import { execFile } from "node:child_process";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, expect, test } from "vitest";

// `npm test` runs scripts/check-services.mjs first: a missing service stops it at once with
// its name and how to start it, never dozens of cryptic failures.

const SCRIPT = fileURLToPath(new URL("../../scripts/check-services.mjs", import.meta.url));
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function check(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT], { env: { ...process.env, ...env } }, (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
  });
}

/** A port on loopback that accepts connections and answers whatever it is sent with `answer`. */
async function impostor(answer: string): Promise<number> {
  const server = createServer((socket) => socket.once("data", () => socket.end(answer)));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

test("names each missing service and how to start it, and exits 1", async () => {
  const closed = await impostor("");
  servers[0]!.close();
  const { code, stderr } = await check({ TOLLGATE_TEST_POSTGRES_URL: `postgres://postgres@127.0.0.1:${closed}/test`, TOLLGATE_CHROMIUM: "/nonexistent/chromium" });
  expect(code).toBe(1);
  expect(stderr).toContain(`PostgreSQL at 127.0.0.1:${closed}: connect ECONNREFUSED`);
  expect(stderr).toContain("pg_ctlcluster");
  expect(stderr).toContain("Chromium at /nonexistent/chromium: not installed");
  expect(stderr).toContain("apt-get install -y chromium");
  expect(stderr).toContain("npm run test:unit");
});

test("a server that does not speak PostgreSQL's protocol is not taken for one", async () => {
  const port = await impostor("HTTP/1.1 400 Bad Request\r\n\r\n");
  const { code, stderr } = await check({ TOLLGATE_TEST_POSTGRES_URL: `postgres://postgres@127.0.0.1:${port}/test` });
  expect(code).toBe(1);
  expect(stderr).toContain(`PostgreSQL at 127.0.0.1:${port}: the server there does not speak the PostgreSQL protocol`);
});

test("passes silently when every service answers", async () => {
  expect(await check({})).toEqual({ code: 0, stderr: "" });
});
