// The identity block's pages, in English and in French, checked by axe-core in a real Chromium
// against WCAG 2.0, 2.1 and 2.2 A and AA: the public sign-in, sign-up and recovery pages (also
// after a mistake), a citizen's account, identity proofing and authenticator set-up pages, and
// a civil servant's whole way into the back office through the identity provider (password,
// authenticator code, the staff page) and on to the pages where sign-in clients are managed.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { startServer, launchBrowser, assertPage, assertAccessible } from './harness.mjs';

const TEXTS = {
  en: {
    switchTo: 'Français',
    signIn: 'Sign in',
    signUp: 'Create an account',
    recover: 'Recover your account',
    account: 'Your account',
    mfa: 'Second step',
    setup: 'Set up an authenticator app',
    proofing: 'Verify your identity',
    staff: 'Sign in to the back office',
    clients: 'Sign-in clients',
    register: 'Register a service',
    errorSummary: 'There is a problem',
  },
  fr: {
    switchTo: 'English',
    signIn: 'Se connecter',
    signUp: 'Créer un compte',
    recover: 'Récupérer votre compte',
    account: 'Votre compte',
    mfa: 'Deuxième étape',
    setup: 'Configurer une application d’authentification',
    proofing: 'Vérifier votre identité',
    staff: 'Connexion à l’espace agents',
    clients: 'Clients de connexion',
    register: 'Enregistrer un service',
    errorSummary: 'Il y a un problème',
  },
};

/** The civil servant who signs in, per language (each has an authenticator of their own). */
const STAFF = { en: 'operator@digital.demoland.example', fr: 'inspector@tax.demoland.example' };

describe('identity pages: axe-core, WCAG 2.2 AA', () => {
  let server;
  let browser;
  let creds;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    creds = (await server.demoCredentials()).identity;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const [lang, texts] of Object.entries(TEXTS)) {
    describe(`in ${lang}`, () => {
      let context;
      let page;

      before(async () => {
        // bypassCSP lets axe's script in (see harness.mjs).
        context = await browser.newContext({ baseURL: server.baseURL, bypassCSP: true });
        context.setDefaultTimeout(15_000);
        page = await context.newPage();
        if (lang !== 'en') {
          await page.goto('/');
          await page.getByRole('button', { name: TEXTS.en.switchTo, exact: true }).click();
          await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
        }
      });

      after(async () => {
        await context?.close();
      });

      async function check(t, path, h1) {
        const response = await page.goto(path);
        assert.equal(response.status(), 200, `GET ${path}`);
        await assertPage(page, lang, h1);
        await assertAccessible(t, page, `${path} (${lang})`);
      }

      async function submit(fields, button) {
        const names = Object.keys(fields);
        for (const name of names) await page.fill(`main [name="${name}"]`, fields[name]);
        const form = page.locator(`main form:has([name="${names[0]}"])`);
        const target = button ? form.getByRole('button', { name: button, exact: true }) : form.locator('button[type=submit]').first();
        await Promise.all([page.waitForNavigation(), target.click()]);
      }

      test(`public pages (${lang})`, async (t) => {
        await check(t, '/identity/sign-in', texts.signIn);
        await check(t, '/identity/sign-up', texts.signUp);
        await check(t, '/identity/recover', texts.recover);
      });

      test(`a mistake on the sign-in form is named (${lang})`, async (t) => {
        await page.goto('/identity/sign-in');
        await submit({ email: 'nobody@example.org', password: 'not the right password at all' });
        await assertPage(page, lang, texts.signIn);
        const summary = page.getByRole('alert');
        assert.match(await summary.innerText(), new RegExp(texts.errorSummary));
        await assertAccessible(t, page, `/identity/sign-in with an error (${lang})`);
      });

      test(`a citizen's account, proofing and authenticator pages (${lang})`, async (t) => {
        const citizen = creds.citizens.find((c) => c.level === 'aal1');
        await page.goto('/identity/sign-in');
        await submit({ email: citizen.email, password: citizen.password });
        await check(t, '/identity/account', texts.account);
        await check(t, '/identity/mfa/setup', texts.setup);
        await page.goto('/identity/account');
        await Promise.all([page.waitForNavigation(), page.locator('main form[action="/identity/sign-out"] button').click()]);

        // Proofing needs a two-factor sign-in: one of the demo's aal2 citizens per language,
        // so that no language waits for a fresh authenticator code.
        const second = creds.citizens.filter((c) => c.level === 'aal2')[lang === 'en' ? 0 : 1];
        await page.goto('/identity/sign-in');
        await submit({ email: second.email, password: second.password });
        const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(second.totp_secret), digits: 6, period: 30 });
        await submit({ code: totp.generate() });
        await check(t, '/identity/proofing', texts.proofing);
        await page.goto('/identity/account');
        await Promise.all([page.waitForNavigation(), page.locator('main form[action="/identity/sign-out"] button').click()]);
      });

      test(`a civil servant signs in to the back office through the identity provider (${lang})`, async (t) => {
        const staff = creds.staff.find((s) => s.email === STAFF[lang]);
        assert.ok(staff, `the demo has staff credentials for ${STAFF[lang]}`);
        await page.goto('/admin');
        assert.equal(new URL(page.url()).pathname, '/identity/sign-in', 'the back office sends staff to sign in');
        await submit({ email: staff.email, password: staff.password });
        assert.equal(new URL(page.url()).pathname, '/identity/sign-in/mfa', 'staff need a second factor');
        await assertPage(page, lang, texts.mfa);
        await assertAccessible(t, page, `/identity/sign-in/mfa (${lang})`);
        const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(staff.totp_secret), digits: 6, period: 30 });
        await submit({ code: totp.generate() });
        assert.equal(new URL(page.url()).pathname, '/identity/staff/sign-in');
        await assertPage(page, lang, texts.staff);
        await assertAccessible(t, page, `/identity/staff/sign-in (${lang})`);
        await Promise.all([page.waitForNavigation(), page.locator('main form[action="/identity/staff/sign-in"] button').click()]);
        assert.equal(new URL(page.url()).pathname, '/admin');

        await check(t, '/identity/clients', texts.clients);
        await check(t, '/identity/clients/new', texts.register);
        // Both staff members see the Tax Office's demo clients (the operator sees every client).
        await page.goto('/identity/clients');
        const href = `/identity/clients/${creds.clients.confidential.client_id}`;
        assert.equal(await page.locator(`main a[href="${href}"]`).count(), 1, 'the demo client is listed');
        const response = await page.goto(href);
        assert.equal(response.status(), 200);
        await assertAccessible(t, page, `${href} (${lang})`);
      });
    });
  }
});
