// @ts-check
import { admin, ApiError, errorOf, url } from "../api.js";
import { card, h, replace } from "../dom.js";
import { count, ms, usd } from "../format.js";
import { knownKeys } from "../secrets.js";
import { sseData } from "../sse.js";
import { errorBox } from "../table.js";

const PASTE = "__paste__";
/** The ledger is written in batches (about every 200 ms): ask for the cost a few times. */
const COST_TRIES = 12;
const COST_RETRY_MS = 300;

/** Kept while switching pages (never the pasted key: it stays in its input only). */
const view = { route: "", prompt: "Write a haiku about toll roads.", maxTokens: 256 };

/** @param {number} ms */
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The ledger's cost for a request, once it is written.
 * @param {string} id
 * @param {AbortSignal} signal
 */
async function ledgerCost(id, signal) {
  for (let i = 0; i < COST_TRIES && !signal.aborted; i++) {
    try {
      return await admin(`admin/requests/${encodeURIComponent(id)}`, { signal });
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    await pause(COST_RETRY_MS);
  }
  return undefined;
}

/**
 * @param {HTMLElement} root
 * @returns {() => void}
 */
function render(root) {
  const route = /** @type {HTMLSelectElement} */ (h("select", { id: "pg-route", "aria-label": "Route" }));
  const keyPick = /** @type {HTMLSelectElement} */ (
    h(
      "select",
      { id: "pg-key-pick", "aria-label": "Client key" },
      ...knownKeys().map((k) => h("option", { value: k.id }, `${k.label} (created in this tab)`)),
      h("option", { value: PASTE }, "Paste a client key…"),
    )
  );
  const keyInput = /** @type {HTMLInputElement} */ (h("input", { type: "password", id: "pg-key", autocomplete: "off", placeholder: "tg_… or a static client key", spellcheck: "false" }));
  const keyField = h("label", { class: "field" }, "Client key", keyInput);
  const maxTokens = /** @type {HTMLInputElement} */ (h("input", { type: "number", id: "pg-max-tokens", min: "1", step: "1", value: String(view.maxTokens) }));
  const prompt = /** @type {HTMLTextAreaElement} */ (h("textarea", { id: "pg-prompt", rows: "5", "aria-label": "Prompt" }, view.prompt));
  const send = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "primary", id: "pg-send" }, "Send"));
  const stop = /** @type {HTMLButtonElement} */ (h("button", { type: "button", id: "pg-stop", disabled: true }, "Stop"));
  const answer = h("div", { class: "answer", id: "pg-answer", "aria-live": "polite" });
  const meta = h("div", { class: "usage-line", id: "pg-usage" });
  const problem = h("div");
  /** @type {AbortController | undefined} */
  let running;

  const syncKeyField = () => {
    keyField.hidden = keyPick.value !== PASTE;
  };
  keyPick.addEventListener("change", syncKeyField);
  syncKeyField();
  route.addEventListener("change", () => (view.route = route.value));
  prompt.addEventListener("input", () => (view.prompt = prompt.value));
  maxTokens.addEventListener("input", () => (view.maxTokens = Number(maxTokens.value) || view.maxTokens));

  replace(
    root,
    h(
      "div",
      { class: "playground" },
      card({
        title: "Settings",
        subtitle: "Calls the gateway's own /v1/chat/completions",
        body: h(
          "div",
          { class: "stack" },
          h("label", { class: "field" }, "Route", route),
          h("label", { class: "field" }, "Key", keyPick),
          keyField,
          h("label", { class: "field" }, "Max output tokens", maxTokens),
        ),
      }),
      card({
        title: "Chat",
        subtitle: "The answer streams token by token; usage and cost come from the ledger at the end.",
        body: h("div", { class: "stack" }, prompt, h("div", { class: "row" }, send, stop), problem, answer, meta),
        id: "pg-chat",
      }),
    ),
  );

  void fetch(url("v1/models"), { cache: "no-store" })
    .then((r) => r.json())
    .then((models) => {
      replace(route, ...models.data.map((/** @type {{ id: string }} */ m) => h("option", { value: m.id, selected: m.id === view.route }, m.id)));
      view.route = route.value;
    })
    .catch((err) => replace(problem, errorBox(err)));

  /** @param {string} label @param {string} value */
  const figure = (label, value) => h("span", null, `${label} `, h("b", null, value));

  async function run() {
    const key = keyPick.value === PASTE ? keyInput.value.trim() : knownKeys().find((k) => k.id === keyPick.value)?.secret;
    if (!key) {
      replace(problem, errorBox("Choose a key created in this tab, or paste a client key."));
      return;
    }
    const controller = new AbortController();
    running = controller;
    send.disabled = true;
    stop.disabled = false;
    replace(problem);
    replace(meta, h("span", { class: "muted" }, "Waiting for the first token…"));
    answer.textContent = "";
    answer.classList.add("streaming");
    const started = performance.now();
    /** @type {number | undefined} */
    let firstToken;
    /** @type {{ prompt_tokens: number, completion_tokens: number } | undefined} */
    let usage;
    let requestId = null;
    try {
      const res = await fetch(url("v1/chat/completions"), {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: route.value,
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: Number(maxTokens.value) || undefined,
          messages: [{ role: "user", content: prompt.value }],
        }),
        signal: controller.signal,
        credentials: "omit",
      });
      requestId = res.headers.get("x-request-id");
      if (!res.ok || !res.body) throw await errorOf(res);
      for await (const data of sseData(res.body)) {
        if (data === "[DONE]") break;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message ?? "The stream ended with an error.");
        const text = chunk.choices?.[0]?.delta?.content;
        if (text) {
          firstToken ??= performance.now() - started;
          answer.append(text);
          if (meta.textContent?.startsWith("Waiting")) replace(meta, h("span", { class: "muted" }, "Streaming…"));
        }
        if (chunk.usage) usage = chunk.usage;
      }
      const elapsed = performance.now() - started;
      replace(
        meta,
        figure("Prompt", count(usage?.prompt_tokens ?? 0)),
        figure("Completion", count(usage?.completion_tokens ?? 0)),
        figure("First token", ms(firstToken)),
        figure("Total", ms(elapsed)),
        h("span", { id: "pg-cost" }, "Cost ", h("b", { class: "muted" }, "…")),
      );
      if (requestId) {
        const recorded = await ledgerCost(requestId, controller.signal);
        const cost = meta.querySelector("#pg-cost b");
        if (cost) cost.textContent = recorded ? usd(recorded.cost_nanos, { precise: true }) : "not in the ledger yet";
        cost?.classList.remove("muted");
      }
    } catch (err) {
      if (!controller.signal.aborted) replace(problem, errorBox(err));
      else replace(meta, h("span", { class: "muted" }, "Stopped."));
    } finally {
      answer.classList.remove("streaming");
      send.disabled = false;
      stop.disabled = true;
      if (running === controller) running = undefined;
    }
  }

  send.addEventListener("click", () => void run());
  stop.addEventListener("click", () => running?.abort());
  return () => running?.abort();
}

export const playgroundPage = {
  id: "playground",
  title: "Playground",
  subtitle: "Stream a chat through the gateway with a client key",
  icon: ["M4 5h16v11H8l-4 4z", "M8 10h8"],
  usesRange: false,
  render,
};
