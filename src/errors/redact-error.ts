import { GatewayError } from "./gateway-error.js";
import type { Redactor } from "./redact.js";

/**
 * An upstream's error with every string it carries redacted: message, relayed code, param
 * and each string nested in its details and exposed fields (an upstream may quote a key in
 * any of them; `code` is the registry's). Same class and flags (retryable, fallbackable), so the retry loop and the
 * renderer treat it as before; anything that is not a GatewayError is left as it is (its
 * message is redacted where it is rendered or logged).
 */
export function redactError<E>(err: E, redactor: Redactor): E {
  if (!(err instanceof GatewayError)) return err;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as GatewayError, err);
  const fields = redactor.redactFields({ message: err.message, relayedCode: err.relayedCode, param: err.param, details: err.details, exposed: err.exposed });
  Object.assign(copy, fields);
  // The stack quotes the original message.
  if (err.stack !== undefined) copy.stack = redactor.redact(err.stack);
  return copy as E;
}
