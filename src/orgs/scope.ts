import type { LedgerScope } from "../ledger/ledger-scope.js";
import type { Principal } from "./principal.js";

/** Owners, and viewers not limited to teams, see the whole organisation. */
export const seesAll = (p: Principal): boolean => p.role === "owner" || (p.role === "viewer" && p.teams.length === 0);

export const inTeams = (p: Principal, teamId: string | null | undefined): boolean => teamId != null && p.teams.includes(teamId);

/** A team record: the organisation's, or one of the caller's teams. */
export const teamVisible = (p: Principal, teamId: string): boolean => seesAll(p) || inTeams(p, teamId);

/** A user record: a member sees only themself; team roles see the users of their teams. */
export function userVisible(p: Principal, user: { id: string; teams: readonly string[] }): boolean {
  if (seesAll(p)) return true;
  if (p.role === "member") return user.id === p.userId;
  return user.teams.some((t) => inTeams(p, t));
}

/** A key (to read): a member's own, a team role's team's, or anything for the whole-organisation roles. */
export function keyVisible(p: Principal, key: { userId: string; teamId?: string | undefined }): boolean {
  if (seesAll(p)) return true;
  if (p.role === "member") return key.userId === p.userId;
  return inTeams(p, key.teamId);
}

/** A key (to change): the owner's any; a team admin's in their teams; a member's own. */
export function keyWritable(p: Principal, key: { userId: string; teamId?: string | undefined }): boolean {
  if (p.role === "owner") return true;
  if (p.role === "team_admin") return inTeams(p, key.teamId);
  if (p.role === "member") return key.userId === p.userId && (key.teamId === undefined || inTeams(p, key.teamId));
  return false;
}

/** The ledger rows a caller may read. */
export function ledgerScope(p: Principal): LedgerScope {
  if (seesAll(p)) return undefined;
  if (p.role === "member") return { userId: p.userId ?? "" };
  return { teamIds: p.teams };
}
