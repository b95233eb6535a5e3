import { AuthenticationError } from "../errors/gateway-error.js";
import type { KeyRecord } from "../keys/types.js";
import type { Identity } from "../spec/identity.js";
import type { OrgDirectory } from "./org-directory.js";
import type { OrgProfile } from "./types.js";

/** Models allowed by every level that sets a list (undefined: all). */
function intersect(lists: (string[] | undefined)[]): string[] | undefined {
  const set = lists.filter((l): l is string[] => l !== undefined);
  if (set.length === 0) return undefined;
  return set.reduce((acc, list) => acc.filter((m) => list.includes(m)));
}

const hasLimits = (p: OrgProfile | undefined) => p !== undefined && Object.keys(p.limits).length > 0;

/**
 * Who a virtual key's caller is, with what its team and user records add: their budgets
 * (reserved beside the key's own), the models all of them allow, and their default tags
 * under the key's. A disabled team or user stops all of its keys.
 */
export async function keyIdentity(key: KeyRecord, orgs: OrgDirectory, now = Date.now()): Promise<Identity> {
  const [team, user] = await Promise.all([key.teamId !== undefined ? orgs.team(key.teamId, now) : undefined, orgs.user(key.userId, now)]);
  if (team?.disabledAt !== undefined) throw new AuthenticationError("invalid_api_key", `API key ${key.id} belongs to team ${key.teamId}, which is disabled.`);
  if (user?.disabledAt !== undefined) throw new AuthenticationError("invalid_api_key", `API key ${key.id} belongs to a disabled user.`);
  const identity: Identity = { keyId: key.id, userId: key.userId, tags: { ...team?.tags, ...user?.tags, ...key.tags }, limits: key.limits };
  if (key.teamId !== undefined) identity.teamId = key.teamId;
  const models = intersect([key.allowedModels, user?.allowedModels, team?.allowedModels]);
  if (models !== undefined) identity.allowedModels = models;
  if (key.allowedOrigins !== undefined) identity.allowedOrigins = key.allowedOrigins;
  if (hasLimits(user)) identity.userLimits = user!.limits;
  if (hasLimits(team)) identity.teamLimits = team!.limits;
  return identity;
}
