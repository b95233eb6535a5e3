import { errors as undiciErrors } from "undici";

/** What reading a body throws when the peer resets the connection (undici's own error). */
export function connectionReset(): Error {
  return new undiciErrors.SocketError("other side closed");
}

/** What the HTTP transport throws when headers do not arrive within headersTimeoutMs. */
export function headersTimeout(): Error {
  return new undiciErrors.HeadersTimeoutError();
}
