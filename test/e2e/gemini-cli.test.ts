import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createFakeUpstream, type FakeUpstream, type UpstreamScript } from "../support/fake-upstream.js";
import { chatSseBytes } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { readRecording, replay, UPSTREAM_KEY, UPSTREAMS } from "../support/matrix.js";

// Gemini CLI (@google/gemini-cli) as a process in headless mode (`gemini -p`), pointed at
// Tollgate with GOOGLE_GEMINI_BASE_URL and a Tollgate key as GEMINI_API_KEY: against Gemini
// (pass-through) and, with a tool turn the CLI runs itself, against a Chat Completions upstream
// (translated). Its telemetry and update checks are off, HOME is a temporary directory, and
// any connection not to 127.0.0.1 goes to a proxy that is not there.

const KEY = "tg-gemini-cli-client-key-0123456789";
const GEMINI_CLI = createRequire(import.meta.url).resolve("@google/gemini-cli/bundle/gemini.js");
const GOOGLE = UPSTREAMS.find((k) => k.id === "google")!;
const OPENAI = UPSTREAMS.find((k) => k.id === "openai")!;
/** A run is a few model calls; bounded, as the machine may be busy. */
const RUN_TIMEOUT = 90_000;

let upstream: FakeUpstream;
let gw: TestGateway;
let home: string;
let workspace: string;

beforeAll(async () => {
  upstream = await createFakeUpstream();
  gw = await startGateway(
    {
      auth: { keys: ["env:CLIENT_KEY"] },
      providers: { google: GOOGLE.provider(upstream), openai: OPENAI.provider(upstream) },
      models: {
        "gemini-2.5-flash": { retry: { maxRetries: 0 }, targets: [{ provider: "google", model: GOOGLE.model }] },
        "cli-openai": { retry: { maxRetries: 0 }, targets: [{ provider: "openai", model: OPENAI.model }] },
      },
    },
    { env: { CLIENT_KEY: KEY, UP_KEY: UPSTREAM_KEY } },
  );
  home = mkdtempSync(path.join(tmpdir(), "tollgate-gemini-cli-home-"));
  mkdirSync(path.join(home, ".gemini"));
  writeFileSync(
    path.join(home, ".gemini", "settings.json"),
    JSON.stringify({
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      security: { auth: { selectedType: "gemini-api-key" } },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
    }),
  );
  workspace = path.join(home, "project");
  mkdirSync(workspace);
  writeFileSync(path.join(workspace, "notes-for-tollgate.txt"), "hello\n");
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

interface CliRun {
  code: number | null;
  output: string;
  json: { response?: string; error?: unknown } | undefined;
}

/** `gemini -p PROMPT -m MODEL --output-format json` with its environment pointed at Tollgate. */
function gemini(prompt: string, model: string): Promise<CliRun> {
  const child = spawn(process.execPath, [GEMINI_CLI, "-p", prompt, "-m", model, "--output-format", "json"], {
    cwd: workspace,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      GEMINI_API_KEY: KEY,
      GOOGLE_GEMINI_BASE_URL: gw.url,
      GEMINI_TELEMETRY_ENABLED: "false",
      GEMINI_CLI_TRUST_WORKSPACE: "true",
      GEMINI_CLI_NO_RELAUNCH: "true",
      // Nothing leaves 127.0.0.1: any other host goes to a proxy nobody listens on.
      HTTPS_PROXY: "http://127.0.0.1:9",
      HTTP_PROXY: "http://127.0.0.1:9",
      NO_PROXY: "127.0.0.1,localhost",
      NODE_USE_ENV_PROXY: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`gemini did not finish within ${RUN_TIMEOUT} ms:\n${stdout}\n${stderr}`));
    }, RUN_TIMEOUT);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const start = stdout.indexOf("{");
      let json: CliRun["json"];
      try {
        json = start >= 0 ? (JSON.parse(stdout.slice(start)) as CliRun["json"]) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code, output: `${stdout}\n${stderr}`, json });
    });
  });
}

/** A Chat Completions stream calling the CLI's own list_directory tool. */
function listDirectoryCall(dir: string): Buffer {
  const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ id: "chatcmpl-cli-tool", object: "chat.completion.chunk", created: 1_770_000_000, model: OPENAI.model, choices: [choice], ...extra });
  return chatSseBytes([
    chunk({
      index: 0,
      delta: { role: "assistant", tool_calls: [{ index: 0, id: "call_list_1", type: "function", function: { name: "list_directory", arguments: JSON.stringify({ dir_path: dir }) } }] },
      finish_reason: null,
    }),
    chunk({ index: 0, delta: {}, finish_reason: "tool_calls" }, { usage: { prompt_tokens: 900, completion_tokens: 12, total_tokens: 912 } }),
  ]);
}

describe("Gemini CLI headless through Tollgate", () => {
  test(
    "against Gemini: the CLI's requests pass through and its answer is the upstream's",
    async () => {
      upstream.setDefault(replay("gemini", GOOGLE.recordings.text.stream!));
      const before = upstream.requests.length;
      const run = await gemini("How many r's in strawberry?", "gemini-2.5-flash");
      expect(run.code, run.output).toBe(0);
      expect(run.json?.response).toBe(readRecording("gemini", GOOGLE.recordings.text.stream!).text);
      const sent = upstream.requests.slice(before);
      expect(sent.length).toBeGreaterThan(0);
      for (const r of sent) {
        expect(r.path).toBe(GOOGLE.path(true));
        expect(r.headers["x-goog-api-key"]).toBe(UPSTREAM_KEY);
      }
      const record = gw.records.find((r) => r.route === "gemini-2.5-flash")!;
      expect(record).toMatchObject({ api: "gemini", stream: true, outcome: "complete" });
    },
    RUN_TIMEOUT + 10_000,
  );

  test(
    "against a Chat Completions upstream: a tool turn the CLI runs, its result sent back, then the answer",
    async () => {
      const text = OPENAI.recordings.text.stream!;
      upstream.setDefault({
        kind: "reply",
        answer: (body): Exclude<UpstreamScript, { kind: "reply" }> => {
          const messages = (body as { messages: Array<{ role: string }> }).messages;
          return { kind: "sse", chunks: [messages.some((m) => m.role === "tool") ? chatSseBytes(text.payloads!) : listDirectoryCall(workspace)] };
        },
      });
      const before = upstream.requests.length;
      const run = await gemini("List the files here, then summarise.", "cli-openai");
      expect(run.code, run.output).toBe(0);
      expect(run.json?.response).toBe(readRecording("chat", text).text);
      const sent = upstream.requests.slice(before).map((r) => r.body as { messages: Array<{ role: string; content: unknown; tool_call_id?: string }>; tools: Array<{ function: { name: string } }> });
      expect(sent[0]!.tools.map((t) => t.function.name)).toContain("list_directory");
      const result = sent.at(-1)!.messages.find((m) => m.role === "tool")!;
      expect(result.tool_call_id).toBe("call_list_1");
      expect(JSON.stringify(result.content)).toContain("notes-for-tollgate.txt");
    },
    RUN_TIMEOUT + 10_000,
  );
});
