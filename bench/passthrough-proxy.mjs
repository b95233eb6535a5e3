// The floor: a bare node:http -> undici.request proxy. No parsing, auth, accounting or retries.
// Env: PROXY_PORT (19100), UPSTREAM (http://127.0.0.1:19000)
import http from "node:http";
import { pipeline } from "node:stream";
import { Agent, request } from "undici";

const PORT = Number(process.env.PROXY_PORT || 19100);
const UPSTREAM = process.env.UPSTREAM || "http://127.0.0.1:19000";
const agent = new Agent({ keepAliveTimeout: 30_000, bodyTimeout: 0 });
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "host", "proxy-connection", "te", "upgrade", "trailer"]);
const strip = (h) => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP.has(k)));

http
  .createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const abort = new AbortController();
    res.on("close", () => !res.writableFinished && abort.abort());
    request(UPSTREAM + req.url, { method: req.method, headers: strip(req.headers), body: req, dispatcher: agent, signal: abort.signal, bodyTimeout: 0 }).then(
      (up) => {
        res.writeHead(up.statusCode, strip(up.headers));
        if (String(up.headers["content-type"]).startsWith("text/event-stream")) res.flushHeaders();
        pipeline(up.body, res, () => {}); // chunks leave as they arrive
      },
      (err) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `upstream error: ${err.message}` } }));
      },
    );
  })
  .listen(PORT, "127.0.0.1", () => console.log(`passthrough proxy on http://127.0.0.1:${PORT} -> ${UPSTREAM}`));
process.on("SIGTERM", () => process.exit(0));
