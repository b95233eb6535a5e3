import type { GatewayServices } from "../pipeline/context.js";

/** What the admin handlers use of a gateway: the database, the key cache, the budget counters, the config. */
export type AdminServices = Pick<GatewayServices, "config" | "store" | "keyStore" | "virtualKeys" | "budgetStore">;

/** One admin API call, independent of the transport that carried it. */
export interface AdminInput {
  /** Path parameters, already decoded (e.g. `{ id: "key_..." }`). */
  params: Record<string, string>;
  /** Query parameters (the last value of a repeated one). */
  query: Record<string, string>;
  /** The parsed JSON body; undefined for methods without one. */
  body: unknown;
  services: AdminServices;
  /** The current time (epoch ms); tests pin it. */
  now?: number;
}

/** A successful answer; failures are thrown as GatewayErrors and rendered by the transport. */
export interface AdminResult {
  status: number;
  body: unknown;
}

export type AdminHandler = (input: AdminInput) => Promise<AdminResult>;
