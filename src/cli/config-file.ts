import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError, loadConfigFile, type ResolvedConfig } from "../config/resolve.js";
import { CommandError } from "./args.js";

export const BUILT_IN_CONFIG = fileURLToPath(new URL("../../config/default.yaml", import.meta.url));

/** The given file, else ./tollgate.config.{yaml,yml,json}, else the built-in simulator config. */
export function findConfig(given: string | undefined): string {
  if (given) return given;
  const local = ["tollgate.config.yaml", "tollgate.config.yml", "tollgate.config.json"].find((f) => existsSync(f));
  return local ?? BUILT_IN_CONFIG;
}

/** Loads a config; a bad one becomes a CommandError listing every issue (exit 1). */
export async function loadConfig(file: string): Promise<ResolvedConfig> {
  try {
    return await loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandError(err.message);
    throw err;
  }
}
