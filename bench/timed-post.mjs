// One POST over a given keep-alive agent, timed: ttfb (request sent -> first body byte), ttft (-> the
// first body byte that completes a non-empty `"content":"...` in an SSE answer; the whole body
// otherwise) and total, in ms; null if it failed or timed out (10 s). Shared by the latency probes.
import http from "node:http";

const CONTENT = /"content":"[^"]/;

export function timedPost({ host, port, path, headers, body, agent }) {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let t1 = 0n,
      tc = 0n,
      text = "";
    const req = http.request({ host, port, path, method: "POST", headers: { "content-type": "application/json", "content-length": body.length, ...headers }, agent }, (res) => {
      const sse = String(res.headers["content-type"]).startsWith("text/event-stream");
      res.setEncoding("utf8");
      res.on("data", (d) => {
        const now = process.hrtime.bigint();
        if (!t1) t1 = now;
        if (sse && !tc) {
          text += d;
          if (CONTENT.test(text)) tc = now;
        }
      });
      res.on("end", () => {
        const t2 = process.hrtime.bigint();
        const ms = (t) => Number(t - t0) / 1e6;
        resolve({ status: res.statusCode, ttfb: ms(t1 || t2), ttft: ms(tc || t2), total: ms(t2) });
      });
    });
    req.setTimeout(10_000, () => req.destroy());
    req.on("error", () => resolve(null));
    req.end(body);
  });
}
