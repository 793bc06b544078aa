// The identity provider against an independent relying party: the `openid-client` package
// (pinned, unmodified) runs the code flow of the demo's public client with PKCE, Chromium walks
// the sign-in, MFA and consent pages, then openid-client validates the ID token, reads userinfo
// and signs the person out with RP-initiated logout. The sign-in pages pass axe on the way.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import * as oidc from 'openid-client';
import * as OTPAuth from 'otpauth';
import { startServer, launchBrowser, assertAccessible } from './harness.mjs';

let server;
let browser;
let creds;
let relyingParty;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  creds = (await server.demoCredentials()).identity;
  // The relying party's own pages (its registered redirect URIs) are not under test: a plain
  // page answers them, on the port the demo's public client registered.
  const { port } = new URL(creds.clients.public.redirect_uri);
  relyingParty = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><html lang="en"><title>Relying party</title><h1>Back at the service</h1></html>');
  });
  await new Promise((resolve) => relyingParty.listen(Number(port), '127.0.0.1', resolve));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((resolve) => (relyingParty ? relyingParty.close(resolve) : resolve()));
});

/** A TOTP code for a time step not used yet (the provider takes each step once). */
const usedSteps = new Map();
async function freshTotp(secret) {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  let step = Math.floor(Date.now() / 30_000);
  if ((usedSteps.get(secret) ?? -1) >= step) {
    await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 200));
    step = Math.floor(Date.now() / 30_000);
  }
  usedSteps.set(secret, step);
  return totp.generate();
}

/** Fill the named fields of the form in <main> that has the first one, and submit it. */
async function submit(page, fields) {
  const names = Object.keys(fields);
  for (const name of names) await page.fill(`main [name="${name}"]`, fields[name]);
  const form = page.locator(`main form:has([name="${names[0]}"])`);
  await Promise.all([page.waitForNavigation(), form.locator('button[type=submit], input[type=submit]').first().click()]);
}

/** Walk sign-in, MFA and consent until the browser is sent to `until`; check each page with axe. */
async function walk(t, page, account, until) {
  for (let step = 0; step < 10; step++) {
    if (page.url().startsWith(until)) return page.url();
    const path = new URL(page.url()).pathname;
    await assertAccessible(t, page, path);
    if (path === '/identity/sign-in') {
      const email = page.locator('main [name="email"]');
      if (await email.count()) await email.fill(account.email);
      await submit(page, { password: account.password });
    } else if (path === '/identity/sign-in/mfa') {
      await submit(page, { code: await freshTotp(account.totp_secret) });
    } else if (path.startsWith('/identity/consent/')) {
      await Promise.all([page.waitForNavigation(), page.click('main button[name="decision"][value="allow"]')]);
    } else {
      throw new Error(`unexpected page ${page.url()}: ${(await page.innerText('main')).slice(0, 800)}`);
    }
  }
  throw new Error(`never reached ${until}; last page ${page.url()}`);
}

describe('openid-client against the identity provider', () => {
  test('public client: code flow with PKCE, userinfo, RP-initiated logout', async (t) => {
    const pub = creds.clients.public;
    const config = await oidc.discovery(new URL(creds.issuer), pub.client_id, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });
    assert.equal(config.serverMetadata().issuer, creds.issuer);

    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: pub.redirect_uri,
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });

    const account = creds.citizens.find((c) => c.level === 'aal2');
    // bypassCSP lets axe's script in; the pages' real policy (form-action towards the client
    // included) is exercised by the Authlib interop test, whose browser keeps it.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(url.href);
    const callback = await walk(t, page, account, pub.redirect_uri);

    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    assert.equal(claims.iss, creds.issuer);
    assert.equal(claims.aud, pub.client_id);
    assert.ok(claims.sid, 'the ID token names the session (back-channel logout needs it)');

    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.email, account.email);

    const logout = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token,
      post_logout_redirect_uri: pub.post_logout_redirect_uri,
      state: 'bye',
    });
    await Promise.all([page.waitForURL(`${pub.post_logout_redirect_uri}**`), page.goto(logout.href)]);
    assert.equal(new URL(page.url()).searchParams.get('state'), 'bye');
    await context.close();
  });
});
