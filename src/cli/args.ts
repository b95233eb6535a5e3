import { parseArgs, type ParseArgsConfig } from "node:util";

/** A mistyped command line: the message and the command's usage go to stderr, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** A command that ran and failed (a bad config, an API error): the message goes to stderr, exit 1. */
export class CommandError extends Error {
  override name = "CommandError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, strict, with its errors turned into UsageErrors carrying `usage`. */
export function parseOptions<O extends Options>(argv: string[], options: O, usage: string): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, usage);
  }
}

/** A positive integer option, or a UsageError naming it. */
export function positiveInt(value: string | undefined, option: string, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${option} must be a positive integer, got "${value}".`, usage);
  return n;
}
