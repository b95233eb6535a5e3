import { NotFoundError } from "../errors/gateway-error.js";
import { ForbiddenError, RecordExistsError } from "../errors/org-errors.js";
import type { Principal } from "../orgs/principal.js";
import { teamVisible } from "../orgs/scope.js";
import type { ProfilePatch, TeamRecord } from "../orgs/types.js";
import { createTeamSchema, listTeamsQuery, updateTeamSchema } from "./org-schemas.js";
import { teamView } from "./org-view.js";
import { checkModels, limitsOf } from "./profile-fields.js";
import type { AdminHandler, AdminServices } from "./types.js";
import { parseWith } from "./validate.js";

const notFound = (id: string) => new NotFoundError("team_not_found", `No team with id "${id.slice(0, 100)}".`, { param: "id" });

async function visibleTeam(id: string, principal: Principal, services: AdminServices): Promise<TeamRecord> {
  const team = await (await services.orgs.store()).getTeam(id);
  if (!team) throw notFound(id);
  if (!teamVisible(principal, team.id)) throw new ForbiddenError(`Team ${id.slice(0, 100)} is not one of your teams.`);
  return team;
}

/** POST /admin/teams: { id, name?, allowed_models?, tags?, limits? } → 201 team. Its limits cover every key with this team_id. */
export const createTeam: AdminHandler = async ({ body, services, now = Date.now() }) => {
  const input = parseWith(createTeamSchema, body, "body");
  if (input.allowed_models) checkModels(input.allowed_models, services);
  const team: TeamRecord = { id: input.id, tags: input.tags ?? {}, limits: input.limits ? limitsOf(input.limits) : {}, createdAt: now, updatedAt: now };
  if (input.name !== undefined) team.name = input.name;
  if (input.allowed_models !== undefined) team.allowedModels = input.allowed_models;
  if (!(await (await services.orgs.store()).createTeam(team))) throw new RecordExistsError("team", input.id);
  services.orgs.forget("team", team.id);
  const view = teamView(team);
  return { status: 201, body: view, audit: { id: team.id, after: view } };
};

/** GET /admin/teams?include_disabled=true: the organisation's teams, or the caller's own. */
export const listTeams: AdminHandler = async ({ query, services, principal }) => {
  const q = parseWith(listTeamsQuery, query, "query");
  const teams = (await (await services.orgs.store()).listTeams()).filter((t) => teamVisible(principal, t.id) && (q.include_disabled || t.disabledAt === undefined));
  return { status: 200, body: { object: "list", data: teams.map(teamView) } };
};

/** GET /admin/teams/:id */
export const getTeam: AdminHandler = async ({ params, services, principal }) => ({ status: 200, body: teamView(await visibleTeam(params.id!, principal, services)) });

async function changeTeam(id: string, patch: ProfilePatch, services: AdminServices, principal: Principal, now: number) {
  const before = await visibleTeam(id, principal, services);
  const after = await (await services.orgs.store()).updateTeam(id, patch, now);
  services.orgs.forget("team", id);
  if (!after) throw notFound(id);
  return { before: teamView(before), after: teamView(after) };
}

/** PATCH /admin/teams/:id: null clears a field; `disabled: false` re-enables. Takes effect at once here, within 5 s elsewhere. */
export const updateTeam: AdminHandler = async ({ params, body, services, principal, now = Date.now() }) => {
  const input = parseWith(updateTeamSchema, body, "body");
  if (input.allowed_models) checkModels(input.allowed_models, services);
  const patch: ProfilePatch = {};
  if (input.name !== undefined) patch.name = input.name ?? undefined;
  if (input.allowed_models !== undefined) patch.allowedModels = input.allowed_models ?? undefined;
  if (input.tags !== undefined) patch.tags = input.tags ?? {};
  if (input.limits !== undefined) patch.limits = input.limits === null ? {} : limitsOf(input.limits);
  if (input.disabled !== undefined) patch.disabledAt = input.disabled ? now : null;
  const change = await changeTeam(params.id!, patch, services, principal, now);
  return { status: 200, body: change.after, audit: change };
};

/** DELETE /admin/teams/:id: disables the team (its keys get 401); the record and its history stay. */
export const disableTeam: AdminHandler = async ({ params, services, principal, now = Date.now() }) => {
  const before = await visibleTeam(params.id!, principal, services);
  const change = before.disabledAt === undefined ? await changeTeam(before.id, { disabledAt: now }, services, principal, now) : { before: teamView(before), after: teamView(before) };
  return { status: 200, body: change.after, audit: { action: "teams.disable", ...change } };
};
