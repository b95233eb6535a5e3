import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildDist, killAll, removeTempDirs, spawnCli, tempFile, type CliProcess } from "../support/cli-process.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { sendThenRead, wholeAnswer } from "../support/send-then-read.js";

// Bad input costs neither memory nor a 5xx: a request's key is checked before its body is
// read, so unauthenticated bodies are refused unread (401, connection closed) however slowly
// or largely they come; a keyed body has a deadline (408) and all bodies share a bound on
// bytes in flight (503). The connection closes lingering (server/linger-close.ts): a client
// still sending its body reads the whole answer, not a reset. The load test holds 500 slow
// unauthenticated uploads against a real gateway process while keyed clients run, every one
// reads its whole 401, and the process grows by less than 100 MB.

const KEY = "slow-bodies-key-0123456789";
const chat = JSON.stringify({ model: "sim", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });

/** A raw HTTP/1.1 request whose body (declared `declared` bytes) is sent a few bytes at a time; resolves with what the server answered. */
function slowUpload(url: string, headers: Record<string, string>, declared: number, sockets: Socket[]): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    sockets.push(socket);
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => (answer += text));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(trickle);
      resolve(answer);
    });
    const head = Object.entries({ host: `${hostname}:${port}`, "content-type": "application/json", "content-length": String(declared), ...headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\n${head}\r\n{"model":"sim","messages":[`);
    const trickle = setInterval(() => socket.writable && socket.write(" ".repeat(64)), 50);
  });
}

describe("bodies refused before they cost anything", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(
      {
        server: { bodyTimeoutMs: 300, bodyBytesInFlight: 64 * 1024 },
        auth: { keys: ["env:KEY"] },
        providers: { sim: { type: "simulator", ttftMs: 0, tokensPerSecond: 100_000 } },
        models: { sim: { targets: [{ provider: "sim", model: "sim" }] } },
      },
      { env: { KEY } },
    );
  });
  afterAll(async () => {
    await gw?.close();
  });

  test("no key or a wrong one: 401 before the body is read, and the connection is closed", async () => {
    const sockets: Socket[] = [];
    for (const headers of [{}, { authorization: "Bearer not-the-key" }] as Record<string, string>[]) {
      const answer = await slowUpload(gw.url, headers, 4 * 1024 * 1024, sockets);
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.toLowerCase()).toContain("connection: close");
    }
    // Recorded like any refused request.
    expect(gw.records.filter((r) => r.status === 401)).toHaveLength(2);
  });

  test("clients that write their whole body before reading read the whole 401: the connection lingers", async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => sendThenRead(gw.url, "/v1/chat/completions", i % 2 ? {} : { authorization: "Bearer not-the-key" }, 256 * 1024)));
    expect(answers.filter((a) => !wholeAnswer(a, 401)).map((a) => a.split("\r\n")[0])).toEqual([]);
  });

  test("a keyed body slower than the deadline gets 408", async () => {
    const answer = await slowUpload(gw.url, { authorization: `Bearer ${KEY}` }, 10_000, []);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"code":"request_timeout"');
  });

  test("bodies beyond the bytes in flight get 503 with Retry-After; the others go on", async () => {
    const sockets: Socket[] = [];
    // Each holds ~40 KB in flight and never finishes: the second cannot fit under 64 KB.
    const { hostname, port } = new URL(gw.url);
    const hold = (): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect(Number(port), hostname);
        sockets.push(socket);
        let answer = "";
        socket.setEncoding("latin1");
        socket.on("data", (text: string) => {
          answer += text;
          if (answer.includes("\r\n\r\n")) resolve(answer);
        });
        socket.on("error", () => undefined);
        socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${KEY}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n${" ".repeat(40_000)}`);
      });
    const first = hold();
    const second = hold();
    const refused = await Promise.race([first, second]);
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused.toLowerCase()).toContain("retry-after: 1");
    for (const s of sockets) s.destroy();
    // Once they are gone, a normal request fits again.
    const ok = await request(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: chat });
    expect(ok.statusCode).toBe(200);
    await ok.body.text();
  });
});

