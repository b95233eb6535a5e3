import { request as httpRequest } from "node:http";
import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { SseDecoder } from "../../src/sse/decoder.js";
import { buildDist, killAll, removeTempDirs, runCli, spawnCli, tempFile, type CliProcess } from "../support/cli-process.js";

// `tollgate` as an operator runs it: the compiled CLI in a child process, on a real port,
// driven over sockets and signals. Every wait is on output, a response or an exit.

beforeAll(buildDist, 120_000);
afterEach(killAll);
afterAll(removeTempDirs);

/** Starts the CLI and resolves with its listening URL once the banner is out. */
async function startCli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ cli: CliProcess; url: string }> {
  const cli = spawnCli(["start", ...args], { env });
  // The banner is one write of less than PIPE_BUF bytes, so it arrives whole.
  const match = await cli.waitForStdout(/Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { cli, url: match[1]! };
}

const ask = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: "sim", messages: [{ role: "user", content: "Tell me about gateways" }], ...extra });

type Probe = { status: number; body: string } | { error: string };

/**
 * One request on a connection of its own (never a pooled one), so a server that stopped
 * listening shows up as a refused connection rather than a reused socket.
 */
function probe(url: string, method: string, path: string, body?: string): Promise<Probe> {
  return new Promise((resolve) => {
    const req = httpRequest(`${url}${path}`, { method, agent: false, headers: body ? { "content-type": "application/json" } : {} }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (s: string) => (text += s));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
}

/** A gateway that stopped taking requests either says so (503) or no longer accepts connections. */
function expectRefused(result: Probe, code?: string): void {
  if ("error" in result) {
    // ECONNRESET: the connection was accepted just before the listener closed, then dropped.
    expect(["ECONNREFUSED", "ECONNRESET"]).toContain(result.error);
    return;
  }
  expect(result.status).toBe(503);
  if (code) expect(JSON.parse(result.body)).toMatchObject({ error: { code } });
}

interface OpenStream {
  status: number;
  payloads: string[];
  /** Resolves when the first frame carrying content arrives; rejects if the stream ends first. */
  firstContent: Promise<void>;
  /** Resolves when the response body ends. */
  done: Promise<void>;
}

const hasContent = (payload: string) => {
  if (payload === "[DONE]") return false;
  const chunk = JSON.parse(payload) as { choices?: { delta?: { content?: string } }[] };
  return Boolean(chunk.choices?.[0]?.delta?.content);
};

/** POSTs a streaming chat request and reads its frames as they arrive. */
async function openStream(url: string, body: string): Promise<OpenStream> {
  const res = await request(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const payloads: string[] = [];
  let contentSeen: () => void = () => {};
  const firstContent = new Promise<void>((resolve) => (contentSeen = resolve));
  const done = (async () => {
    const decoder = new SseDecoder();
    for await (const bytes of res.body) {
      for (const m of decoder.push(bytes)) {
        payloads.push(m.data);
        if (hasContent(m.data)) contentSeen();
      }
    }
    for (const m of decoder.end()) payloads.push(m.data);
  })();
  return { status: res.statusCode, payloads, firstContent: Promise.race([firstContent, done.then(() => Promise.reject(new Error(`stream ended without content: ${payloads.join(" | ")}`)))]), done };
}

describe("tollgate start", () => {
  test("with no config: the simulator, a banner that warns, and an OpenAI-compatible API", async () => {
    const { cli, url } = await startCli(["--port", "0"]);
    const banner = cli.stdout();
    expect(banner).toContain(`${url}/v1`);
    expect(banner).toContain("config: built-in (simulator)");
    expect(banner).toMatch(/^ {2}sim -> simulator\/sim \[SIMULATOR\]$/m);
    expect(banner).toMatch(/^WARNING: no client keys configured.*ANY caller/m);

    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "sim", messages: [{ role: "user", content: "Tell me about gateways" }], stream: true, max_tokens: 24 });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text.trim().length).toBeGreaterThan(0);

    const completion = await client.chat.completions.create({ model: "sim", messages: [{ role: "user", content: "Say hello" }], max_tokens: 16 });
    expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);

    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain("sim");

    expect(await probe(url, "GET", "/healthz")).toMatchObject({ status: 200 });
    expect(await probe(url, "GET", "/readyz")).toMatchObject({ status: 200 });
    // stderr carries the request log: JSON lines only, nothing else; one per request (the
    // chats' name their route; the models list and the probes are the transport's, component http).
    // A line is written once its response is over: the last one may still be on its way.
    await cli.waitForStderr(/"path":"\/readyz"[^\n]*\n/);
    const lines = cli
      .stderr()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => (l.component === "http" ? `${l.method} ${l.path}` : l.route))).toEqual(["sim", "sim", "GET /v1/models", "GET /healthz", "GET /readyz"]);
    for (const line of lines) expect(line).toMatchObject({ msg: "request" });
  });

  test("with client keys from the environment: 401 without or with a wrong key, 200 with the right one, and the key is never printed", async () => {
    const key = `tg-test-${randomUUID()}`;
    const config = tempFile(
      "tollgate.yaml",
      [
        'auth: { keys: ["env:TG_TEST_KEY"] }',
        "providers:",
        "  sim: { type: simulator, ttftMs: 0, tokensPerSecond: 1000, answerTokens: 8 }",
        "models:",
        "  sim: { targets: [{ provider: sim, model: sim }] }",
      ].join("\n"),
    );
    const { cli, url } = await startCli(["--config", config, "--port", "0"], { TG_TEST_KEY: key });
    expect(cli.stdout()).toContain(`config: ${config}`);
    expect(cli.stdout()).not.toContain("WARNING");

    const chat = (authorization?: string) =>
      request(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) }, body: ask() });
    const missing = await chat();
    expect(missing.statusCode).toBe(401);
    expect(await missing.body.json()).toMatchObject({ error: { code: "missing_api_key" } });
    const wrong = await chat(`Bearer ${key}-not`);
    expect(wrong.statusCode).toBe(401);
    const wrongBody = await wrong.body.text();
    expect(JSON.parse(wrongBody)).toMatchObject({ error: { code: "invalid_api_key" } });
    expect(wrongBody).not.toContain(key);
    const right = await chat(`Bearer ${key}`);
    expect(right.statusCode).toBe(200);
    expect(await right.body.json()).toMatchObject({ object: "chat.completion", usage: { prompt_tokens: expect.any(Number) } });

    expect(cli.stdout()).not.toContain(key);
    expect(cli.stderr()).not.toContain(key);
  });

  test("a bad config: every error printed, exit 1, nothing listening", async () => {
    const config = tempFile("bad.yaml", "providers: {}\nmodels:\n  fast: { targets: [{ provider: up, model: x }] }\n");
    const result = await runCli(["start", "--config", config, "--port", "0"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("models.fast.targets[0].provider");
    expect(result.stdout).not.toContain("listening");
  });
});

