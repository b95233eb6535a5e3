import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { resolveConfig } from "./resolve.js";
import { findRoute, targetsFor } from "./route-match.js";

const target = (model: string) => ({ targets: [{ provider: "sim", model }] });
const config = resolveConfig(
  {
    providers: { sim: { type: "simulator" } },
    models: {
      claude: { ...target("*"), aliases: ["claude-*"] },
      opus: { ...target("opus-upstream"), aliases: ["claude-opus-*", "big"] },
      gpt: { ...target("gpt-5"), aliases: ["gpt-5*", "o*"] },
      "claude-exact": target("x"),
    },
  },
  {},
);

describe("findRoute", () => {
  it("prefers the route's own name, then an exact alias, then the most specific pattern", () => {
    expect(findRoute(config.models, "claude-exact")?.name).toBe("claude-exact");
    expect(findRoute(config.models, "big")?.name).toBe("opus");
    expect(findRoute(config.models, "claude-opus-4-8")?.name).toBe("opus");
    expect(findRoute(config.models, "claude-sonnet-5")?.name).toBe("claude");
    expect(findRoute(config.models, "gpt-5.1-codex")?.name).toBe("gpt");
    expect(findRoute(config.models, "o4-mini")?.name).toBe("gpt");
  });

  it("matches nothing else, and treats pattern characters other than * literally", () => {
    expect(findRoute(config.models, "gemini-2.5-pro")).toBeUndefined();
    expect(findRoute(config.models, "toString")).toBeUndefined();
    fc.assert(
      fc.property(fc.string(), (name) => {
        const route = findRoute(config.models, name);
        if (!route) return;
        expect(route.name === name || (route.aliases ?? []).some((a) => new RegExp(`^${a.replaceAll(".", "\\.").replaceAll("*", ".*")}$`).test(name))).toBe(true);
      }),
    );
  });

  it("sends the asked name to a target whose model is *", () => {
    expect(targetsFor(config.models.claude!, "claude-sonnet-5")).toEqual([{ provider: "sim", model: "claude-sonnet-5" }]);
    expect(targetsFor(config.models.opus!, "claude-opus-4-8")).toEqual([{ provider: "sim", model: "opus-upstream" }]);
  });
});
