import type { CanonicalRequest } from "../../spec/canonical-request.js";
import { sameFormatBody } from "../same-format-body.js";
import { toMessagesBody } from "./messages-request.js";

interface PlatformBodyOptions {
  /** The platform's `anthropic_version` (bedrock-2023-05-31, vertex-2023-10-16). */
  version: string;
  defaultMaxTokens: number;
  /** Vertex's streamRawPredict wants `stream: true` in the body; Bedrock says it by the URL alone. */
  streamInBody: boolean;
}

/**
 * A Messages body for a cloud that serves Claude (Bedrock's InvokeModel, Vertex's
 * rawPredict): the model is named in the URL, not the body, and the API version goes in
 * the body as `anthropic_version`. A Messages client's own body is kept as sent (every
 * Anthropic field reaches the model), as for the `anthropic` provider.
 */
export function toPlatformMessagesBody(request: CanonicalRequest, model: string, options: PlatformBodyOptions): Record<string, unknown> {
  const build = () => toMessagesBody(request, model, { defaultMaxTokens: options.defaultMaxTokens });
  const { model: _named, stream: _stream, ...body } = sameFormatBody(request, "anthropic-messages", model, build) ?? build();
  return { anthropic_version: options.version, ...body, ...(options.streamInBody && request.stream ? { stream: true } : {}) };
}
