// Security keys and passkeys in a real Chromium, with the DevTools Protocol's virtual
// authenticator (a CTAP2 platform authenticator with resident keys and user verification):
// the demo citizen at aal2 signs in with password and authenticator code, adds a passkey from
// the account page, then signs in with it as the second step (reaching aal3) and with the
// passkey alone. The pages keep their real content security policy (the script is allowed by
// `script-src 'self'`, nothing inline); axe checks them afterwards in English and French.
// Without JavaScript the WebAuthn forms stay hidden and the rest of each page works.
//
// Browsers accept no IP address as a WebAuthn relying party: the server listens on 127.0.0.1
// and, having no public URL, is the relying party `localhost`, so the pages are opened at
// http://localhost:PORT.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { startServer, launchBrowser, assertPage, assertAccessible } from './harness.mjs';

describe('security keys and passkeys with a virtual authenticator', () => {
  let server;
  let browser;
  let citizen;
  let base;
  let context;
  let page;
  let cdp;
  let authenticatorId;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    citizen = (await server.demoCredentials()).identity.citizens.find((c) => c.level === 'aal2');
    assert.ok(citizen, 'the demo has a citizen at aal2');
    base = server.baseURL.replace('127.0.0.1', 'localhost');
    context = await browser.newContext({ baseURL: base });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    }));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  async function click(locator) {
    await Promise.all([page.waitForNavigation(), locator.click()]);
  }

  async function signOut() {
    await page.goto('/identity/account');
    await click(page.locator('main form[action="/identity/sign-out"] button'));
  }

  /** The email address and password on the sign-in page at `path`. */
  async function signInWithPassword(path) {
    await page.goto(path);
    await page.fill('main [name="email"]', citizen.email);
    await page.fill('main [name="password"]', citizen.password);
    await click(page.locator('main form[action="/identity/sign-in"]:has([name="password"]) button[type=submit]'));
  }

  /** The level of this browser's session, as the account page shows it. */
  async function sessionLevel() {
    await page.goto('/identity/account');
    return (await page.locator('dt:has-text("Sign-in level of this session") + dd').innerText()).trim();
  }

  test('the pages allow this origin\'s script and nothing inline', async () => {
    const response = await page.goto('/identity/sign-in');
    const csp = response.headers()['content-security-policy'];
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const script = await page.request.get('/identity/static/webauthn.js');
    assert.equal(script.status(), 200);
    assert.match(script.headers()['content-type'], /^text\/javascript/);
    assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script');
  });

  test('a citizen adds a passkey from the account page', async () => {
    await signInWithPassword('/identity/sign-in?return_to=/identity/account');
    assert.equal(new URL(page.url()).pathname, '/identity/sign-in/mfa');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(citizen.totp_secret), digits: 6, period: 30 });
    await page.fill('main [name="code"]', totp.generate());
    await click(page.locator('#code-form button[type=submit]'));
    assert.equal(new URL(page.url()).pathname, '/identity/account');
    assert.equal(await sessionLevel(), 'aal2');

    const add = page.getByRole('button', { name: 'Add a security key or passkey', exact: true });
    assert.ok(await add.isVisible(), 'the script revealed the form');
    await page.fill('#key-name', 'Virtual laptop key');
    await click(add);
    assert.equal(new URL(page.url()).pathname, '/identity/account', 'the account page, reloaded');
    const row = page.locator('table:has(caption:has-text("Your security keys and passkeys")) tbody tr');
    assert.equal(await row.count(), 1);
    assert.match(await row.innerText(), /Virtual laptop key[\s\S]*Stays on one device/);

    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0].isResidentCredential, true, 'made discoverable: it can sign in alone');
  });

  test('the passkey is the second step after the password, at aal3', async () => {
    await signOut();
    await signInWithPassword('/identity/sign-in?return_to=/identity/account');
    assert.equal(new URL(page.url()).pathname, '/identity/sign-in/mfa');
    await click(page.getByRole('button', { name: 'Use my security key or passkey', exact: true }));
    assert.equal(new URL(page.url()).pathname, '/identity/account');
    assert.equal(await sessionLevel(), 'aal3');
  });

  test('the passkey alone signs in, without the password', async () => {
    await signOut();
    await page.goto('/identity/sign-in?return_to=/identity/account');
    await click(page.getByRole('button', { name: 'Sign in with a passkey', exact: true }));
    assert.equal(new URL(page.url()).pathname, '/identity/account');
    await assertPage(page, 'en', 'Your account');
    assert.equal(await sessionLevel(), 'aal3');
  });

  test('a service asking for aal3 gets only the passkey at the second step', async () => {
    await signOut();
    await signInWithPassword('/identity/sign-in?return_to=/identity/account&aal=aal3');
    assert.equal(new URL(page.url()).pathname, '/identity/sign-in/mfa');
    assert.equal(await page.locator('main [name="code"]').count(), 0, 'no code reaches aal3');
    await click(page.getByRole('button', { name: 'Use my security key or passkey', exact: true }));
    assert.equal(await sessionLevel(), 'aal3');
  });

  test('without JavaScript the forms stay hidden and the pages work', async () => {
    const plain = await browser.newContext({ baseURL: base, javaScriptEnabled: false });
    try {
      const p = await plain.newPage();
      await p.goto('/identity/sign-in');
      assert.equal(await p.getByRole('button', { name: 'Sign in with a passkey', exact: true }).count(), 0);
      assert.ok(await p.getByRole('button', { name: 'Sign in', exact: true }).isVisible());
    } finally {
      await plain.close();
    }
  });

  for (const [lang, texts] of Object.entries({
    en: { account: 'Your account', signIn: 'Sign in', mfa: 'Second step' },
    fr: { account: 'Votre compte', signIn: 'Se connecter', mfa: 'Deuxième étape' },
  })) {
    test(`the pages with their WebAuthn forms are accessible (${lang})`, async (t) => {
      // axe is injected as a script: from here on the page's policy is bypassed.
      await cdp.send('Page.setBypassCSP', { enabled: true });
      await page.goto('/identity/account');
      if (lang === 'fr') {
        await click(page.getByRole('button', { name: 'Français', exact: true }));
        await page.goto('/identity/account');
      }
      await assertPage(page, lang, texts.account);
      await assertAccessible(t, page, `/identity/account with a key (${lang})`);
      await signOut();
      await page.goto('/identity/sign-in');
      await assertPage(page, lang, texts.signIn);
      assert.ok(await page.locator('[data-webauthn-section]').isVisible());
      await assertAccessible(t, page, `/identity/sign-in with a passkey (${lang})`);
      await signInWithPassword('/identity/sign-in?return_to=/identity/account&aal=aal3');
      await assertPage(page, lang, texts.mfa);
      assert.ok(await page.locator('[data-webauthn-section]').isVisible());
      await assertAccessible(t, page, `/identity/sign-in/mfa at aal3 (${lang})`);
      await click(page.locator('[data-webauthn="authenticate"] button'));
      assert.equal(new URL(page.url()).pathname, '/identity/account');
    });
  }
});
