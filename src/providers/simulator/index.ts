import { createOpenAIChatAdapter } from "../openai/adapter.js";
import type { Provider } from "../provider.js";
import type { Transport } from "../../transport/http-transport.js";
import type { SimulatorClock } from "./clock.js";
import { SimulatorTransport, type SimulatorConfig } from "./simulator-transport.js";

export { virtualClock, type SimulatorClock } from "./clock.js";
export type { SimulatorConfig } from "./simulator-transport.js";

/**
 * The built-in simulator: an in-process OpenAI Chat Completions server, so the gateway
 * works with no API keys. `clock` paces it; the default sleeps on real timers.
 */
export function createSimulatorTransport(config: SimulatorConfig, clock?: SimulatorClock): Transport {
  return new SimulatorTransport(config, clock);
}

/** Placeholder base URL of the simulator's requests; nothing is ever sent there. */
export const SIMULATOR_BASE_URL = "http://simulator.tollgate.invalid/v1";

/** The simulator paired with the OpenAI chat adapter, as the gateway runs it. */
export function createSimulatorProvider(config: SimulatorConfig, clock?: SimulatorClock): Provider {
  return {
    name: config.name,
    type: "simulator",
    adapter: createOpenAIChatAdapter({ baseURL: SIMULATOR_BASE_URL, headers: {}, streamUsageOption: true }),
    transport: createSimulatorTransport(config, clock),
  };
}
