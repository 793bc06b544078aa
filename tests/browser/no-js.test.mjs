// The site works with JavaScript turned off: language switch, sign-in with a
// link, adding a member. These contexts keep the pages' real Content
// Security Policy (no bypassCSP).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, NOTIFY_ADMIN_EMAIL } from './harness.mjs';

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

    // The choice is a cookie: another page is French too (staff sign in with the identity
    // provider, where /signin leads).
    await page.goto('/signin');
    assert.equal(new URL(page.url()).pathname, '/identity/sign-in');
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    assert.equal(await h1(), 'Se connecter');
    const query = new URL(page.url()).search;
    assert.match(query, /return_to=/, 'the staff sign-in asks to come back to the back office');

    // And back to English, on the same page with the same query (where sign-in returns to).
    const toEnglish = page.getByRole('button', { name: 'English', exact: true });
    assert.equal(await toEnglish.getAttribute('lang'), 'en');
    await toEnglish.click();
    await page.locator('html[lang="en"]').waitFor({ state: 'attached' });
    assert.equal(new URL(page.url()).pathname, '/identity/sign-in');
    assert.equal(new URL(page.url()).search, query);
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

// The notify block's back office and download page work with JavaScript off too: signing
// in as a service team's admin, writing a template with a server-side preview, an API key
// shown once, the guest list, and downloading a file sent by email.
describe('notify without JavaScript', () => {
  let server;
  let browser;
  let context;
  let page;
  let demo;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await browser.newContext({ baseURL: server.baseURL, javaScriptEnabled: false });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    demo = (await server.demoCredentials()).notify;
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  const h1 = async () => (await page.locator('h1').innerText()).trim();
  const serviceNav = () => page.getByRole('navigation', { name: 'Pages of Demoland Tax Office' });

  test('signing in with a link and finding the service', async () => {
    const path = await server.loginPath(NOTIFY_ADMIN_EMAIL);
    await page.goto(path);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.baseURL}/admin`);

    await page.goto('/notify');
    assert.equal(await h1(), 'Notification services');
    await page.getByRole('link', { name: 'Demoland Tax Office', exact: true }).click();
    await page.waitForURL(`${server.baseURL}/notify/services/${demo.service_id}`);
    assert.equal(await h1(), 'Dashboard');
    assert.equal(await serviceNav().getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current'), 'page');
    await page.getByRole('table', { name: 'Notifications per day and channel, last 14 days' }).waitFor();
  });

  test('creating a text message template, previewed before it is saved', async () => {
    await serviceNav().getByRole('link', { name: 'Templates', exact: true }).click();
    await page.getByRole('link', { name: 'New text message template', exact: true }).click();
    assert.equal(await h1(), 'New text message template');

    await page.getByLabel('Template name', { exact: true }).fill('Appointment reminder');
    await page.getByLabel('Message', { exact: true }).fill('Hello ((name)), your appointment is tomorrow.');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    // The server found the placeholder and asks for a sample value.
    await page.getByLabel('((name))', { exact: true }).fill('Ada');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const preview = page.getByRole('region', { name: 'Preview' });
    const message = (await preview.locator('pre').innerText()).trim();
    assert.match(message, /Hello Ada, your appointment is tomorrow\.$/);
    // The count is of the message as sent (with the service's name first, if it uses that).
    assert.match(await preview.innerText(), new RegExp(`\\b${message.length} characters, charged as 1 text message\\.`));
    assert.equal(await page.getByLabel('Template name', { exact: true }).inputValue(), 'Appointment reminder',
      'the form keeps what was typed');

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').getByText('Version 1 was saved. Messages now use it.').waitFor();
    assert.equal(await h1(), 'Template “Appointment reminder”');
    const history = page.getByRole('table', { name: 'Every saved version, newest first' });
    assert.equal(await history.getByRole('row').count(), 2, 'a header and version 1');

    await serviceNav().getByRole('link', { name: 'Templates', exact: true }).click();
    await page.getByRole('link', { name: 'Appointment reminder', exact: true }).waitFor();
  });

  test('an email template is previewed in a frame', async () => {
    await page.goto(`/notify/services/${demo.service_id}/templates/${demo.templates.email}`);
    await page.getByLabel('((name))', { exact: true }).fill('Grace');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const frame = page.frameLocator('iframe[title="Preview of the email"]');
    await frame.getByText('Dear Grace,', { exact: true }).waitFor();
    await frame.getByRole('heading', { name: 'What happens next' }).waitFor();
  });

  test('creating an API key shows it once', async () => {
    await serviceNav().getByRole('link', { name: 'API keys', exact: true }).click();
    await page.getByLabel('Key name', { exact: true }).fill('Case system');
    await page.getByLabel('Team and guest list', { exact: true }).check();
    await page.getByRole('button', { name: 'Create an API key', exact: true }).click();
    const notice = page.getByRole('status');
    await notice.getByText('API key “Case system” created').waitFor();
    const key = (await notice.locator('pre').innerText()).trim();
    assert.match(key, new RegExp(`^case_system-${demo.service_id}-[0-9a-f-]{36}$`));
    const row = page.getByRole('table', { name: 'API keys of this service' }).getByRole('row').filter({ hasText: 'Case system' });
    assert.match(await row.innerText(), /Team and guest list/);

    // Never again: the list does not show it.
    await page.goto(`/notify/services/${demo.service_id}/api-keys`);
    assert.ok(!(await page.content()).includes(key.slice(-36)), 'the secret is not shown again');
  });

  test('adding to and removing from the guest list', async () => {
    await serviceNav().getByRole('link', { name: 'Guest list', exact: true }).click();
    const field = page.getByLabel('Email address or mobile number', { exact: true });
    await field.fill('12');
    await page.getByRole('button', { name: 'Add to the guest list', exact: true }).click();
    await page.getByRole('alert').getByText('Enter a mobile number in the right format').waitFor();
    assert.equal(await field.inputValue(), '12');

    await field.fill('+33 6 12 34 56 78');
    await page.getByRole('button', { name: 'Add to the guest list', exact: true }).click();
    await page.getByRole('status').getByText('The guest list was updated.').waitFor();
    const table = page.getByRole('table', { name: 'Guest list' });
    const row = table.getByRole('row').filter({ hasText: '+33612345678' });
    assert.match(await row.innerText(), /Mobile number/);

    await row.getByRole('button', { name: 'Remove +33612345678', exact: true }).click();
    await page.getByRole('status').getByText('The entry was removed from the guest list.').waitFor();
    assert.equal(await table.getByRole('row').filter({ hasText: '+33612345678' }).count(), 0);
  });

  test('downloading a file sent by email after confirming the address', async () => {
    const sent = await server.notify('/v2/notifications/email', {
      email_address: 'citizen@example.org',
      template_id: demo.templates.email,
      personalisation: {
        name: 'Ada',
        reference: { file: Buffer.from('a, b\n1, 2\n').toString('base64'), filename: 'figures.csv' },
      },
    });
    const link = sent.content.body.match(/https?:\/\/\S+\/notify\/files\/[0-9a-f-]{36}/)[0];
    const visitor = await browser.newContext({ baseURL: server.baseURL, javaScriptEnabled: false });
    try {
      const p = await visitor.newPage();
      await p.goto(new URL(link).pathname);
      assert.equal((await p.locator('h1').innerText()).trim(), 'Download your file');
      assert.match(await p.getByRole('main').innerText(), /Demoland Tax Office sent you a file\.[\s\S]*figures\.csv/);

      await p.getByLabel('Your email address', { exact: true }).fill('wrong@example.org');
      await p.getByRole('button', { name: 'Continue and download', exact: true }).click();
      await p.getByRole('alert').getByText('This is not the email address the file was sent to.').waitFor();

      await p.getByLabel('Your email address', { exact: true }).fill('Citizen@Example.org');
      const [download] = await Promise.all([
        p.waitForEvent('download'),
        p.getByRole('button', { name: 'Continue and download', exact: true }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'figures.csv');
      const stream = await download.createReadStream();
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      assert.equal(Buffer.concat(chunks).toString(), 'a, b\n1, 2\n');
    } finally {
      await visitor.close();
    }
  });
});
