import { AuthenticationError } from "../errors/gateway-error.js";
import type { StaticKeys } from "../auth/static-keys.js";
import { isVirtualKeySecret } from "../keys/key-secret.js";
import type { KeyRecord } from "../keys/types.js";
import type { VirtualKeys } from "../keys/virtual-keys.js";
import { keyIdentity, knownKeyIdentity } from "../orgs/key-identity.js";
import type { OrgDirectory } from "../orgs/org-directory.js";
import type { Identity } from "../spec/identity.js";
import type { Stage } from "./compose.js";
import type { GatewayContext } from "./context.js";

const ANONYMOUS: Identity = Object.freeze({ keyId: "anonymous" });

/** The key the caller presented: `Authorization: Bearer <key>` (OpenAI's clients), else `x-api-key: <key>` (Anthropic's), else `x-goog-api-key: <key>` (Google's; the server copies a Gemini path's `?key=` there). */
function bearer(ctx: GatewayContext): string | undefined {
  const auth = ctx.header("authorization");
  if (auth && auth.length > 7 && auth.slice(0, 7).toLowerCase() === "bearer ") return auth.slice(7).trim();
  const apiKey = ctx.header("x-api-key")?.trim();
  if (apiKey) return apiKey;
  const googKey = ctx.header("x-goog-api-key")?.trim();
  if (googKey) return googKey;
  return undefined;
}

/**
 * The caller of a virtual key, from the key and org caches when they hold what it needs (nearly
 * every request). Undefined when something must be read (`readVirtualKeyIdentity`).
 */
function knownVirtualKeyIdentity(keys: VirtualKeys, orgs: OrgDirectory, secret: string): Identity | undefined {
  const cached = keys.cached(secret);
  return cached && knownKeyIdentity(usableKey(cached.key), orgs);
}

async function readVirtualKeyIdentity(ctx: GatewayContext, keys: VirtualKeys, orgs: OrgDirectory, secret: string, next: () => Promise<void>): Promise<void> {
  ctx.identity = await keyIdentity(usableKey(await keys.resolve(secret)), orgs);
  return next();
}

function usableKey(key: KeyRecord | undefined): KeyRecord {
  if (!key) throw new AuthenticationError("invalid_api_key", "Invalid API key.");
  if (key.revokedAt !== undefined) throw new AuthenticationError("invalid_api_key", `API key ${key.id} has been revoked.`);
  if (key.expiresAt !== undefined && key.expiresAt <= Date.now()) throw new AuthenticationError("invalid_api_key", `API key ${key.id} has expired.`);
  return key;
}

async function hostIdentity(ctx: GatewayContext, identify: NonNullable<GatewayContext["services"]["identify"]>, next: () => Promise<void>): Promise<void> {
  const identity = await identify({ headers: ctx.headers });
  if (!identity) throw new AuthenticationError("invalid_api_key", "The host application did not accept this caller.");
  ctx.identity = identity;
  return next();
}

/**
 * Establishes who is calling: the host app's hook when mounted as a library; else a
 * virtual key (`tg_...`) or one of the config's static keys. Open (local development) only
 * when the config has neither client keys nor admin keys (without which no virtual key exists).
 *
 * Not async: a virtual key whose records are cached (nearly every request) is known at once,
 * and each await in a stage costs a few hundred bytes of promise machinery per request.
 */
export function authenticate(staticKeys: StaticKeys, virtualKeys: VirtualKeys, orgs: OrgDirectory, virtualKeysEnabled: boolean): Stage<GatewayContext> {
  return (ctx, next) => {
    // An in-process caller said who it is (gateway.generateObject with an identity).
    if (ctx.identity) return next();
    const identify = ctx.services.identify;
    if (identify) return hostIdentity(ctx, identify, next);
    const presented = bearer(ctx);
    if (presented && isVirtualKeySecret(presented)) {
      const known = knownVirtualKeyIdentity(virtualKeys, orgs, presented);
      if (!known) return readVirtualKeyIdentity(ctx, virtualKeys, orgs, presented, next);
      ctx.identity = known;
    } else if (presented && !staticKeys.open) {
      const identity = staticKeys.verify(presented);
      if (!identity) throw new AuthenticationError("invalid_api_key", "Invalid API key.");
      ctx.identity = identity;
    } else if (staticKeys.open && !virtualKeysEnabled) {
      ctx.identity = ANONYMOUS;
    } else if (!presented) {
      throw new AuthenticationError("missing_api_key", "Missing API key: send Authorization: Bearer <key>, x-api-key: <key> or x-goog-api-key: <key>.");
    } else {
      throw new AuthenticationError("invalid_api_key", "Invalid API key.");
    }
    return next();
  };
}
