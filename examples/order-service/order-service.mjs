// A tiny order service for the get_order_status example (docs/tools.md): node:http and
// a SQLite table. Run it with `node examples/order-service/order-service.mjs`.
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";

const SEED = [
  ["A-1001", "shipped", "2026-11-24"],
  ["A-1002", "processing", "2026-11-28"],
  ["A-1003", "delivered", "2026-11-19"],
];

function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/**
 * Starts the service on 127.0.0.1. GET /orders/{id} answers the order's status;
 * POST /orders/{id}/charge adds one charge (deliberately not idempotent itself, so a
 * duplicate call shows). Every request is logged with its Idempotency-Key header.
 */
export async function startOrderService({ port = 0, host = "127.0.0.1", dbPath = ":memory:" } = {}) {
  const db = new Database(dbPath);
  db.exec("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, status TEXT NOT NULL, eta TEXT NOT NULL, charges INTEGER NOT NULL DEFAULT 0)");
  const seed = db.prepare("INSERT OR IGNORE INTO orders (id, status, eta) VALUES (?, ?, ?)");
  for (const row of SEED) seed.run(...row);
  const find = db.prepare("SELECT id, status, eta, charges FROM orders WHERE id = ?");
  const charge = db.prepare("UPDATE orders SET charges = charges + 1 WHERE id = ?");
  const requests = [];

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      requests.push({ method: req.method, path, idempotencyKey: req.headers["idempotency-key"], body: Buffer.concat(chunks).toString("utf8") });
      const match = /^\/orders\/([^/]+)(\/charge)?$/.exec(path);
      const order = match ? find.get(match[1]) : undefined;
      if (!match || !order) return send(res, 404, { error: "Order not found" });
      if (req.method === "GET" && !match[2]) return send(res, 200, { order_id: order.id, status: order.status, eta: order.eta });
      if (req.method === "POST" && match[2]) {
        charge.run(order.id);
        return send(res, 200, { order_id: order.id, charges: find.get(order.id).charges });
      }
      send(res, 405, { error: "Method not allowed" });
    });
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    requests,
    charges: (id) => find.get(id)?.charges ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          db.close();
          resolve();
        });
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const service = await startOrderService({ port: Number(process.env.PORT ?? 4010) });
  console.log(`order service on ${service.url} (orders A-1001, A-1002, A-1003)`);
}
