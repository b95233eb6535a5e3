#!/usr/bin/env node
// Run by `npm test` before anything else: the suite talks to real PostgreSQL, Redis and
// Chromium, and a missing one would otherwise show as dozens of cryptic failures.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";

const postgresUrl = new URL(process.env.TOLLGATE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test");
const chromium = process.env.TOLLGATE_CHROMIUM ?? "/usr/bin/chromium";

/** Sends `hello` to host:port and resolves with the first bytes answered, or rejects. */
function ask(host, port, hello) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(3000, () => socket.destroy(new Error("no answer within 3 s")));
    socket.once("connect", () => socket.write(hello));
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data);
    });
    socket.once("error", reject);
  });
}

// PostgreSQL answers an SSLRequest with one byte, 'S' or 'N'.
const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

const checks = [
  {
    name: `PostgreSQL at ${postgresUrl.hostname}:${postgresUrl.port || 5432}`,
    start: "apt-get install -y postgresql, then: pg_ctlcluster $(ls /etc/postgresql) main start (trust auth for 127.0.0.1, database `test`)",
    run: async () => {
      const answer = await ask(postgresUrl.hostname, Number(postgresUrl.port || 5432), sslRequest);
      if (![0x53, 0x4e].includes(answer[0])) throw new Error("the server there does not speak the PostgreSQL protocol");
    },
  },
  {
    name: "Redis at 127.0.0.1:6379",
    start: "apt-get install -y redis-server, then: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
    run: async () => {
      const answer = (await ask("127.0.0.1", 6379, "PING\r\n")).toString();
      if (!answer.startsWith("+PONG")) throw new Error(`unexpected answer ${JSON.stringify(answer.slice(0, 40))}`);
    },
  },
  {
    name: "promtool (checks docs/alerts/prometheus-rules.yaml)",
    start: "apt-get install -y prometheus",
    run: async () => {
      try {
        execFileSync("promtool", ["--version"], { stdio: "ignore" });
      } catch {
        throw new Error("not installed");
      }
    },
  },
  {
    name: `Chromium at ${chromium}`,
    start: "apt-get install -y chromium (or set TOLLGATE_CHROMIUM to a Chromium binary)",
    run: async () => {
      if (!existsSync(chromium)) throw new Error("not installed");
    },
  },
];

const missing = [];
for (const check of checks) {
  try {
    await check.run();
  } catch (err) {
    missing.push(`  - ${check.name}: ${err instanceof Error ? err.message : String(err)}\n    start it: ${check.start}`);
  }
}
if (missing.length > 0) {
  console.error(`npm test needs these services, and could not reach them:\n${missing.join("\n")}\n\`npm run test:unit\` runs the tests that need none.`);
  process.exit(1);
}
