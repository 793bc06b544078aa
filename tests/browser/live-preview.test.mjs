// The notify template form's live preview, with JavaScript on. The form works without
// JavaScript (no-js.test.mjs); where scripts run, typing updates the preview without
// submitting the form, a polite status says so and focus stays in the field.
//
// The first context keeps the pages' real Content-Security-Policy, so a script or request the
// policy blocks would show; axe needs its script injected, which only a context that bypasses
// the policy allows (see harness.mjs), so the accessibility check runs in a second one.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, runAxe, formatAxe, NOTIFY_ADMIN_EMAIL } from './harness.mjs';

const UPDATED = 'The preview was updated.';
const FAILED = 'The preview could not be updated. Use the “Preview” button.';

describe('notify template form: live preview with JavaScript', () => {
  let server;
  let browser;
  let demo;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    demo = (await server.demoCredentials()).notify;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A signed-in page of the service's admin, with what it logs and posts recorded. */
  async function signedIn(options = {}) {
    const context = await browser.newContext({ baseURL: server.baseURL, ...options });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const seen = { console: [], posts: [], navigations: 0 };
    page.on('console', (message) => seen.console.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => seen.console.push(`pageerror: ${error.message}`));
    page.on('request', (request) => {
      if (request.method() === 'POST') seen.posts.push(new URL(request.url()).pathname);
    });
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) seen.navigations += 1;
    });
    await page.goto(await server.loginPath(NOTIFY_ADMIN_EMAIL));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${server.baseURL}/admin`);
    return { context, page, seen };
  }

  const base = () => `/notify/services/${demo.service_id}/templates`;
  const status = (page) => page.locator('#preview-status');
  const preview = (page) => page.getByRole('region', { name: 'Preview' });

  test('typing a text message updates its preview without submitting the form', async () => {
    const { context, page, seen } = await signedIn();
    try {
      const script = page.waitForResponse((r) => new URL(r.url()).pathname === '/notify/assets/preview.js');
      await page.goto(`${base()}/new?type=sms`);
      assert.equal((await script).status(), 200, 'the script is served');
      assert.match(await preview(page).innerText(), /The message is empty\./);
      assert.equal(await status(page).getAttribute('aria-live'), 'polite');
      assert.equal(await status(page).getAttribute('role'), 'status');

      seen.posts.length = 0;
      const navigations = seen.navigations;
      const text = 'Hello ((name)), your appointment is tomorrow.';
      const field = page.getByLabel('Message', { exact: true });
      await field.click();
      await field.pressSequentially(text, { delay: 20 });
      await status(page).getByText(UPDATED, { exact: true }).waitFor();
      const message = preview(page).locator('pre');
      await message.filter({ hasText: text }).waitFor();
      assert.match(await preview(page).innerText(), /\b\d+ characters, charged as 1 text message\./);

      // Fetched in the background and debounced: no navigation, a handful of requests for
      // dozens of keystrokes, all to the preview endpoint, and the caret still in the field.
      assert.equal(seen.navigations, navigations, 'the page did not navigate');
      assert.ok(seen.posts.length >= 1, 'the preview was fetched');
      assert.ok(seen.posts.length < text.length / 4, `debounced: ${seen.posts.length} requests`);
      assert.deepEqual([...new Set(seen.posts)], [`${base()}/new/preview`]);
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'template-content', 'focus stays');
      assert.equal(await field.inputValue(), text);
      assert.equal(await page.getByRole('region', { name: 'Preview' }).locator('#preview-content').count(), 1);

      // Another change, another preview; what the server says is wrong shows there too.
      await field.fill('x'.repeat(919));
      await preview(page).getByText(/Text messages cannot be longer than \d+ characters/).waitFor();

      const violations = seen.console.filter((line) => /Content Security Policy|pageerror/i.test(line));
      assert.deepEqual(violations, [], 'nothing blocked by the policy, no script errors');
    } finally {
      await context.close();
    }
  });

  test('an email preview updates in its frame', async () => {
    const { context, page, seen } = await signedIn();
    try {
      await page.goto(`${base()}/${demo.templates.email}`);
      const frame = page.frameLocator('iframe[title="Preview of the email"]');
      await frame.getByRole('heading', { name: 'What happens next' }).waitFor();
      await page.getByLabel('((name))', { exact: true }).fill('Grace');
      await status(page).getByText(UPDATED, { exact: true }).waitFor();
      await frame.getByText('Dear Grace,', { exact: true }).waitFor();
      await page.locator('#template-content').fill('Hello ((name)), this changed as you typed.');
      await frame.getByText('Hello Grace, this changed as you typed.', { exact: true }).waitFor();
      assert.equal(await page.locator('iframe[title="Preview of the email"]').getAttribute('sandbox'), '');
      assert.deepEqual(seen.console.filter((line) => /Content Security Policy|pageerror/i.test(line)), []);
    } finally {
      await context.close();
    }
  });

  test('when the preview cannot be fetched, the status says so and the preview stays', async () => {
    const { context, page } = await signedIn();
    try {
      await page.goto(`${base()}/new?type=sms`);
      const field = page.getByLabel('Message', { exact: true });
      await field.fill('First version');
      await preview(page).locator('pre').filter({ hasText: 'First version' }).waitFor();
      // Signed out (cookies gone): the endpoint refuses, and nothing else is put in its place.
      await context.clearCookies();
      await field.fill('Second version');
      await status(page).getByText(FAILED, { exact: true }).waitFor();
      assert.match(await preview(page).innerText(), /First version/);
      assert.equal(await page.locator('#preview-content').getAttribute('aria-busy'), null);
    } finally {
      await context.close();
    }
  });

  test('axe still passes once the preview was updated', async (t) => {
    const { context, page } = await signedIn({ bypassCSP: true });
    try {
      for (const [path, field, text] of [
        [`${base()}/new?type=sms`, '#template-content', 'Hello ((name)), this is a live preview.'],
        [`${base()}/${demo.templates.letter}`, '#template-content', 'Dear ((name)),\n\nThis is a live preview.'],
      ]) {
        await page.goto(path);
        await page.locator(field).fill(text);
        await status(page).getByText(UPDATED, { exact: true }).waitFor();
        const { version, violations, incomplete } = await runAxe(page);
        if (incomplete.length > 0) {
          t.diagnostic(`axe ${version} needs review on ${path}: ${incomplete.map((r) => r.id).join(', ')}`);
        }
        assert.equal(violations.length, 0,
          `axe ${version} found ${violations.length} violation(s) on ${path}:\n${formatAxe(violations)}`);
      }
    } finally {
      await context.close();
    }
  });
});
