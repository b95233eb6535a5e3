import fc from "fast-check";

/** Random simple JSON Schemas (types, bounds, enums, objects over keys a/b/c, arrays), a few levels deep. */
export const simpleSchema: fc.Arbitrary<Record<string, unknown>> = fc.letrec<{
  node: Record<string, unknown>;
  leaf: Record<string, unknown>;
  object: Record<string, unknown>;
  array: Record<string, unknown>;
}>((tie) => ({
  node: fc.oneof({ depthSize: "small", maxDepth: 3 }, tie("leaf"), tie("object"), tie("array")),
  leaf: fc.oneof(
    fc.constant({ type: "string" }),
    fc.record({ type: fc.constant("string"), maxLength: fc.nat(4) }),
    fc.record({ type: fc.constant("integer"), minimum: fc.integer({ min: -3, max: 3 }) }),
    fc.constant({ type: "number" }),
    fc.constant({ type: "boolean" }),
    fc.constant({ type: "null" }),
    fc.record({ enum: fc.uniqueArray(fc.oneof(fc.constantFrom("x", "y"), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 3 }) }),
  ),
  object: fc.record({
    type: fc.constant("object"),
    properties: fc.dictionary(fc.constantFrom("a", "b", "c"), tie("node"), { maxKeys: 3 }),
    required: fc.subarray(["a", "b", "c"]),
    additionalProperties: fc.boolean(),
  }),
  array: fc.record({ type: fc.constant("array"), items: tie("node"), maxItems: fc.nat(3) }),
})).node;

/** JSON values shaped like those schemas often enough to be valid sometimes, arbitrary otherwise. */
export const candidateValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", maxDepth: 3 },
      fc.constantFrom("x", "y", "", "long text"),
      fc.integer({ min: -4, max: 4 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      fc.dictionary(fc.constantFrom("a", "b", "c", "d"), tie("value"), { maxKeys: 4 }),
      fc.array(tie("value"), { maxLength: 4 }),
    ),
  })).value,
  fc.jsonValue({ maxDepth: 3 }),
);
