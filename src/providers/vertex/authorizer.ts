import { GoogleAuth, gaxios } from "google-auth-library";
import { UpstreamCredentialsError } from "../../errors/upstream-errors.js";
import type { RequestAuthorizer } from "../../transport/http-transport.js";

/** Where google-auth-library sends its JWT bearer grants. */
const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";
const SCOPE = "https://www.googleapis.com/auth/cloud-platform";

export interface VertexAuthConfig {
  /** The provider's name, for error messages. */
  name: string;
  /** A fixed access token (for a proxy that adds its own, and tests). */
  accessToken?: string;
  /** A service-account key file; without it, Application Default Credentials. */
  keyFile?: string;
  /** Another OAuth token endpoint than Google's (Private Service Connect, a test server). */
  tokenURL?: string;
}

/** A Gaxios whose token requests go to `tokenURL` instead of Google's endpoint. */
function transporterFor(tokenURL: string): gaxios.Gaxios {
  const transporter = new gaxios.Gaxios();
  transporter.interceptors.request.add({
    resolved: async (options) => {
      if (String(options.url) === GOOGLE_TOKEN_URL) options.url = new URL(tokenURL);
      return options;
    },
  });
  return transporter;
}

/**
 * Adds `Authorization: Bearer <access token>` to each Vertex request. Tokens come from
 * `google-auth-library` (Application Default Credentials, or a service-account key file
 * signed into a JWT bearer grant), which keeps each token and fetches the next before it
 * expires; or the configured static token.
 */
export function createVertexAuthorizer(config: VertexAuthConfig): RequestAuthorizer {
  if (config.accessToken) {
    const authorization = `Bearer ${config.accessToken}`;
    return async (spec) => ({ ...spec, headers: { ...spec.headers, authorization } });
  }
  const auth = new GoogleAuth({
    scopes: [SCOPE],
    ...(config.keyFile ? { keyFile: config.keyFile } : {}),
    ...(config.tokenURL ? { clientOptions: { transporter: transporterFor(config.tokenURL) } } : {}),
  });
  return async (spec) => {
    let token: string | null | undefined;
    try {
      token = (await (await auth.getClient()).getAccessToken()).token;
    } catch (err) {
      throw new UpstreamCredentialsError(config.name, `no Google access token (${(err as Error).message})`, err);
    }
    if (!token) throw new UpstreamCredentialsError(config.name, "the Google credentials gave no access token");
    return { ...spec, headers: { ...spec.headers, authorization: `Bearer ${token}` } };
  };
}
