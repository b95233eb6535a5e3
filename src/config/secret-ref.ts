import { z } from "zod";

/** A secret is never written inline in examples: "env:NAME" or { env: "NAME" } reads it from the environment. */
export const secretRef = z.union([z.string().min(1), z.strictObject({ env: z.string().min(1) })]);
export type SecretRef = z.infer<typeof secretRef>;
