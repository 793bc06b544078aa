// Every page, in English and in French, checked by axe-core in a real
// Chromium against WCAG 2.0, 2.1 and 2.2 A and AA. Any violation fails the
// test and is listed (rule, impact, help, elements).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, runAxe, formatAxe } from './harness.mjs';

// What each page must show, so that a page that renders the wrong thing
// (an error, the sign-in page, the other language) fails before axe runs.
const LANGS = {
  en: {
    switchTo: 'Français',
    home: 'Home',
    signInButton: 'Sign in',
    keyName: 'Name',
    createKey: 'Create an API key',
    keyCreated: (name) => `API key “${name}” created`,
    h1: {
      '/': 'Publica',
      '/demo': 'Demoland: demo credentials',
      '/signin': 'Sign in',
      '/docs/api': 'API reference',
      link: 'Sign in',
      '/admin': 'Demoland Digital Agency',
      '/admin/members': 'Members',
      '/admin/api-keys': 'API keys',
      '/admin/audit': 'Audit log',
      error401: 'Sign in required',
    },
  },
  fr: {
    switchTo: 'English',
    home: 'Accueil',
    signInButton: 'Se connecter',
    keyName: 'Nom',
    createKey: 'Créer une clé d’API',
    keyCreated: (name) => `Clé d’API « ${name} » créée`,
    h1: {
      '/': 'Publica',
      '/demo': 'Démoland : identifiants de démonstration',
      '/signin': 'Connexion',
      '/docs/api': 'Référence des API',
      link: 'Connexion',
      '/admin': 'Demoland Digital Agency',
      '/admin/members': 'Membres',
      '/admin/api-keys': 'Clés d’API',
      '/admin/audit': 'Journal d’audit',
      error401: 'Connexion requise',
    },
  },
};

const PUBLIC_PAGES = ['/', '/demo', '/signin', '/docs/api'];
const ADMIN_PAGES = ['/admin', '/admin/members', '/admin/api-keys', '/admin/audit'];

/** Check the page is the expected one in the expected language. */
async function assertPage(page, lang, h1) {
  assert.equal(await page.getAttribute('html', 'lang'), lang, 'html lang');
  // Contrast and target-size checks mean something only with the real styles.
  const styled = await page.evaluate(() => [...document.styleSheets]
    .some((sheet) => new URL(sheet.href ?? 'about:blank').pathname === '/assets/publica.css'
      && sheet.cssRules.length > 0));
  assert.ok(styled, 'the stylesheet /assets/publica.css is loaded');
  const headings = await page.locator('h1').allInnerTexts();
  assert.deepEqual(headings.map((h) => h.trim()), [h1], 'the page has exactly one h1, the expected one');
  const nav = page.getByRole('navigation', { name: lang === 'fr' ? 'Principal' : 'Main' });
  assert.equal(
    (await nav.getByRole('link', { name: LANGS[lang].home, exact: true }).innerText()).trim(),
    LANGS[lang].home,
    'main navigation in the page language',
  );
}

/** Run axe and fail with the full list of violations. */
async function assertAccessible(t, page, label) {
  const { version, violations, incomplete } = await runAxe(page);
  if (incomplete.length > 0) {
    // "Needs review" results (axe could not decide, e.g. contrast over an
    // image). Reported, not failed on.
    t.diagnostic(`axe ${version} needs review on ${label}: ${incomplete.map((r) => r.id).join(', ')}`);
  }
  assert.equal(
    violations.length,
    0,
    `axe ${version} found ${violations.length} violation(s) on ${label}:\n${formatAxe(violations)}`,
  );
}

