// A real OpenID provider for the tests (the certified `oidc-provider` package), configured by a
// JSON file the test fixture writes: node provider.mjs CONFIG.json
//
// config: {port, jwks: {keys: [private JWKs, the first signs]}, audience, resource,
//          accessTokenTTL, clients: [...oidc-provider client metadata, plus "claims" for machine
//          clients], accounts: {login: {claims}}}
// People sign in on the provider's own login page (devInteractions); consent is implied for the
// configured clients (first-party), as a Jobcenter's Keycloak would do for its own applications.
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const issuer = `http://127.0.0.1:${config.port}`;
const clientClaims = Object.fromEntries(config.clients.map((c) => [c.client_id, c.claims || {}]));
const clients = config.clients.map(({ claims, ...metadata }) => metadata);

async function findAccount(ctx, id) {
  const account = config.accounts[id];
  if (!account) return undefined;
  return { accountId: id, async claims() { return { sub: id, ...account }; } };
}

const provider = new Provider(issuer, {
  clients,
  jwks: config.jwks,
  findAccount,
  cookies: { keys: ["kl-matcher-test-cookie-key"] },
  claims: { openid: ["sub"], profile: ["name"], kl: ["realm_access", "groups"] },
  scopes: ["openid", "profile", "kl", "api"],
  pkce: { required: () => true },
  ttl: { AccessToken: config.accessTokenTTL || 600, ClientCredentials: config.accessTokenTTL || 600 },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => config.resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "api",
        audience: config.audience,
        accessTokenFormat: "jwt",
        jwt: { sign: { alg: "RS256" } },
        accessTokenTTL: config.accessTokenTTL || 600,
      }),
    },
  },
  // The roles and teams travel in the access token, as Keycloak's mappers put them there.
  async extraTokenClaims(ctx, token) {
    if (token.accountId) {
      const account = config.accounts[token.accountId] || {};
      return { realm_access: account.realm_access, groups: account.groups };
    }
    return clientClaims[token.clientId] || {};
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid profile kl");
    grant.addOIDCClaims(["name", "realm_access", "groups"]);
    grant.addResourceScope(config.resource, "api");
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
provider.on("server_error", (ctx, err) => console.error("server_error", err));
provider.listen(config.port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
