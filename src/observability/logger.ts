import { pino, type DestinationStream, type DestinationStreamWithMetadata, type Logger } from "pino";
import { BufferedDestination } from "./buffered-destination.js";

/**
 * What the gateway asks of a logger: pino's object-first calls. A host application may
 * pass its own pino (or compatible) logger; Tollgate redacts its fields before the call.
 */
export interface GatewayLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  /** When present and false for "info", request lines are not even built. */
  isLevelEnabled?(level: string): boolean;
  flush?(callback?: (err?: Error) => void): void;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

/**
 * Credential-bearing fields that may appear in a logged object: headers of a request or
 * of an upstream call. Explicit paths only: a wildcard path costs pino's redaction several
 * microseconds on every line.
 */
const CREDENTIAL_HEADERS = ["authorization", '["x-api-key"]', '["api-key"]', '["x-goog-api-key"]'];
const REDACTED_PATHS = [
  "authorization",
  "apiKey",
  ...["headers", "req.headers", "request.headers", "upstream.headers"].flatMap((base) => CREDENTIAL_HEADERS.map((h) => (h.startsWith("[") ? `${base}${h}` : `${base}.${h}`))),
];

/** Does nothing: `createGateway({ logger: false })`. */
export const SILENT_LOGGER: GatewayLogger = {
  info() {},
  warn() {},
  error() {},
  isLevelEnabled: () => false,
};

let second = -1;
let secondPrefix = "";

/** pino's isoTime (`,"time":"…"`) with the date and time to the second made once a second: Date#toISOString is the dear part. */
function isoTime(): string {
  const now = Date.now();
  const ms = now % 1000;
  if (now - ms !== second) {
    second = now - ms;
    secondPrefix = `,"time":"${new Date(second).toISOString().slice(0, 20)}`;
  }
  return `${secondPrefix}${String(ms).padStart(3, "0")}Z"`;
}

/** Writes one line at a level, its fields already JSON text (`"a":1,"b":"x"`), as the logger itself would. */
export type LineWriter = (level: "info" | "warn", fields: string, msg: string) => void;

const lineWriters = new WeakMap<GatewayLogger, LineWriter>();

/**
 * The default destination: JSON lines to stderr (`fd` 2), written asynchronously (the event loop
 * never waits on the reader), one write per ~`bufferBytes` of lines and at most 100 ms late; with
 * 0, each line handed over as it comes. See BufferedDestination.
 */
export function logDestination(bufferBytes: number, fd = 2): DestinationStream {
  // minLength 1 writes as soon as anything is pending, as 0 does, and makes flush(callback) wait
  // for a write in flight, which with 0 it does not: close then returns with every line written.
  const out = pino.destination({ dest: fd, sync: false, minLength: 1 });
  return new BufferedDestination(out, pino.destination({ dest: fd, sync: true }), bufferBytes);
}

/** JSON lines to `destination` (the gateway's default: logDestination). */
export function createLogger(level: LogLevel, destination: DestinationStream): Logger {
  const logger = pino({ level, timestamp: isoTime, redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" } }, destination);
  // A multistream destination wants each line's metadata, which only pino's own calls give it.
  if (!(destination as DestinationStreamWithMetadata)[pino.symbols.needsMetadataGsym]) {
    // pino's layout: level, time, the logger's bindings (pid, hostname), the fields, msg.
    const bindings = () => (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym];
    lineWriters.set(logger, (lvl, fields, msg) => destination.write(`{"level":${logger.levels.values[lvl]}${isoTime()}${bindings()},${fields},"msg":${JSON.stringify(msg)}}\n`));
  }
  return logger;
}

/**
 * A logger createLogger made writes prepared lines straight to its destination: pino would walk
 * the fields' object and serialise it again. Any other logger: undefined (it gets objects).
 */
export function lineWriterOf(logger: GatewayLogger): LineWriter | undefined {
  return lineWriters.get(logger);
}

/** Resolves once the logger's buffered lines are written (loggers without flush: at once). */
export function flushLogger(logger: GatewayLogger): Promise<void> {
  return new Promise((resolve) => {
    if (!logger.flush) return resolve();
    try {
      logger.flush(() => resolve());
    } catch {
      // A destination that cannot flush (already closed) has nothing left to write.
      resolve();
    }
  });
}
