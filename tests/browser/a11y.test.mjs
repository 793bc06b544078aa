// Every page, in English and in French, checked by axe-core in a real
// Chromium against WCAG 2.0, 2.1 and 2.2 A and AA. Any violation fails the
// test and is listed (rule, impact, help, elements).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, runAxe, formatAxe, assertPage, assertAccessible, NOTIFY_ADMIN_EMAIL,
} from './harness.mjs';

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
      '/signin': 'Se connecter',
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

// The notify block's pages, signed in as the Demoland Tax Office's admin: every page of a
// service, its forms after a mistake, a new API key, and the public download page of a file.
const NOTIFY = {
  en: {
    signInButton: 'Sign in',
    save: 'Save',
    preview: 'Preview',
    templateName: 'Template name',
    keyName: 'Key name',
    createKey: 'Create an API key',
    keyCreated: (name) => `API key “${name}” created`,
    revokeLink: (name) => `Revoke ${name}`,
    errorSummary: 'There is a problem',
    fileEmail: 'Your email address',
    fileConfirm: 'Continue and download',
    h1: {
      services: 'Notification services',
      dashboard: 'Dashboard',
      notifications: 'Sent notifications',
      templates: 'Templates',
      team: 'Team members',
      guests: 'Guest list',
      keys: 'API keys',
      settings: 'Callbacks',
      new: { email: 'New email template', sms: 'New text message template', letter: 'New letter template' },
      template: (name) => `Template “${name}”`,
      revoke: (name) => `Revoke the API key “${name}”?`,
      file: 'Download your file',
      fileGone: 'This file is no longer available',
    },
  },
  fr: {
    signInButton: 'Se connecter',
    save: 'Enregistrer',
    preview: 'Prévisualiser',
    templateName: 'Nom du modèle',
    keyName: 'Nom de la clé',
    createKey: 'Créer une clé d’API',
    keyCreated: (name) => `Clé d’API « ${name} » créée`,
    revokeLink: (name) => `Révoquer ${name}`,
    errorSummary: 'Il y a un problème',
    fileEmail: 'Votre adresse électronique',
    fileConfirm: 'Continuer et télécharger',
    h1: {
      services: 'Services de notification',
      dashboard: 'Tableau de bord',
      notifications: 'Notifications envoyées',
      templates: 'Modèles',
      team: 'Membres de l’équipe',
      guests: 'Liste d’invités',
      keys: 'Clés d’API',
      settings: 'Rappels',
      new: { email: 'Nouveau modèle de courriel', sms: 'Nouveau modèle de SMS', letter: 'Nouveau modèle de lettre' },
      template: (name) => `Modèle « ${name} »`,
      revoke: (name) => `Révoquer la clé d’API « ${name} » ?`,
      file: 'Télécharger votre fichier',
      fileGone: 'Ce fichier n’est plus disponible',
    },
  },
};