describe('accessibility: axe-core, WCAG 2.2 AA', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const lang of Object.keys(LANGS)) {
    describe(`pages in ${lang}`, () => {
      let context;
      let page;
      let usedLinkPath;
      const texts = LANGS[lang];

      before(async () => {
        // bypassCSP: the pages' CSP (default-src 'none') would block the
        // injected axe-core script. Only these axe contexts bypass it; the
        // no-JavaScript tests run with the real policy.
        context = await browser.newContext({ baseURL: server.baseURL, bypassCSP: true });
        context.setDefaultTimeout(15_000);
        page = await context.newPage();
        if (lang !== 'en') {
          // Choose the language the way a visitor does: the header button.
          await page.goto('/');
          await page.getByRole('button', { name: LANGS.en.switchTo, exact: true }).click();
          await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
        }
      });

      after(async () => {
        await context?.close();
      });

      async function visit(path) {
        const response = await page.goto(path);
        assert.ok(response, `no response for ${path}`);
        assert.equal(response.status(), 200, `GET ${path} status`);
        return response;
      }

      for (const path of PUBLIC_PAGES) {
        test(`${path} (${lang})`, async (t) => {
          await visit(path);
          await assertPage(page, lang, texts.h1[path]);
          await assertAccessible(t, page, `${path} (${lang})`);
        });
      }

      test(`/signin/link/{token} (${lang}), then sign in`, async (t) => {
        const path = await server.loginPath();
        usedLinkPath = path;
        await visit(path);
        await assertPage(page, lang, texts.h1.link);
        await assertAccessible(t, page, `/signin/link/{token} (${lang})`);

        await page.getByRole('button', { name: texts.signInButton, exact: true }).click();
        await page.waitForURL(`${server.baseURL}/admin`);
      });

      for (const path of ADMIN_PAGES) {
        test(`${path} (${lang})`, async (t) => {
          await visit(path);
          assert.equal(new URL(page.url()).pathname, path, `${path} redirected (not signed in?)`);
          await assertPage(page, lang, texts.h1[path]);
          await assertAccessible(t, page, `${path} (${lang})`);
        });
      }

      test(`/admin/api-keys after creating a key, token shown once (${lang})`, async (t) => {
        await visit('/admin/api-keys');
        const name = `Axe check key ${lang}`;
        await page.getByLabel(texts.keyName, { exact: true }).fill(name);
        await page.getByRole('button', { name: texts.createKey, exact: true }).click();
        await page.getByText(texts.keyCreated(name)).first().waitFor();
        assert.match(await page.getByRole('main').innerText(), /publica_kernel_/, 'the new token is shown');
        assert.equal(await page.getAttribute('html', 'lang'), lang, 'html lang');
        await assertAccessible(t, page, `/admin/api-keys, key created (${lang})`);
      });

      test(`error page: a used sign-in link (${lang})`, async (t) => {
        assert.ok(usedLinkPath, 'the sign-in test ran first');
        await visit(usedLinkPath);
        const [refused] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST'
            && new URL(r.url()).pathname === usedLinkPath),
          page.getByRole('button', { name: texts.signInButton, exact: true }).click(),
        ]);
        assert.equal(refused.status(), 401);
        await assertPage(page, lang, texts.h1.error401);
        await assertAccessible(t, page, `error 401, used sign-in link (${lang})`);
      });
    });
  }
});

// The checks above must be able to fail: axe, run the same way, reports a
// page with known faults.
describe('axe self-check', () => {
  let browser;
  before(async () => { browser = await launchBrowser(); });
  after(async () => { await browser?.close(); });

  test('runAxe reports known violations', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    try {
      const page = await context.newPage();
      await page.setContent('<!doctype html><html><head><title>Faulty</title></head><body>'
        + '<main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        + '<p style="color:#777;background:#888">low contrast</p>'
        + '<input type="text"></main></body></html>');
      const { violations } = await runAxe(page);
      const ids = violations.map((v) => v.id).sort();
      for (const id of ['color-contrast', 'html-has-lang', 'image-alt', 'label']) {
        assert.ok(ids.includes(id), `axe should report ${id}; got ${ids.join(', ')}`);
      }
      assert.match(formatAxe(violations), /image-alt \(critical\): .*\n.*\n    target: img/);
    } finally {
      await context.close();
    }
  });
});
