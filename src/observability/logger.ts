import { pino, type DestinationStream, type Logger } from "pino";

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

/** The default: JSON lines to stderr, written asynchronously and flushed on close. */
export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination({ dest: 2, sync: false })): Logger {
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
    },
    destination,
  );
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
