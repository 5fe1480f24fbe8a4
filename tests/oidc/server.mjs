// A real OpenID Connect provider (node-oidc-provider) for the single sign-on
// tests: one confidential client (code flow) whose redirect URI is the
// tracker's callback, any login accepted on its development login page, and a
// person whose claims include `groups` (mapped to teams by OIDC_TEAMS_CLAIM).
// Usage: PORT=… REDIRECT_URI=… node server.mjs
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "tracker",
      client_secret: "tracker-test-secret",
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: `${id}@sso.example.org`,
          email_verified: true,
          preferred_username: id,
          name: "Sam Single",
          given_name: "Sam",
          family_name: "Single",
          groups: ["risk", "no-such-team"],
        };
      },
    };
  },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "given_name", "family_name", "preferred_username", "groups"],
  },
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;
provider.listen(port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
