import type { KeyLimits } from "../spec/identity.js";
import type { Role } from "./roles.js";

/** What teams and users carry for the keys under them. */
export interface OrgProfile {
  name?: string;
  /** Route names the keys may use; undefined means all. */
  allowedModels?: string[];
  /** Tags every key under it carries unless the key sets the same tag. */
  tags: Record<string, string>;
  /** Budgets and rate limits over all the keys under it, reserved like a key's own. */
  limits: KeyLimits;
  createdAt: number;
  updatedAt: number;
  disabledAt?: number;
}

export interface TeamRecord extends OrgProfile {
  id: string;
}

export interface UserRecord extends OrgProfile {
  id: string;
  email?: string;
  /** The role the person has when signed in without an IdP mapping that says otherwise. */
  role: Role;
  teams: string[];
}

export type ProfilePatch = Partial<Pick<OrgProfile, "name" | "allowedModels" | "tags" | "limits">> & { disabledAt?: number | null };
export type UserPatch = ProfilePatch & Partial<Pick<UserRecord, "email" | "role" | "teams">>;
