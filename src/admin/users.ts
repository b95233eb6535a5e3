import { NotFoundError } from "../errors/gateway-error.js";
import { ForbiddenError, RecordExistsError } from "../errors/org-errors.js";
import type { Principal } from "../orgs/principal.js";
import { userVisible } from "../orgs/scope.js";
import type { UserPatch, UserRecord } from "../orgs/types.js";
import { createUserSchema, listUsersQuery, updateUserSchema } from "./org-schemas.js";
import { userView } from "./org-view.js";
import { checkModels, limitsOf } from "./profile-fields.js";
import type { AdminHandler, AdminServices } from "./types.js";
import { parseWith } from "./validate.js";

const notFound = (id: string) => new NotFoundError("user_not_found", `No user with id "${id.slice(0, 100)}".`, { param: "id" });

async function visibleUser(id: string, principal: Principal, services: AdminServices): Promise<UserRecord> {
  const user = await (await services.orgs.store()).getUser(id);
  if (!user) throw notFound(id);
  if (!userVisible(principal, user)) throw new ForbiddenError(`User ${id.slice(0, 100)} is not in your teams.`);
  return user;
}

/** POST /admin/users: { id, email?, role?, teams?, name?, allowed_models?, tags?, limits? } → 201 user. */
export const createUser: AdminHandler = async ({ body, services, now = Date.now() }) => {
  const input = parseWith(createUserSchema, body, "body");
  if (input.allowed_models) checkModels(input.allowed_models, services);
  const user: UserRecord = { id: input.id, role: input.role, teams: input.teams, tags: input.tags ?? {}, limits: input.limits ? limitsOf(input.limits) : {}, createdAt: now, updatedAt: now };
  if (input.name !== undefined) user.name = input.name;
  if (input.email !== undefined) user.email = input.email;
  if (input.allowed_models !== undefined) user.allowedModels = input.allowed_models;
  if (!(await (await services.orgs.store()).createUser(user))) throw new RecordExistsError("user", input.id);
  services.orgs.forget("user", user.id);
  const view = userView(user);
  return { status: 201, body: view, audit: { id: user.id, after: view } };
};

/** GET /admin/users?team_id=&include_disabled=true: everyone, the users of the caller's teams, or a member themself. */
export const listUsers: AdminHandler = async ({ query, services, principal }) => {
  const q = parseWith(listUsersQuery, query, "query");
  const users = (await (await services.orgs.store()).listUsers()).filter(
    (u) => userVisible(principal, u) && (q.include_disabled || u.disabledAt === undefined) && (q.team_id === undefined || u.teams.includes(q.team_id)),
  );
  return { status: 200, body: { object: "list", data: users.map(userView) } };
};

/** GET /admin/users/:id */
export const getUser: AdminHandler = async ({ params, services, principal }) => ({ status: 200, body: userView(await visibleUser(params.id!, principal, services)) });

async function changeUser(id: string, patch: UserPatch, services: AdminServices, principal: Principal, now: number) {
  const before = await visibleUser(id, principal, services);
  const after = await (await services.orgs.store()).updateUser(id, patch, now);
  services.orgs.forget("user", id);
  if (!after) throw notFound(id);
  return { before: userView(before), after: userView(after) };
}

/** PATCH /admin/users/:id: a role or team change is audited as "users.role" (it changes what the person may do). */
export const updateUser: AdminHandler = async ({ params, body, services, principal, now = Date.now() }) => {
  const input = parseWith(updateUserSchema, body, "body");
  if (input.allowed_models) checkModels(input.allowed_models, services);
  const patch: UserPatch = {};
  if (input.name !== undefined) patch.name = input.name ?? undefined;
  if (input.email !== undefined) patch.email = input.email ?? undefined;
  if (input.role !== undefined) patch.role = input.role;
  if (input.teams !== undefined) patch.teams = input.teams;
  if (input.allowed_models !== undefined) patch.allowedModels = input.allowed_models ?? undefined;
  if (input.tags !== undefined) patch.tags = input.tags ?? {};
  if (input.limits !== undefined) patch.limits = input.limits === null ? {} : limitsOf(input.limits);
  if (input.disabled !== undefined) patch.disabledAt = input.disabled ? now : null;
  const change = await changeUser(params.id!, patch, services, principal, now);
  const roleChanged = change.before.role !== change.after.role || change.before.teams.join("\n") !== change.after.teams.join("\n");
  return { status: 200, body: change.after, audit: { ...(roleChanged ? { action: "users.role" } : {}), ...change } };
};

/** DELETE /admin/users/:id: disables the user (their keys get 401, they cannot sign in). */
export const disableUser: AdminHandler = async ({ params, services, principal, now = Date.now() }) => {
  const before = await visibleUser(params.id!, principal, services);
  const change = before.disabledAt === undefined ? await changeUser(before.id, { disabledAt: now }, services, principal, now) : { before: userView(before), after: userView(before) };
  return { status: 200, body: change.after, audit: { action: "users.disable", ...change } };
};
