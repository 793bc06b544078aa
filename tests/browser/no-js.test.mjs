// The site works with JavaScript turned off: language switch, sign-in with a
// link, adding a member. These contexts keep the pages' real Content
// Security Policy (no bypassCSP).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser } from './harness.mjs';

describe('without JavaScript', () => {
  let server;
  let browser;
  let context;
  let page;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await browser.newContext({ baseURL: server.baseURL, javaScriptEnabled: false });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  const mainNav = () => page.getByRole('navigation', { name: /^(Main|Principal)$/ });
  const h1 = async () => (await page.locator('h1').innerText()).trim();

  test('JavaScript really is off in this context', async () => {
    // Serve a probe page on the server's origin whose inline script would
    // change the title. (Playwright's own page.evaluate still works with
    // javaScriptEnabled: false, so it cannot be the probe.)
    const probe = `${server.baseURL}/__js-probe`;
    await page.route(probe, (route) => route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: '<!doctype html><title>JavaScript off</title><script>document.title = "JavaScript on"</script>',
    }));
    try {
      await page.goto(probe);
      assert.equal(await page.title(), 'JavaScript off', 'page scripts must not run');
    } finally {
      await page.unroute(probe);
    }
  });

  test('the language switch works by clicking, and keeps the page', async () => {
    const response = await page.goto('/docs/api');
    assert.equal(response.status(), 200);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await h1(), 'API reference');

    const toFrench = page.getByRole('button', { name: 'Français', exact: true });
    assert.equal(await toFrench.getAttribute('lang'), 'fr', 'the button names its language');
    await toFrench.click();
    await page.locator('html[lang="fr"]').waitFor({ state: 'attached' });

    assert.equal(new URL(page.url()).pathname, '/docs/api', 'same page after switching');
    assert.equal(await h1(), 'Référence des API');
    assert.equal(
      (await mainNav().getByRole('link', { name: 'Accueil', exact: true }).innerText()).trim(),
      'Accueil',
    );
    assert.equal(await page.title(), 'Référence des API – Publica');

    // The choice is a cookie: another page is French too.
    await page.goto('/signin');
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    assert.equal(await h1(), 'Connexion');

    // And back to English.
    const toEnglish = page.getByRole('button', { name: 'English', exact: true });
    assert.equal(await toEnglish.getAttribute('lang'), 'en');
    await toEnglish.click();
    await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
    assert.equal(new URL(page.url()).pathname, '/signin');
    assert.equal(await h1(), 'Sign in');
    await mainNav().getByRole('link', { name: 'Home', exact: true }).waitFor();
  });

  test('signing in with a link and the "Sign in" button', async () => {
    // Not signed in yet: the back office sends visitors to sign in.
    await page.goto('/admin');
    assert.notEqual(new URL(page.url()).pathname, '/admin', '/admin must need a session');

    const path = await server.loginPath();
    const response = await page.goto(path);
    assert.equal(response.status(), 200);
    assert.equal(await h1(), 'Sign in');

    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.baseURL}/admin`);

    assert.equal(await h1(), 'Demoland Digital Agency');
    const main = page.getByRole('main');
    assert.match(await main.innerText(), /Signed in as Ada Operator \(operator@digital\.demoland\.example\)/);
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
    await mainNav().getByRole('link', { name: 'Back office', exact: true }).waitFor();

    // The link is single-use. Showing it again is harmless (mail scanners
    // follow links); pressing the button again is refused.
    await page.goto(path);
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path),
      page.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ]);
    assert.equal(refused.status(), 401, 'a used sign-in link is refused');
    assert.equal(await h1(), 'Sign in required');
    assert.match(await page.getByRole('main').innerText(), /unknown, already used or expired/);

    // The session from the first use is still there.
    await page.goto('/admin');
    assert.equal(new URL(page.url()).pathname, '/admin');
  });

  test('adding a member with the form', async () => {
    const response = await page.goto('/admin/members');
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/admin/members');
    assert.equal(await h1(), 'Members');

    const table = page.getByRole('table', { name: 'Members' });
    const row = table.getByRole('row').filter({ hasText: 'grace.hopper@digital.demoland.example' });
    assert.equal(await row.count(), 0, 'the member is not there before');

    await page.getByRole('heading', { name: 'Add a member', level: 2 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
    await page.getByLabel('Email address', { exact: true }).fill('grace.hopper@digital.demoland.example');
    const roles = page.getByLabel('Roles', { exact: true });
    assert.equal(await roles.inputValue(), 'member', 'Roles defaults to member');
    await roles.fill('member, auditor');
    await page.getByRole('button', { name: 'Add a member', exact: true }).click();

    await row.waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/members');
    assert.match(await page.getByRole('status').innerText(), /Grace Hopper was added\./);
    const cells = (await row.getByRole('cell').allInnerTexts()).map((c) => c.trim());
    assert.equal(cells[0], 'Grace Hopper');
    assert.equal(cells[1], 'grace.hopper@digital.demoland.example');
    assert.deepEqual(cells[2].split(/,\s*/).sort(), ['auditor', 'member']);
    assert.equal(cells[3], 'Active');
    await row.getByRole('button', { name: 'Disable Grace Hopper', exact: true }).waitFor();
  });

  test('signing out', async () => {
    await page.goto('/admin');
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${server.baseURL}/`);
    await mainNav().getByRole('link', { name: 'Sign in', exact: true }).waitFor();
    await page.goto('/admin');
    assert.notEqual(new URL(page.url()).pathname, '/admin', 'signed out: /admin needs a session again');
  });
});
