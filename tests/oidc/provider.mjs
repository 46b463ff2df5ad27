// A real OpenID provider (oidc-provider, OpenID Certified) on loopback for oorkonde's sign-in
// tests: node provider.mjs CONFIG.json. CONFIG names the port, the TLS certificate and key (made
// by the test), the clients oorkonde signs in as, and the test users with their national ids.
// Prints "listening https://localhost:PORT" once it serves.
import fs from 'node:fs';
import https from 'node:https';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const issuer = `https://localhost:${cfg.port}`;
const signing = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const users = cfg.users; // { login: { national id claim: value, ... } }

const provider = new Provider(issuer, {
  clients: cfg.clients,
  jwks: { keys: [{ ...signing.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' }] },
  claims: { openid: ['sub', cfg.claim] },
  conformIdTokenClaims: false, // the national id goes into the ID token itself
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true }, // the provider's own login page
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, id) {
    if (!users[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...users[id] }; } };
  },
  async loadExistingGrant(ctx) {
    // Consent is implied: the depository asks for nothing but the sign-in.
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId,
                                                accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid');
    grant.addOIDCClaims(['sub', cfg.claim]);
    await grant.save();
    return grant;
  },
  ttl: { AuthorizationCode: 60, IdToken: 300, Session: 600, Interaction: 600, Grant: 600,
         PushedAuthorizationRequest: 60, AccessToken: 300 },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
const server = https.createServer({ cert: fs.readFileSync(cfg.cert), key: fs.readFileSync(cfg.key) },
                                  provider.callback());
server.listen(cfg.port, '127.0.0.1', () => console.log(`listening ${issuer}`));
