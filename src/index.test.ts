import { describe, expect, test } from "vitest";
import * as tollgate from "./index.js";

describe("the package's public API", () => {
  test("exports what a host application uses, and nothing internal", () => {
    // Types vanish at runtime; these are the values. A new export is a public promise: add it here on purpose.
    expect(Object.keys(tollgate).sort()).toEqual([
      "ConfigError",
      "GatewayError",
      "StructuredOutputInvalidError",
      "createGateway",
      "defineConfig",
      "defineTool",
      "listen",
      "loadConfigFile",
      "resolveConfig",
    ]);
  });

  test("a gateway shows its lifecycle and answers, not its services or pipeline", async () => {
    const gateway = tollgate.createGateway({ config: { providers: { sim: { type: "simulator" } }, models: { m: { targets: [{ provider: "sim", model: "m" }] } } }, logger: false });
    try {
      expect(Object.keys(gateway).sort()).toEqual(["accepting", "close", "config", "drain", "generateObject", "handler", "inflight", "metrics", "ready"]);
    } finally {
      await gateway.close();
    }
  });
});
