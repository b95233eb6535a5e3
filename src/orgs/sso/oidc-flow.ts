import * as oidc from "openid-client";
import type { ResolvedOidc } from "../../config/resolve-admin.js";

/** What the browser carries from the redirect to the provider back to the callback. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The authorization code flow with PKCE (S256), by openid-client: discovery once (retried
 * after a failure), the redirect URL, then the code exchanged and the ID token checked
 * (issuer, audience, signature, nonce, state).
 */
export class OidcFlow {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(private readonly settings: ResolvedOidc) {}

  private discover(): Promise<oidc.Configuration> {
    const issuer = new URL(this.settings.issuer);
    // Plain http only to a provider on this machine (a local IdP, the tests).
    const insecure = issuer.protocol === "http:" && LOOPBACK.has(issuer.hostname);
    const auth = this.settings.clientSecret === undefined ? oidc.None() : oidc.ClientSecretPost(this.settings.clientSecret);
    this.configuration ??= oidc.discovery(issuer, this.settings.clientId, undefined, auth, insecure ? { execute: [oidc.allowInsecureRequests] } : undefined).catch((err: unknown) => {
      this.configuration = undefined;
      throw err;
    });
    return this.configuration;
  }

  /** Where to send the browser, and what to keep for the callback. */
  async start(): Promise<{ url: string; pending: PendingSignIn }> {
    const config = await this.discover();
    const pending: PendingSignIn = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes.join(" "),
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: "S256",
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, pending };
  }

  /** The ID token's claims (and the userinfo's, when the token lacks the user or groups claim) for the callback's query. */
  async finish(search: string, pending: PendingSignIn): Promise<Record<string, unknown>> {
    const config = await this.discover();
    // The registered redirect URI with the provider's parameters: right behind a proxy too.
    const current = new URL(this.settings.redirectUri);
    current.search = search;
    const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
    const claims: Record<string, unknown> = { ...tokens.claims() };
    const missing = claims[this.settings.userClaim] === undefined || claims[this.settings.groupsClaim] === undefined;
    if (missing && config.serverMetadata().userinfo_endpoint) {
      Object.assign(claims, await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub)), claims);
    }
    return claims;
  }
}
