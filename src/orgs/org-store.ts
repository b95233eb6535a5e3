import type { KeyLimits } from "../spec/identity.js";
import type { Sql } from "../store/sql.js";
import type { Role } from "./roles.js";
import type { OrgProfile, ProfilePatch, TeamRecord, UserPatch, UserRecord } from "./types.js";

interface ProfileRow {
  id: string;
  name: string | null;
  allowed_models: string | null;
  tags: string;
  limits: string;
  created_at: number | string;
  updated_at: number | string;
  disabled_at: number | string | null;
}

interface UserRow extends ProfileRow {
  email: string | null;
  role: string;
  teams: string;
}

const PROFILE = "id, name, allowed_models, tags, limits, created_at, updated_at, disabled_at";
const USER = `${PROFILE}, email, role, teams`;

function profileOf(row: ProfileRow): OrgProfile & { id: string } {
  const out: OrgProfile & { id: string } = {
    id: row.id,
    tags: JSON.parse(row.tags) as Record<string, string>,
    limits: JSON.parse(row.limits) as KeyLimits,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.name !== null) out.name = row.name;
  if (row.allowed_models !== null) out.allowedModels = JSON.parse(row.allowed_models) as string[];
  if (row.disabled_at !== null) out.disabledAt = Number(row.disabled_at);
  return out;
}

function userOf(row: UserRow): UserRecord {
  const user: UserRecord = { ...profileOf(row), role: row.role as Role, teams: JSON.parse(row.teams) as string[] };
  if (row.email !== null) user.email = row.email;
  return user;
}

const profileValues = (r: TeamRecord | UserRecord) => [
  r.id,
  r.name ?? null,
  r.allowedModels ? JSON.stringify(r.allowedModels) : null,
  JSON.stringify(r.tags),
  JSON.stringify(r.limits),
  r.createdAt,
  r.updatedAt,
  r.disabledAt ?? null,
];

/** The SET list of an update; `params` starts with the id. */
function profileSets(patch: ProfilePatch, params: unknown[], now: number): string[] {
  const sets: string[] = [];
  const set = (column: string, value: unknown) => sets.push(`${column} = $${params.push(value)}`);
  if ("name" in patch) set("name", patch.name ?? null);
  if ("allowedModels" in patch) set("allowed_models", patch.allowedModels ? JSON.stringify(patch.allowedModels) : null);
  if ("tags" in patch) set("tags", JSON.stringify(patch.tags ?? {}));
  if ("limits" in patch) set("limits", JSON.stringify(patch.limits ?? {}));
  if ("disabledAt" in patch) set("disabled_at", patch.disabledAt ?? null);
  set("updated_at", now);
  return sets;
}

/** Teams and users as records (docs/organisations.md). Ids are chosen by people: "search", "alice@example.com". */
export class OrgStore {
  constructor(private readonly sql: Sql) {}

  /** False when the id is taken. */
  async createTeam(team: TeamRecord): Promise<boolean> {
    const rows = await this.sql.query(`INSERT INTO tollgate_teams (${PROFILE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id`, profileValues(team));
    return rows.length > 0;
  }

  async getTeam(id: string): Promise<TeamRecord | undefined> {
    const [row] = await this.sql.query<ProfileRow>(`SELECT ${PROFILE} FROM tollgate_teams WHERE id = $1`, [id]);
    return row ? profileOf(row) : undefined;
  }

  async listTeams(): Promise<TeamRecord[]> {
    return (await this.sql.query<ProfileRow>(`SELECT ${PROFILE} FROM tollgate_teams ORDER BY id`)).map(profileOf);
  }

  async updateTeam(id: string, patch: ProfilePatch, now = Date.now()): Promise<TeamRecord | undefined> {
    const params: unknown[] = [id];
    await this.sql.query(`UPDATE tollgate_teams SET ${profileSets(patch, params, now).join(", ")} WHERE id = $1`, params);
    return this.getTeam(id);
  }

  async createUser(user: UserRecord): Promise<boolean> {
    const rows = await this.sql.query(`INSERT INTO tollgate_users (${USER}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING RETURNING id`, [
      ...profileValues(user),
      user.email ?? null,
      user.role,
      JSON.stringify(user.teams),
    ]);
    return rows.length > 0;
  }

  async getUser(id: string): Promise<UserRecord | undefined> {
    const [row] = await this.sql.query<UserRow>(`SELECT ${USER} FROM tollgate_users WHERE id = $1`, [id]);
    return row ? userOf(row) : undefined;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.sql.query<UserRow>(`SELECT ${USER} FROM tollgate_users ORDER BY id`)).map(userOf);
  }

  async updateUser(id: string, patch: UserPatch, now = Date.now()): Promise<UserRecord | undefined> {
    const params: unknown[] = [id];
    const sets = profileSets(patch, params, now);
    if ("email" in patch) sets.push(`email = $${params.push(patch.email ?? null)}`);
    if (patch.role !== undefined) sets.push(`role = $${params.push(patch.role)}`);
    if (patch.teams !== undefined) sets.push(`teams = $${params.push(JSON.stringify(patch.teams))}`);
    await this.sql.query(`UPDATE tollgate_users SET ${sets.join(", ")} WHERE id = $1`, params);
    return this.getUser(id);
  }
}
