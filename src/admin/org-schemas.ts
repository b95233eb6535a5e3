import { z } from "zod";
import { ROLES } from "../config/admin-schema.js";
import { allowedModels, id, limitsSchema, tags } from "./key-schemas.js";

/** Ids people choose and other records name ("search", "alice@example.com"). */
const recordId = (what: string) => id(what).regex(/^[A-Za-z0-9_.:@+-]+$/, `${what} is made of [A-Za-z0-9_.:@+-]`);

const profileFields = {
  name: id("name").optional(),
  allowed_models: allowedModels.optional(),
  tags: tags.optional(),
  limits: limitsSchema.optional(),
};

/** PATCH: absent unchanged, null cleared (no name, every model, no default tags, no limits). */
const profilePatch = {
  name: id("name").nullable().optional(),
  allowed_models: allowedModels.nullable().optional(),
  tags: tags.nullable().optional(),
  limits: limitsSchema.nullable().optional(),
  /** false re-enables a disabled record (DELETE disables it). */
  disabled: z.boolean().optional(),
};

const teamList = z.array(recordId("team")).max(256);

export const createTeamSchema = z.strictObject({ id: recordId("id"), ...profileFields });
export const updateTeamSchema = z.strictObject(profilePatch);

export const createUserSchema = z.strictObject({
  id: recordId("id"),
  email: z.email().max(320).optional(),
  role: z.enum(ROLES).default("member"),
  teams: teamList.default([]),
  ...profileFields,
});
export const updateUserSchema = z.strictObject({
  email: z.email().max(320).nullable().optional(),
  role: z.enum(ROLES).optional(),
  teams: teamList.optional(),
  ...profilePatch,
});

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
export const listTeamsQuery = z.strictObject({ include_disabled: bool.optional() });
export const listUsersQuery = z.strictObject({ team_id: z.string().min(1).optional(), include_disabled: bool.optional() });
