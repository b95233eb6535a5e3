import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export interface TestIdp {
  issuer: string;
  close(): Promise<void>;
}

/** People at the test IdP: their login name is their account id; e-mail is `<id>@example.test`. */
export type Accounts = Record<string, { groups: string[]; name?: string }>;

/**
 * A real OpenID provider (the `oidc-provider` package) on 127.0.0.1: authorization code
 * with PKCE required, one public client, and its development login and consent pages
 * (any password) for a browser to fill in.
 */
export async function startIdp(options: { clientId: string; redirectUri: string; accounts: Accounts }): Promise<TestIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: options.clientId, redirect_uris: [options.redirectUri], token_endpoint_auth_method: "none", grant_types: ["authorization_code"], response_types: ["code"] }],
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    cookies: { keys: ["test-idp-cookie-key-0123456789"] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, id) {
      const account = Object.hasOwn(options.accounts, id) ? options.accounts[id] : { groups: [] };
      return {
        accountId: id,
        claims: async () => ({ sub: id, email: `${id}@example.test`, email_verified: true, name: account?.name ?? id, groups: account?.groups ?? [] }),
      };
    },
  });
  server.on("request", provider.callback());
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