describe("connections that send no request", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway(
      {
        server: { maxPendingConnections: 2, headersTimeoutMs: 1_000 },
        auth: { keys: ["env:KEY"] },
        providers: { sim: { type: "simulator", ttftMs: 0, tokensPerSecond: 100_000 } },
        models: { sim: { targets: [{ provider: "sim", model: "sim" }] } },
      },
      { env: { KEY } },
    );
  });
  afterAll(async () => {
    await gw?.close();
  });

  const open = (): Promise<{ socket: Socket; closed: Promise<string> }> => {
    const { hostname, port } = new URL(gw.url);
    const socket = connect(Number(port), hostname);
    let answer = "";
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => (answer += text));
    socket.on("error", () => undefined);
    const closed = new Promise<string>((resolve) => socket.on("close", () => resolve(answer)));
    return new Promise((resolve) => socket.on("connect", () => resolve({ socket, closed })));
  };

  test("past maxPendingConnections a new connection is closed at once; headers that never finish are cut at headersTimeoutMs", async () => {
    const first = await open();
    const second = await open();
    // Half a request: its headers never end.
    first.socket.write("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n");
    second.socket.write("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n");
    const third = await open();
    // Closed by the server without a byte: no room for another connection that has sent no request.
    expect(await third.closed).toBe("");
    // The two pending ones are answered 408 and closed once their headers are overdue.
    expect(await first.closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(await second.closed).toMatch(/^HTTP\/1\.1 408 /);
    // Room again: a keyed request is served.
    const ok = await request(`${gw.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: chat });
    expect(ok.statusCode).toBe(200);
    await ok.body.text();
  });
});

describe("500 slow unauthenticated uploads against a gateway process", () => {
  let cli: CliProcess;
  let url: string;
  beforeAll(async () => {
    await buildDist();
    const config = tempFile(
      "slow.yaml",
      // Headers get all the time a busy machine needs: this test is about refusing unread
      // bodies by the key (the headers timeout has its own test above).
      `database: { url: "sqlite::memory:" }
server: { headersTimeoutMs: 120000 }
auth: { keys: ["env:SLOW_KEY"] }
providers: { sim: { type: simulator, ttftMs: 0, tokensPerSecond: 100000 } }
models: { sim: { targets: [{ provider: sim, model: sim }] } }
`,
    );
    cli = spawnCli(["start", "--config", config, "--port", "0"], { env: { SLOW_KEY: KEY } });
    [, url] = (await cli.waitForStdout(/listening on (http:\/\/\S+)/)) as [string, string];
  }, 180_000);
  afterAll(async () => {
    await killAll();
    removeTempDirs();
  });

  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${cli.child.pid}/status`, "utf8"))![1]) * 1024;

  test("RSS grows by less than 100 MB, every upload's client reads its whole 401, and keyed clients are served", async () => {
    const agent = new Agent({ connections: 8 });
    const keyed = async () => {
      const res = await request(`${url}/v1/chat/completions`, { method: "POST", dispatcher: agent, headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" }, body: chat });
      await res.body.text();
      return res.statusCode;
    };
    // Warm: the baseline is the process serving, not the process starting.
    for (let i = 0; i < 50; i++) expect(await keyed()).toBe(200);
    const before = rss();
    let peak = before;
    const sockets: Socket[] = [];
    // Most trickle a 4 MB body reading as they go; one in five writes a 256 KB body out before reading.
    const uploads = Array.from({ length: 500 }, (_, i) => {
      const headers: Record<string, string> = i % 2 ? {} : { "x-api-key": "wrong-key-123456" };
      return i % 5 === 0 ? sendThenRead(url, "/v1/chat/completions", headers, 256 * 1024) : slowUpload(url, headers, 4 * 1024 * 1024, sockets);
    });
    // Keyed clients run while the uploads come in.
    const statuses: number[] = [];
    const keyedRun = (async () => {
      for (let i = 0; i < 200; i++) {
        statuses.push(await keyed());
        peak = Math.max(peak, rss());
      }
    })();
    const answers = await Promise.all(uploads);
    await keyedRun;
    peak = Math.max(peak, rss());
    await agent.close();
    expect(answers.filter((a) => !wholeAnswer(a, 401)).map((a) => a.split("\r\n")[0] || "(nothing)")).toEqual([]);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
    console.log(`slow uploads: RSS ${Math.round(before / 1e6)} MB before, ${Math.round(peak / 1e6)} MB at peak, 500 uploads refused, ${statuses.length} keyed requests served`);
  }, 120_000);
});
