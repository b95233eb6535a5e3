import { z } from "zod";

/**
 * A secret: "env:NAME" reads it from the environment (never write one inline in a shared file).
 * `{ env: NAME }`, the older spelling, is still read (as "env:NAME") with a warning.
 */
export const secretRef = z.union([z.string().min(1), z.strictObject({ env: z.string().min(1) }).transform((ref) => `env:${ref.env}`)]);
export type SecretRef = z.output<typeof secretRef>;

/** The environment variable a secret names, or undefined for an inline value. */
export function secretEnvName(ref: SecretRef): string | undefined {
  return ref.startsWith("env:") ? ref.slice(4) : undefined;
}