describe("SIGTERM", () => {
  test("drains: the in-flight stream completes, new requests are refused, exit 0", async () => {
    // About three seconds of streaming: long enough to still be running when the signal lands.
    const config = tempFile(
      "slow.yaml",
      ["providers:", "  sim: { type: simulator, ttftMs: 50, tokensPerSecond: 20, answerTokens: 60 }", "models:", "  sim: { targets: [{ provider: sim, model: sim }] }"].join("\n"),
    );
    const { cli, url } = await startCli(["--config", config, "--port", "0"]);
    const stream = await openStream(url, ask({ stream: true }));
    expect(stream.status).toBe(200);
    await stream.firstContent;

    cli.child.kill("SIGTERM");
    await cli.waitForStdout(/SIGTERM: draining 1 in-flight request\(s\)/);
    // Still streaming when the gateway stopped taking requests.
    expect(stream.payloads).not.toContain("[DONE]");

    expectRefused(await probe(url, "GET", "/readyz"));
    expectRefused(await probe(url, "POST", "/v1/chat/completions", ask()), "server_shutting_down");

    await stream.done;
    expect(stream.payloads.at(-1)).toBe("[DONE]");
    expect(stream.payloads.some((p) => p.includes('"error"'))).toBe(false);
    expect(stream.payloads.filter(hasContent).length).toBeGreaterThan(1);
    expect(await cli.exit()).toEqual({ code: 0, signal: null });
  });

  test("past server.drainTimeoutMs: a stalled stream ends with a server_shutting_down error frame, exit 0", async () => {
    const config = tempFile(
      "stall.yaml",
      ["server: { drainTimeoutMs: 200 }", "providers:", "  sim: { type: simulator, ttftMs: 0, tokensPerSecond: 200 }", "models:", "  stalls: { targets: [{ provider: sim, model: sim+stall }] }"].join(
        "\n",
      ),
    );
    const { cli, url } = await startCli(["--config", config, "--port", "0"]);
    const stream = await openStream(url, JSON.stringify({ model: "stalls", stream: true, messages: [{ role: "user", content: "hello" }] }));
    expect(stream.status).toBe(200);
    await stream.firstContent;

    cli.child.kill("SIGTERM");
    await stream.done;
    expect(stream.payloads).not.toContain("[DONE]");
    expect(JSON.parse(stream.payloads.at(-1)!)).toMatchObject({ error: { code: "server_shutting_down" } });
    expect(await cli.exit()).toEqual({ code: 0, signal: null });
  });
});

