import { GatewayError, PermissionDeniedError } from "./gateway-error.js";

/** The caller's role does not allow this endpoint, or the record belongs to another team or user. */
export class ForbiddenError extends PermissionDeniedError {
  constructor(message: string) {
    super("forbidden", message);
  }
}

/** A team or user with this id already exists. */
export class RecordExistsError extends GatewayError {
  constructor(kind: "team" | "user", id: string) {
    super(`${kind}_exists`, `A ${kind} with id "${id.slice(0, 100)}" already exists; change it with PATCH.`, { param: "id" });
  }
}

/** A cookie-authenticated change without the session's CSRF token (or from another origin). */
export class CsrfError extends PermissionDeniedError {
  constructor() {
    super("csrf_failed", "Missing or wrong x-csrf-token for this session (changes from the dashboard carry it; GET /admin/me returns it).");
  }
}