describe('accessibility of the notify pages: axe-core, WCAG 2.2 AA', () => {
  let server;
  let browser;
  let demo;
  let filePath;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    demo = (await server.demoCredentials()).notify;
    // Something to count, chart and list; and a file sent by email to download.
    const templates = demo.templates;
    for (const reference of ['R-1', 'R-2', 'R-3']) {
      await server.notify('/v2/notifications/email', {
        email_address: 'someone@example.org',
        template_id: templates.email,
        personalisation: { name: 'Ada', reference },
      }, 'test');
    }
    await server.notify('/v2/notifications/sms', {
      phone_number: '07700900123',
      template_id: templates.sms,
      personalisation: { name: 'Ada', code: '1234' },
    }, 'test');
    const sent = await server.notify('/v2/notifications/email', {
      email_address: 'citizen@example.org',
      template_id: templates.email,
      personalisation: {
        name: 'Ada',
        reference: { file: Buffer.from('%PDF-1.4 a file').toString('base64'), filename: 'statement.pdf' },
      },
    });
    filePath = new URL(sent.content.body.match(/https?:\/\/\S+\/notify\/files\/[0-9a-f-]{36}/)[0]).pathname;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const lang of Object.keys(NOTIFY)) {
    describe(`notify pages in ${lang}`, () => {
      let context;
      let page;
      const texts = NOTIFY[lang];

      before(async () => {
        context = await browser.newContext({ baseURL: server.baseURL, bypassCSP: true });
        context.setDefaultTimeout(15_000);
        page = await context.newPage();
        if (lang !== 'en') {
          await page.goto('/');
          await page.getByRole('button', { name: LANGS.en.switchTo, exact: true }).click();
          await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
        }
        await page.goto(await server.loginPath(NOTIFY_ADMIN_EMAIL));
        await page.getByRole('button', { name: texts.signInButton, exact: true }).click();
        await page.waitForURL(`${server.baseURL}/admin`);
      });

      after(async () => {
        await context?.close();
      });

      async function check(t, path, h1, status = 200) {
        const response = await page.goto(path);
        assert.ok(response, `no response for ${path}`);
        assert.equal(response.status(), status, `GET ${path} status`);
        assert.equal(new URL(page.url()).pathname, new URL(path, server.baseURL).pathname, `${path} redirected`);
        await assertPage(page, lang, h1);
        await assertAccessible(t, page, `${path} (${lang})`);
      }

      const base = () => `/notify/services/${demo.service_id}`;
      const pages = () => [
        ['/notify', texts.h1.services],
        [base(), texts.h1.dashboard],
        [`${base()}/notifications`, texts.h1.notifications],
        [`${base()}/notifications?status=sending&type=email`, texts.h1.notifications],
        [`${base()}/templates`, texts.h1.templates],
        [`${base()}/templates/new?type=email`, texts.h1.new.email],
        [`${base()}/templates/new?type=sms`, texts.h1.new.sms],
        [`${base()}/templates/new?type=letter`, texts.h1.new.letter],
        [`${base()}/templates/${demo.templates.email}`, texts.h1.template('Tax return received')],
        [`${base()}/templates/${demo.templates.sms}`, texts.h1.template('Sign-in code')],
        [`${base()}/templates/${demo.templates.letter}`, texts.h1.template('Tax return received (letter)')],
        [`${base()}/team`, texts.h1.team],
        [`${base()}/guest-list`, texts.h1.guests],
        [`${base()}/api-keys`, texts.h1.keys],
        [`${base()}/settings`, texts.h1.settings],
        [filePath, texts.h1.file],
      ];

      // The list is built once the server has started and the data is seeded.
      test(`every notify page (${lang})`, async (t) => {
        for (const [path, h1] of pages()) {
          await t.test(path, async (st) => check(st, path, h1));
        }
      });

      test(`revoking an API key asks first (${lang})`, async (t) => {
        await page.goto(`${base()}/api-keys`);
        const href = await page.getByRole('link', { name: texts.revokeLink('demo test'), exact: true }).getAttribute('href');
        await check(t, href, texts.h1.revoke('demo test'));
      });

      test(`a template form with a mistake, then a preview (${lang})`, async (t) => {
        await page.goto(`${base()}/templates/new?type=sms`);
        await page.getByRole('button', { name: texts.save, exact: true }).click();
        await page.getByRole('alert').getByRole('heading', { name: texts.errorSummary }).waitFor();
        assert.equal(await page.getAttribute('html', 'lang'), lang);
        await assertAccessible(t, page, `template form with errors (${lang})`);
        await page.getByLabel(texts.templateName, { exact: true }).fill('Axe');
        await page.locator('#template-content').fill('Hello ((name)), this is a preview.');
        await page.getByRole('button', { name: texts.preview, exact: true }).click();
        await page.getByText('Hello ((name)), this is a preview.').first().waitFor();
        await assertAccessible(t, page, `template preview (${lang})`);
      });

      test(`a new API key, shown once (${lang})`, async (t) => {
        await page.goto(`${base()}/api-keys`);
        const name = `Axe key ${lang}`;
        await page.getByLabel(texts.keyName, { exact: true }).fill(name);
        await page.getByRole('button', { name: texts.createKey, exact: true }).click();
        await page.getByText(texts.keyCreated(name)).first().waitFor();
        assert.match(await page.getByRole('main').innerText(), new RegExp(`axe_key_${lang}-${demo.service_id}-[0-9a-f-]{36}`));
        await assertAccessible(t, page, `API key created (${lang})`);
      });

      test(`the download page after a wrong address, and a file that is gone (${lang})`, async (t) => {
        await page.goto(filePath);
        await page.getByLabel(texts.fileEmail, { exact: true }).fill('someone.else@example.org');
        await page.getByRole('button', { name: texts.fileConfirm, exact: true }).click();
        await page.getByRole('alert').getByRole('heading', { name: texts.errorSummary }).waitFor();
        await assertAccessible(t, page, `download page, wrong address (${lang})`);
        await check(t, '/notify/files/00000000-0000-4000-8000-000000000000', texts.h1.fileGone, 404);
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
