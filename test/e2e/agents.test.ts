import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { buildDist, killAll, REPO_ROOT, runCli } from "../support/cli-process.js";
import { createFakeUpstream, type FakeUpstream } from "../support/fake-upstream.js";
import { loadChunks, loadText, namedEventSseBytes } from "../support/fixtures.js";
import { startGateway, type TestGateway } from "../support/gateway.js";
import { responsesSseBytes, splitResponsesStreams } from "../support/responses-fixtures.js";

// The coding agents themselves, as processes in headless mode, started by `tollgate launch`
// with a virtual key: Claude Code (`claude -p`) and Codex CLI (`codex exec`) with their
// default settings, against the built-in simulator and against upstreams replaying
// recordings. Their telemetry and updates are off, HOME is a temporary directory, and every
// connection not to 127.0.0.1 goes to a proxy address where nothing listens.

const CLAUDE = path.join(REPO_ROOT, "node_modules/.bin/claude");
const CODEX = path.join(REPO_ROOT, "node_modules/.bin/codex");
const ADMIN = "adm-agents-test-0123456789";
const AGENT_TIMEOUT_MS = 120_000;

let anthropicUp: FakeUpstream;
let responsesUp: FakeUpstream;
let gw: TestGateway;
const homes: string[] = [];

const anthropicText = loadChunks("anthropic/anthropic-text.chunks.txt");
const anthropicTool = loadChunks("anthropic/anthropic-tool-no-args.chunks.txt");
const codexTurns = splitResponsesStreams(loadChunks("openai-responses/openai-reasoning-encrypted-content.1.chunks.txt"));

