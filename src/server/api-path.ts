/** Where OpenAI-compatible SDKs that assume a provider prefix (groq-sdk: `/openai/v1/...`) send their calls. */
const OPENAI_PREFIX = "/openai/v1/";

/**
 * The path Tollgate routes on: without the configured base path (`server.basePath`, when the
 * request carries it) and with `/openai/v1/*` served as `/v1/*`.
 */
export function apiPath(path: string, basePath: string | undefined): string {
  let out = path;
  if (basePath !== undefined && (out === basePath || out.startsWith(`${basePath}/`))) out = out.slice(basePath.length) || "/";
  if (out.startsWith(OPENAI_PREFIX)) out = `/v1/${out.slice(OPENAI_PREFIX.length)}`;
  return out;
}