describe("tollgate check", () => {
  test("a file with schema errors: each printed with its path, exit 1", async () => {
    const config = tempFile(
      "bad.yaml",
      ["providers:", "  up: { type: openai }", "  compat: { type: openai-compatible }", "models:", "  fast: { targets: [{ provider: missing, model: x }] }"].join("\n"),
    );
    const result = await runCli(["check", "--config", config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Invalid config ${config}`);
    expect(result.stderr).toMatch(/^ {2}models\.fast\.targets\[0\]\.provider: Unknown provider "missing"/m);
    expect(result.stderr).toMatch(/^ {2}providers\.compat\.baseURL: /m);
    expect(result.stdout).not.toContain("OK");
  });

  test("unset environment variables: each printed with its path, exit 1", async () => {
    const config = tempFile(
      "env.yaml",
      [
        'auth: { keys: ["env:TG_CHECK_UNSET_CLIENT"] }',
        "providers:",
        "  up: { type: openai, apiKey: env:TG_CHECK_UNSET_UP }",
        "models:",
        "  fast: { targets: [{ provider: up, model: gpt-4o-mini }] }",
      ].join("\n"),
    );
    const result = await runCli(["check", "--config", config], { env: { TG_CHECK_UNSET_CLIENT: undefined, TG_CHECK_UNSET_UP: undefined } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ {2}providers\.up\.apiKey: Environment variable TG_CHECK_UNSET_UP is not set\.$/m);
    expect(result.stderr).toMatch(/^ {2}auth\.keys\[0\]: Environment variable TG_CHECK_UNSET_CLIENT is not set\.$/m);
  });

  test("a good file: OK, exit 0", async () => {
    const config = tempFile(
      "good.json",
      JSON.stringify({ providers: { up: { type: "openai", apiKey: "env:TG_CHECK_KEY" } }, routes: { fast: { targets: [{ provider: "up", model: "gpt-4o-mini" }] } } }),
    );
    const result = await runCli(["check", "--config", config], { env: { TG_CHECK_KEY: "sk-check-secret-value" } });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(`${config}: OK (1 providers, 1 models)\n`);
    expect(result.stdout).not.toContain("sk-check-secret-value");
  });

  test("without --config: usage, exit 2", async () => {
    const result = await runCli(["check"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("check needs --config FILE");
  });
});

test("an unknown command: usage, exit 2", async () => {
  const result = await runCli(["serve"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('Unknown command "serve"');
  expect(result.stderr).toContain("Usage:");
});

test("an unknown option or a missing option value: usage, exit 2", async () => {
  const unknown = await runCli(["start", "--bogus"]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("'--bogus'");
  expect(unknown.stderr).toContain("Usage:");
  const missing = await runCli(["check", "--config"]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("--config");
});