beforeAll(async () => {
  await buildDist();
  anthropicUp = await createFakeUpstream();
  responsesUp = await createFakeUpstream();
  // An upstream that answers every request with the text recording, streamed or not as asked.
  anthropicUp.setDefault({
    kind: "reply",
    answer: (body) =>
      (body as { stream?: boolean }).stream
        ? { kind: "sse", chunks: [namedEventSseBytes(anthropicText)] }
        : { kind: "status", status: 200, body: loadText("anthropic/anthropic-text.json"), headers: { "content-type": "application/json" } },
  });
  responsesUp.setDefault({ kind: "sse", chunks: [responsesSseBytes(codexTurns[3]!)] });
  gw = await startGateway(
    {
      admin: { keys: ["env:ADMIN_KEY"] },
      ledger: { flushIntervalMs: 20 },
      providers: {
        sim: { type: "simulator" },
        ant: { type: "anthropic", baseURL: anthropicUp.url, apiKey: "env:UP_KEY" },
        resp: { type: "openai", api: "responses", baseURL: responsesUp.url, apiKey: "env:UP_KEY" },
      },
      models: {
        // What the agents ask for by default (claude-*, gpt-*) and anything else: the simulator.
        sim: { aliases: ["*"], unsupportedTools: "drop", targets: [{ provider: "sim", model: "sim" }] },
        "claude-replay": { retry: { maxRetries: 0 }, targets: [{ provider: "ant", model: "claude-sonnet-4-5" }] },
        "codex-replay": { retry: { maxRetries: 0 }, targets: [{ provider: "resp", model: "gpt-5.1-codex-max" }] },
      },
    },
    { env: { ADMIN_KEY: ADMIN, UP_KEY: "sk-upstream-agents" } },
  );
}, 180_000);
afterEach(killAll);
afterAll(async () => {
  await gw?.close();
  await anthropicUp?.close();
  await responsesUp?.close();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** A fresh HOME, and the environment that keeps the agent on 127.0.0.1 and quiet. */
function agentEnv(): Record<string, string> {
  const home = mkdtempSync(path.join(tmpdir(), "tollgate-agent-"));
  homes.push(home);
  mkdirSync(path.join(home, ".codex"));
  return {
    HOME: home,
    CODEX_HOME: path.join(home, ".codex"),
    TOLLGATE_ADMIN_KEY: ADMIN,
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    HTTP_PROXY: "http://127.0.0.1:9",
    HTTPS_PROXY: "http://127.0.0.1:9",
    ALL_PROXY: "http://127.0.0.1:9",
    NO_PROXY: "127.0.0.1,localhost",
  };
}

async function launch(agent: "claude" | "codex", user: string, agentArgs: string[]) {
  const env = agentEnv();
  const bin = agent === "claude" ? CLAUDE : CODEX;
  const result = await runCli(["launch", agent, "--url", gw.url, "--user", user, "--budget", "day:5", "--bin", bin, "--", ...agentArgs], { env, cwd: env.HOME!, timeoutMs: AGENT_TIMEOUT_MS });
  expect(result.code, result.stderr).toBe(0);
  const keyId = /with key (key_[0-9a-f]+)/.exec(result.stderr)?.[1];
  expect(keyId, result.stderr).toBeDefined();
  return {
    ...result,
    keyId: keyId!,
    events: result.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** The key `launch` made was for this user and is revoked once the agent exits; every request the agent made is the user's. */
async function expectAttributed(keyId: string, user: string) {
  const res = await fetch(`${gw.url}/admin/keys?user_id=${user}&include_revoked=true`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const keys = ((await res.json()) as { data: { id: string; user_id: string; revoked_at: string | null; tags: Record<string, string> }[] }).data;
  expect(keys.find((k) => k.id === keyId)).toMatchObject({ user_id: user, revoked_at: expect.any(String), tags: { agent: expect.any(String) } });
  const records = gw.records.filter((r) => r.identity?.keyId === keyId);
  expect(records.length).toBeGreaterThan(0);
  for (const r of records) expect(r).toMatchObject({ status: 200, outcome: "complete", identity: { userId: user } });
  return records;
}

describe("Claude Code (claude -p, stream-json)", () => {
  test("on the simulator: a text answer that ends the turn", { timeout: AGENT_TIMEOUT_MS }, async () => {
    const run = await launch("claude", "ada", ["-p", "Say hello to the team", "--output-format", "stream-json", "--verbose"]);
    const result = run.events.find((e) => e.type === "result");
    expect(result).toMatchObject({ subtype: "success", is_error: false, stop_reason: "end_turn" });
    expect(String(result!.result).length).toBeGreaterThan(20);
    const records = await expectAttributed(run.keyId, "ada");
    expect(records.every((r) => r.route === "sim" && r.api === "anthropic-messages")).toBe(true);
  });

  test("on the simulator: a tool turn (Bash, which -p mode does not let run), then a final answer", { timeout: AGENT_TIMEOUT_MS }, async () => {
    const run = await launch("claude", "ada", ["-p", "Use the Bash tool to list the files", "--output-format", "stream-json", "--verbose"]);
    const toolUse = run.events.flatMap((e) => (e.type === "assistant" ? ((e.message as { content: { type: string; name?: string }[] }).content ?? []) : [])).find((c) => c.type === "tool_use");
    expect(toolUse).toMatchObject({ type: "tool_use", name: "Bash" });
    expect(run.events.some((e) => e.type === "user" && JSON.stringify(e).includes("tool_result"))).toBe(true);
    expect(run.events.find((e) => e.type === "result")).toMatchObject({ subtype: "success", is_error: false });
    expect((await expectAttributed(run.keyId, "ada")).length).toBeGreaterThanOrEqual(2);
  });

  test("against an Anthropic upstream replaying recordings: the recorded text, then a recorded tool call and the answer after it", { timeout: AGENT_TIMEOUT_MS }, async () => {
    const text = await launch("claude", "bea", ["-p", "Say hello", "--model", "claude-replay", "--output-format", "stream-json", "--verbose"]);
    expect(String(text.events.find((e) => e.type === "result")!.result)).toContain("Hello! I");
    anthropicUp.enqueue({ kind: "sse", chunks: [namedEventSseBytes(anthropicTool)] });
    const tool = await launch("claude", "bea", ["-p", "Update the issue list", "--model", "claude-replay", "--output-format", "stream-json", "--verbose"]);
    expect(tool.events.some((e) => e.type === "assistant" && JSON.stringify(e).includes('"name":"updateIssueList"'))).toBe(true);
    expect(tool.events.find((e) => e.type === "result")).toMatchObject({ subtype: "success" });
    const records = await expectAttributed(tool.keyId, "bea");
    expect(records.map((r) => r.route)).toContain("claude-replay");
    expect(anthropicUp.requests.every((r) => r.headers["x-api-key"] === "sk-upstream-agents")).toBe(true);
  });
});

describe("Codex CLI (codex exec, default settings)", () => {
  test("on the simulator: a text answer", { timeout: AGENT_TIMEOUT_MS }, async () => {
    const run = await launch("codex", "cyd", ["exec", "--skip-git-repo-check", "--json", "Say hello to the team"]);
    const message = run.events.find((e) => e.type === "item.completed" && (e.item as { type: string }).type === "agent_message");
    expect(String((message!.item as { text: string }).text).length).toBeGreaterThan(20);
    expect(run.events.some((e) => e.type === "turn.completed")).toBe(true);
    const records = await expectAttributed(run.keyId, "cyd");
    expect(records.every((r) => r.api === "openai-responses")).toBe(true);
  });

  test("on the simulator: a tool turn (its exec tool, a custom tool in a namespace) and the answer from its output", { timeout: AGENT_TIMEOUT_MS }, async () => {
    const run = await launch("codex", "cyd", ["exec", "--skip-git-repo-check", "--json", "Use exec to list the files"]);
    const message = run.events.find((e) => e.type === "item.completed" && (e.item as { type: string }).type === "agent_message");
    expect((message!.item as { text: string }).text).toMatch(/^According to the functions__exec tool, the result is:/);
    expect((await expectAttributed(run.keyId, "cyd")).length).toBeGreaterThanOrEqual(2);
  });

  test("against a Responses upstream replaying recordings: a recorded function call, then the recorded answer", { timeout: AGENT_TIMEOUT_MS }, async () => {
    responsesUp.enqueue({ kind: "sse", chunks: [responsesSseBytes(codexTurns[0]!)] });
    const run = await launch("codex", "dov", ["exec", "--skip-git-repo-check", "--json", "-m", "codex-replay", "What is 12 + 7?"]);
    const message = run.events.find((e) => e.type === "item.completed" && (e.item as { type: string }).type === "agent_message");
    expect((message!.item as { text: string }).text).toBe("The final result is **570**.");
    const sent = responsesUp.requests.at(-1)!.body as { input: { type: string; call_id?: string }[] };
    expect(sent.input.some((i) => i.type === "function_call_output")).toBe(true);
    expect((await expectAttributed(run.keyId, "dov")).length).toBeGreaterThanOrEqual(2);
  });
});

describe("tollgate launch: what goes wrong", () => {
  test("an unknown agent or no admin key is a usage error (exit 2); an agent that is not installed exits 1 and its key is revoked", { timeout: AGENT_TIMEOUT_MS }, async () => {
    const env = agentEnv();
    const unknown = await runCli(["launch", "vim", "--url", gw.url], { env, timeoutMs: 30_000 });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("launch needs an agent: claude, codex, gemini");
    const noKey = await runCli(["launch", "claude", "--url", gw.url], { env: { ...env, TOLLGATE_ADMIN_KEY: undefined }, timeoutMs: 30_000 });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("No admin key");
    const missing = await runCli(["launch", "codex", "--url", gw.url, "--user", "eve", "--bin", path.join(env.HOME!, "no-such-codex")], { env, timeoutMs: 30_000 });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("was not found on PATH");
    const keyId = /with key (key_[0-9a-f]+)/.exec(missing.stderr)![1]!;
    const res = await fetch(`${gw.url}/admin/keys?user_id=eve&include_revoked=true`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const keys = ((await res.json()) as { data: { id: string; revoked_at: string | null }[] }).data;
    expect(keys.find((k) => k.id === keyId)?.revoked_at).toEqual(expect.any(String));
  });
});
