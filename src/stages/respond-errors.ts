import { GatewayError } from "../errors/gateway-error.js";
import { redactError } from "../errors/redact-error.js";
import { renderError } from "../errors/render.js";
import { ClientClosedError } from "../engine/client-closed.js";
import type { Stage } from "./compose.js";
import type { GatewayContext } from "./context.js";

/**
 * Turns any failure into the client's answer: an error response before the first byte,
 * an error frame inside the stream after it (never a clean end), nothing if the client left.
 */
export const respondErrors: Stage<GatewayContext> = async (ctx, next) => {
  try {
    await next();
  } catch (caught) {
    // Everything after this (the answer, the ledger's error code, logs, metrics, traces) sees the redacted error.
    const err = redactError(caught, ctx.services.redactor);
    ctx.error = err;
    if (err instanceof ClientClosedError) {
      ctx.status = err.status;
      return;
    }
    const rendered = renderError(err, ctx.services.redactor);
    if (ctx.sink.headersSent) {
      ctx.sink.end(ctx.encoder?.error(rendered));
    } else {
      ctx.status = rendered.status;
      ctx.sink.send(rendered.status, { ...ctx.responseHeaders, ...rendered.headers, "content-type": "application/json" }, JSON.stringify(ctx.codec.errorBody(rendered)));
    }
    if (!(err instanceof GatewayError)) {
      // Not a failure the gateway anticipated: a bug, to be seen by operators.
      const { logger, redactor } = ctx.services;
      logger.error({ component: "pipeline", request_id: ctx.id, stack: redactor.redact(String((err as Error)?.stack ?? err)) }, "Unexpected failure");
    }
  }
};
