import { AuthenticationError } from "../errors/gateway-error.js";
import type { KeyRecord } from "../keys/types.js";
import type { Identity } from "../spec/identity.js";
import type { Loaded, OrgDirectory } from "./org-directory.js";
import type { OrgProfile, TeamRecord, UserRecord } from "./types.js";

/** Models allowed by both lists where both set one (undefined: all); a single list as it is. */
function narrow(models: string[] | undefined, list: string[] | undefined): string[] | undefined {
  if (models === undefined) return list;
  return list === undefined ? models : models.filter((m) => list.includes(m));
}

const hasLimits = (p: OrgProfile | undefined) => p !== undefined && Object.keys(p.limits).length > 0;

/** A key without a team has none to read. */
const NO_TEAM: Loaded<TeamRecord> = { value: undefined };

/**
 * Who a virtual key's caller is, with what its team and user records add: their budgets
 * (reserved beside the key's own), the models all of them allow, and their default tags
 * under the key's. A disabled team or user stops all of its keys.
 */
export async function keyIdentity(key: KeyRecord, orgs: OrgDirectory, now = Date.now()): Promise<Identity> {
  const known = knownKeyIdentity(key, orgs, now);
  if (known) return known;
  const [teamRecord, userRecord] = await Promise.all([key.teamId !== undefined ? orgs.team(key.teamId, now) : undefined, orgs.user(key.userId, now)]);
  return identityOf(key, teamRecord, userRecord);
}

/** `keyIdentity` when both records were read recently (nearly every request): no promise to wait for. Undefined when one must be read. */
export function knownKeyIdentity(key: KeyRecord, orgs: OrgDirectory, now = Date.now()): Identity | undefined {
  const team = key.teamId === undefined ? NO_TEAM : orgs.loadedTeam(key.teamId, now);
  const user = orgs.loadedUser(key.userId, now);
  return team && user ? identityOf(key, team.value, user.value) : undefined;
}

function identityOf(key: KeyRecord, team: TeamRecord | undefined, user: UserRecord | undefined): Identity {
  if (team?.disabledAt !== undefined) throw new AuthenticationError("invalid_api_key", `API key ${key.id} belongs to team ${key.teamId}, which is disabled.`);
  if (user?.disabledAt !== undefined) throw new AuthenticationError("invalid_api_key", `API key ${key.id} belongs to a disabled user.`);
  const identity: Identity = { keyId: key.id, userId: key.userId, tags: { ...team?.tags, ...user?.tags, ...key.tags }, limits: key.limits };
  if (key.teamId !== undefined) identity.teamId = key.teamId;
  // Narrowed by each level that sets a list: the key's, its user's, its team's.
  const models = narrow(narrow(key.allowedModels, user?.allowedModels), team?.allowedModels);
  if (models !== undefined) identity.allowedModels = models;
  if (key.allowedOrigins !== undefined) identity.allowedOrigins = key.allowedOrigins;
  if (hasLimits(user)) identity.userLimits = user!.limits;
  if (hasLimits(team)) identity.teamLimits = team!.limits;
  return identity;
}
