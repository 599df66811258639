// A real OpenID provider for sopflow's identity tests: oidc-provider (the certified Node.js
// implementation) with the demo's people, their groups as a "groups" claim, and a small
// login page that checks their passwords.
//
//   PORT=4000 CLIENTS=clients.json USERS=users.json node provider.mjs
//
// CLIENTS holds the registered clients (see clients.example.json); USERS maps each username
// to { password, name, email, groups } and is read again at every sign-in, so a test changes
// someone's groups by rewriting the file. Issuer: http://127.0.0.1:PORT (test only).
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(fs.readFileSync(process.env.CLIENTS, 'utf8'));
const users = () => JSON.parse(fs.readFileSync(process.env.USERS, 'utf8'));
const SCOPES = 'openid profile email groups';

const provider = new Provider(issuer, {
  clients,
  cookies: { keys: ['kunci-cookie-uji-sopflow-2026'] },
  scopes: SCOPES.split(' '),
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  // put the scope's claims into the ID token itself (sopflow reads the ID token, not userinfo)
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaksi/${interaction.uid}` },
  async findAccount(ctx, id) {
    const person = users()[id];
    if (!person) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          name: person.name,
          email: person.email,
          groups: person.groups,
        };
      },
    };
  },
  // first-party client: the consent is given by the office, not asked of each person
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(SCOPES);
    await grant.save();
    return grant;
  },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error) {
  return `<!doctype html><html lang="id"><head><meta charset="utf-8"><title>SSO Kantor (uji)</title></head>
<body><h1>Masuk ke SSO Kantor</h1>
${error ? `<p role="alert" id="galat">${escape(error)}</p>` : ''}
<form method="post" action="/interaksi/${escape(uid)}/masuk">
  <label>Nama pengguna <input name="username" id="sso-username" autocomplete="off" required></label>
  <label>Kata sandi <input name="password" id="sso-password" type="password" required></label>
  <button type="submit" id="sso-submit">Masuk</button>
</form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, submitted) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') {
    // consent is granted by loadExistingGrant; anything else goes back to the provider
    await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    return;
  }
  if (!submitted) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(loginPage(uid));
    return;
  }
  const form = await readForm(req);
  const username = form.get('username') || '';
  const person = users()[username];
  if (!person || person.password !== form.get('password')) {
    res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(loginPage(uid, 'Nama pengguna atau kata sandi salah.'));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = http.createServer((req, res) => {
  const match = new URL(req.url, issuer).pathname.match(/^\/interaksi\/([^/]+)(\/masuk)?$/);
  if (!match) {
    handle(req, res);
    return;
  }
  interaction(req, res, match[1], Boolean(match[2]) && req.method === 'POST').catch((error) => {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`interaksi gagal: ${error.message}`);
  });
});
server.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
