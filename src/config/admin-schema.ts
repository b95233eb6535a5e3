import { z } from "zod";
import { secretRef } from "./secret-ref.js";

/**
 * owner: everything. team_admin: the keys, budgets and usage of their teams. member: their
 * own keys and usage. viewer: read-only (of everything, or of their teams when given some).
 */
export const ROLES = ["owner", "team_admin", "member", "viewer"] as const;

const teamIds = z.array(z.string().min(1).max(256)).max(256);

/** An admin key with a role: `{ key, role, teams?, user?, name? }`; a bare secret is an owner key. */
const adminKeyGrant = z
  .strictObject({
    key: secretRef,
    role: z.enum(ROLES).default("owner"),
    /** The teams a team_admin manages (a viewer's or member's teams). */
    teams: teamIds.default([]),
    /** The user a member key acts as. */
    user: z.string().min(1).max(256).optional(),
    /** Shown in the audit log as "admin-key:<name>"; default: the key's fingerprint. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.:@-]{1,64}$/, "1-64 of [A-Za-z0-9_.:@-]")
      .optional(),
  })
  .refine((g) => g.role !== "team_admin" || g.teams.length > 0, { message: "a team_admin key names its teams", path: ["teams"] })
  .refine((g) => g.role !== "member" || g.user !== undefined, { message: "a member key names its user", path: ["user"] });

/** A claim value that grants a role (and teams): `{ claim: groups, value: search-admins, role: team_admin, teams: [search] }`. */
const roleMapping = z.strictObject({
  /** The ID token / userinfo claim to look at; default: `groupsClaim`. A string claim must equal `value`; an array claim must contain it. */
  claim: z.string().min(1).optional(),
  value: z.string().min(1),
  role: z.enum(ROLES),
  teams: teamIds.default([]),
});

const oidcSchema = z.strictObject({
  /** The provider's issuer URL (its /.well-known/openid-configuration is read at first sign-in). */
  issuer: z.url(),
  clientId: z.string().min(1),
  /** Absent: a public client (PKCE alone). */
  clientSecret: secretRef.optional(),
  /** The gateway's callback as registered at the provider: https://<gateway>/dashboard/auth/callback. */
  redirectUri: z.url(),
  scopes: z.array(z.string().min(1)).default(["openid", "email", "profile"]),
  /** The claim that names the user (their user id in Tollgate). */
  userClaim: z.string().min(1).default("email"),
  groupsClaim: z.string().min(1).default("groups"),
  roles: z.array(roleMapping).default([]),
  sessionTtlMinutes: z
    .number()
    .int()
    .positive()
    .max(7 * 24 * 60)
    .default(480),
  /**
   * The session cookie's Secure flag. Leave it on: browsers accept Secure cookies from
   * http://localhost and http://127.0.0.1 (a secure context), so local use works too.
   */
  secureCookie: z.boolean().default(true),
});

export const adminSchema = z
  .strictObject({
    keys: z.array(z.union([secretRef, adminKeyGrant])).default([]),
    /** Dashboard sign-in with OpenID Connect (docs/organisations.md). */
    oidc: oidcSchema.optional(),
  })
  .prefault({});

export type AdminConfig = z.output<typeof adminSchema>;
