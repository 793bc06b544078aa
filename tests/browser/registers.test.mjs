// The registry's and the exchange's staff pages, in English and in French, checked by axe-core
// in a real Chromium against WCAG 2.0, 2.1 and 2.2 A and AA: every page with one h1 (the
// expected one), the page's language, and no violation; the forms after a change and after a
// mistake too. The page where a person previews the data a service asks the exchange for, and
// agrees or refuses, in both languages, from the consumer's API call to its answer: the person
// signs in to the identity provider (a demo citizen at the verified level: password and
// authenticator code) and comes back; someone else signed in is refused. Then, with JavaScript
// off, a change to a record, a purpose declared through the forms, and a person's agreement.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, sign } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { startServer, launchBrowser, assertPage, assertAccessible } from './harness.mjs';

/** The civil registry's registrar: keeps the population register, provides its e-services. */
const REGISTRAR_EMAIL = 'registrar@civil-registry.demoland.example';
/** The tax office's inspector: a consumer of the civil registry's e-services. */
const INSPECTOR_EMAIL = 'inspector@tax.demoland.example';
/** The demo operator: sees the whole message log and can verify it. */
const OPERATOR_EMAIL = 'operator@digital.demoland.example';

const TEXTS = {
  en: {
    switchTo: 'Français',
    signIn: 'Sign in',
    errorSummary: 'There is a problem',
    registry: {
      index: 'Registers',
      population: 'Population register',
      record: (id) => `Record ${id}`,
      change: 'Record a change',
      correct: 'Correct the record',
      delete: 'Delete the record',
      create: 'Add a record',
      data: 'Record data (JSON)',
      changeSubmit: 'Record the change',
      changed: 'The change was recorded.',
      diffCaption: /^What changed in version \d+$/,
      newestVersion: /^Version \d+: Changed \(in force\)$/,
    },
    exchange: {
      index: 'Data exchange',
      catalogue: 'Catalogue',
      agreements: 'Agreements',
      agreement: (eservice) => `Agreement for ${eservice}`,
      purposes: 'Purposes',
      log: 'Message log',
      entry: (seq) => `Entry ${seq}`,
      entries: (n) => (n === 1 ? `${n} entry on this page` : `${n} entries on this page`),
      verifySubmit: 'Verify the message log',
      intact: 'The log is intact.',
      declare: 'Declare the purpose',
      declared: 'The purpose was declared.',
      title: 'Title',
      legalBasis: 'Legal basis',
      dailyCalls: 'Expected calls a day',
    },
    evidence: {
      title: 'Share your data?',
      who: 'Who is asking',
      what: 'What would be sent',
      items: 'Data items',
      data: 'Your data',
      approve: 'Agree and send this data',
      refuse: 'Do not send',
      back: 'Go back to the service',
      approved: 'You agreed to send your data',
      refused: 'You refused to send your data',
      other: 'This request is for someone else',
      otherSignIn: 'Sign in with another account',
      notYours: 'This data is not about you, so it cannot be sent. You can only go back to the service.',
    },
  },
  fr: {
    switchTo: 'English',
    signIn: 'Se connecter',
    errorSummary: 'Il y a un problème',
    registry: {
      index: 'Registres',
      population: 'Population register',
      record: (id) => `Fiche ${id}`,
      change: 'Enregistrer un changement',
      correct: 'Corriger la fiche',
      delete: 'Supprimer la fiche',
      create: 'Ajouter une fiche',
      data: 'Données de la fiche (JSON)',
      changeSubmit: 'Enregistrer le changement',
      changed: 'Le changement a été enregistré.',
      diffCaption: /^Ce qui a changé dans la version \d+$/,
      newestVersion: /^Version \d+ : Changement \(en vigueur\)$/,
    },
    exchange: {
      index: 'Échange de données',
      catalogue: 'Catalogue',
      agreements: 'Accords',
      agreement: (eservice) => `Accord pour ${eservice}`,
      purposes: 'Finalités',
      log: 'Journal des messages',
      entry: (seq) => `Entrée ${seq}`,
      entries: (n) => (n <= 1 ? `${n} entrée sur cette page` : `${n} entrées sur cette page`),
      verifySubmit: 'Vérifier le journal des messages',
      intact: 'Le journal est intact.',
      declare: 'Déclarer la finalité',
      declared: 'La finalité a été déclarée.',
      title: 'Titre',
      legalBasis: 'Base légale',
      dailyCalls: 'Appels attendus par jour',
    },
    evidence: {
      title: 'Partager vos données ?',
      who: 'Qui demande',
      what: 'Ce qui serait transmis',
      items: 'Données concernées',
      data: 'Vos données',
      approve: 'Accepter et transmettre ces données',
      refuse: 'Ne pas transmettre',
      back: 'Retourner au service',
      approved: 'Vous avez accepté de transmettre vos données',
      refused: 'Vous avez refusé de transmettre vos données',
      other: 'Cette demande concerne une autre personne',
      otherSignIn: 'Se connecter avec un autre compte',
      notYours: 'Ces données ne vous concernent pas : elles ne peuvent pas être transmises. Vous pouvez seulement retourner au service.',
    },
  },
};

/** An ES256 JWT (RFC 7515 compact form, the signature as R || S). */
function es256Jwt(header, claims, privateKeyPem) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part(header)}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(unsigned), { key: privateKeyPem, dsaEncoding: 'ieee-p1363' });
  return `${unsigned}.${signature.toString('base64url')}`;
}

/**
 * A voucher of the demo consumer for its person-lookup purpose: a client assertion signed with
 * its key (RFC 7523), exchanged at the token endpoint.
 */
async function voucher(server) {
  const ex = (await server.demoCredentials()).exchange;
  const now = Math.floor(Date.now() / 1000);
  const assertion = es256Jwt(
    { alg: 'ES256', kid: ex.key_id, typ: 'JWT' },
    {
      iss: ex.client_id,
      sub: ex.client_id,
      aud: ex.token_url,
      jti: randomUUID(),
      iat: now,
      exp: now + 300,
      purposeId: ex.purposes.person_lookup,
    },
    ex.private_key_pem,
  );
  const tokenResponse = await fetch(new URL(new URL(ex.token_url).pathname, server.baseURL), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: ex.client_id,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  });
  const token = await tokenResponse.json();
  assert.equal(tokenResponse.status, 200, `token endpoint: ${JSON.stringify(token)}`);
  return token.access_token;
}

/**
 * One call through the exchange gateway as the demo consumer, with a voucher for its purpose:
 * the person lookup. The call is written to the message log.
 */
async function gatewayCall(server) {
  const ex = (await server.demoCredentials()).exchange;
  const path = ex.services.person_lookup.replace('{id}', ex.sample_person_id);
  const response = await fetch(`${server.baseURL}${path}`, {
    headers: { authorization: `Bearer ${await voucher(server)}`, 'x-road-client': ex.client_header },
  });
  const body = await response.text();
  assert.equal(response.status, 200, `GET ${path}: ${body}`);
  assert.match(body, new RegExp(ex.sample_person_id), 'the gateway answered with the person');
}

/**
 * A call of the exchange's evidence API as the demo consumer's service: its voucher and its
 * `X-Road-Client` header. Resolves to the status and the parsed JSON answer.
 */
async function evidenceApi(server, token, method, path, body) {
  const ex = (await server.demoCredentials()).exchange;
  const response = await fetch(`${server.baseURL}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'x-road-client': ex.client_header,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  assert.equal(response.headers.get('cache-control'), 'no-store', `${method} ${path}: answers with personal data are not cached`);
  return { status: response.status, body: json };
}

/**
 * The consumer's service asks for the population record `record` (the demo's sample person's
 * by default) for the person `person` (the record's) to preview once signed in; the browser
 * comes back to `returnUrl`. Resolves to `{id, status, preview_url, expires_at}`.
 */
async function askForEvidence(server, token, returnUrl, { record, person } = {}) {
  const ex = (await server.demoCredentials()).exchange;
  const id = record ?? ex.sample_person_id;
  const { status, body } = await evidenceApi(server, token, 'POST', '/exchange/evidence-requests', {
    service_path: ex.services.person_lookup.replace('{id}', id),
    national_id: person ?? id,
    return_url: returnUrl,
    requester_title: 'Housing benefit application',
    reason: 'To check your identity and address for your housing benefit',
  });
  assert.equal(status, 201, `POST /exchange/evidence-requests: ${JSON.stringify(body)}`);
  assert.equal(body.status, 'pending');
  assert.equal(body.preview_url, `/exchange/evidence/${body.id}`, 'preview_url: the link only names the request');
  return body;
}

/** A person's record through the gateway, as the demo consumer (written to the message log). */
async function lookUp(server, token, id) {
  const ex = (await server.demoCredentials()).exchange;
  const path = ex.services.person_lookup.replace('{id}', id);
  const response = await fetch(`${server.baseURL}${path}`, {
    headers: { authorization: `Bearer ${token}`, 'x-road-client': ex.client_header },
  });
  const body = await response.text();
  assert.equal(response.status, 200, `GET ${path}: ${body}`);
  return JSON.parse(body);
}

/** Where the browser goes back to: `returnUrl` with the request and the decision added. */
function returnedTo(returnUrl, id, decision) {
  const url = new URL(returnUrl);
  url.searchParams.append('request', id);
  url.searchParams.append('decision', decision);
  return url.href;
}

/** The rows of the table named `caption`: its row headers and cells, as `{label: value}`. */
async function tableRows(page, caption) {
  const rows = await page.getByRole('table', { name: caption, exact: true }).locator('tbody tr').evaluateAll(
    (trs) => trs.map((tr) => [tr.querySelector('th')?.textContent.trim(), tr.querySelector('td')?.textContent.trim()]),
  );
  return Object.fromEntries(rows);
}

/** The authenticator steps used per secret: a code works once, so a second sign-in waits. */
const usedSteps = new Map();

/** A TOTP code for `secret` from a 30-second step not used before in this run. */
async function freshTotp(secret) {
  let step = Math.floor(Date.now() / 30_000);
  if ((usedSteps.get(secret) ?? -1) >= step) {
    await new Promise((done) => setTimeout(done, (step + 1) * 30_000 - Date.now() + 250));
    step = Math.floor(Date.now() / 30_000);
  }
  usedSteps.set(secret, step);
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
  return totp.generate({ timestamp: step * 30_000 + 1_000 });
}

/**
 * On the identity provider's sign-in page: sign in as the demo citizen `citizen` with their
 * password and authenticator code, as a person types them (works without JavaScript). The
 * browser ends where the sign-in page was told to return.
 */
async function signInAsCitizen(page, citizen) {
  await page.locator('main [name="email"]').fill(citizen.email);
  await page.locator('main [name="password"]').fill(citizen.password);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/identity/sign-in/mfa'),
    page.locator('main form:has([name="password"]) button[type=submit]').first().click(),
  ]);
  await page.locator('main [name="code"]').fill(await freshTotp(citizen.totp_secret));
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith('/identity/')),
    page.locator('main form:has([name="code"]) button[type=submit]').first().click(),
  ]);
}

/**
 * A browser context in `lang` signed in as `email`. With `axe`, it bypasses the pages'
 * Content-Security-Policy so that axe-core can be injected (see harness.mjs); otherwise it
 * keeps the real policy and runs no JavaScript at all.
 */
async function signedIn(browser, server, email, lang, { axe }) {
  const context = await browser.newContext(axe
    ? { baseURL: server.baseURL, bypassCSP: true }
    : { baseURL: server.baseURL, javaScriptEnabled: false });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  if (lang !== 'en') {
    // Choose the language the way a visitor does: the header button.
    await page.goto('/');
    await page.getByRole('button', { name: TEXTS.en.switchTo, exact: true }).click();
    await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
  }
  await page.goto(await server.loginPath(email));
  await page.getByRole('button', { name: TEXTS[lang].signIn, exact: true }).click();
  await page.waitForURL(`${server.baseURL}/admin`);
  return { context, page };
}

/** Open `path`, check its status, that it was not redirected, its h1 and language, then axe. */
async function check(t, page, lang, path, h1, status = 200) {
  const response = await page.goto(path);
  assert.ok(response, `no response for ${path}`);
  assert.equal(response.status(), status, `GET ${path} status`);
  const url = new URL(page.url());
  const want = new URL(path, url);
  assert.equal(`${url.pathname}${url.search}`, `${want.pathname}${want.search}`, `${path} redirected`);
  await assertPage(page, lang, h1);
  // A navigation landmark with nothing to follow is noise for screen reader users.
  const empty = await page.locator('nav').evaluateAll((navs) => navs
    .filter((nav) => !nav.querySelector('a[href]')).map((nav) => nav.getAttribute('aria-label')));
  assert.deepEqual(empty, [], 'navigation landmarks without a link');
  await assertAccessible(t, page, `${path} (${lang})`);
}

/** The text of the first element `selector` matches, and its href. */
async function firstLink(page, selector) {
  const link = page.locator(selector).first();
  const href = await link.getAttribute('href');
  assert.ok(href, `a link ${selector} on ${page.url()}`);
  return { href, text: (await link.innerText()).trim() };
}

/** The change form's data with the record moved to another municipality; the new name. */
async function moveElsewhere(page) {
  const data = JSON.parse(await page.locator('#record-data').inputValue());
  const before = data.residence.municipality;
  const after = before === 'Ipsum Valley' ? 'Demopolis' : 'Ipsum Valley';
  data.residence.municipality = after;
  return { json: JSON.stringify(data, null, 2), before, after };
}

describe('registry and exchange pages: axe-core, WCAG 2.2 AA', () => {
  let server;
  let browser;
  let creds;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    creds = await server.demoCredentials();
    // Something for the message log to show.
    await gatewayCall(server);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  for (const lang of Object.keys(TEXTS)) {
    const texts = TEXTS[lang];

    describe(`registry pages, signed in as the register's keeper (${lang})`, () => {
      let context;
      let page;
      const r = texts.registry;

      before(async () => {
        ({ context, page } = await signedIn(browser, server, REGISTRAR_EMAIL, lang, { axe: true }));
      });

      after(async () => {
        await context?.close();
      });

      test(`every registry page (${lang})`, async (t) => {
        const P = creds.registry.sample_person_id;
        const B = creds.registry.sample_business_id;
        const pages = [
          ['/registry', r.index],
          ['/registry/population', r.population],
          [`/registry/population?national_id=${P}`, r.population],
          [`/registry/population/${P}`, r.record(P)],
          [`/registry/population/${P}?valid_at=2021-01-01&known_at=2021-01-01`, r.record(P)],
          [`/registry/population/${P}/change`, r.change],
          [`/registry/population/${P}/correct`, r.correct],
          [`/registry/population/${P}/delete`, r.delete],
          ['/registry/population/new', r.create],
          [`/registry/businesses/${B}`, r.record(B)],
        ];
        for (const [path, h1] of pages) {
          await t.test(path, async (st) => check(st, page, lang, path, h1));
        }
        // The search found the record.
        await page.goto(`/registry/population?national_id=${P}`);
        await page.getByRole('main').getByRole('link', { name: P, exact: true }).waitFor();
      });

      test(`a change recorded with the form, then the record's history (${lang})`, async (t) => {
        // Each language changes a different person, so each sees its own change.
        const people = await page.goto(`/registry/population/${creds.registry.sample_person_id}/change`)
          .then(() => page.locator('#record-data').inputValue())
          .then((json) => JSON.parse(json));
        const id = lang === 'en' ? creds.registry.sample_person_id : people.family.spouse;
        assert.match(id ?? '', /^\d{11}$/, 'a second person to change');

        await page.goto(`/registry/population/${id}/change`);
        const { json, before: was, after: now } = await moveElsewhere(page);
        await page.getByLabel(r.data, { exact: true }).fill(json);
        await page.getByRole('button', { name: r.changeSubmit, exact: true }).click();
        await page.waitForURL(`${server.baseURL}/registry/population/${id}?done=changed`);
        await page.getByRole('status').getByText(r.changed, { exact: true }).waitFor();
        await assertPage(page, lang, r.record(id));

        // A change closes the version it replaces (a version of its own) and adds the new one:
        // the newest version, first in the history, says what changed.
        const newest = page.locator('.timeline > li').first();
        assert.match((await newest.getByRole('heading', { level: 3 }).innerText()).trim(), r.newestVersion);
        const diff = newest.getByRole('table', { name: r.diffCaption });
        const row = diff.getByRole('row').filter({ hasText: '/residence/municipality' });
        await row.waitFor();
        const cells = (await row.getByRole('cell').allInnerTexts()).map((c) => c.trim());
        assert.deepEqual(cells, [was, now], 'the history shows the municipality before and after');
        await assertAccessible(t, page, `record ${id} after a change (${lang})`);
      });

      test(`the change form with data that is not JSON (${lang})`, async (t) => {
        const P = creds.registry.sample_person_id;
        await page.goto(`/registry/population/${P}/change`);
        await page.getByLabel(r.data, { exact: true }).fill('{');
        const [answer] = await Promise.all([
          page.waitForResponse((res) => res.request().method() === 'POST'),
          page.getByRole('button', { name: r.changeSubmit, exact: true }).click(),
        ]);
        assert.ok(answer.status() >= 400 && answer.status() < 500, `status ${answer.status()}`);
        const summary = page.getByRole('alert');
        await summary.getByRole('heading', { name: texts.errorSummary, exact: true }).waitFor();
        await assertPage(page, lang, r.change);
        assert.equal(await page.getByLabel(r.data, { exact: true }).getAttribute('aria-invalid'), 'true');
        assert.equal(await page.getByLabel(r.data, { exact: true }).inputValue(), '{', 'the form keeps what was typed');
        // The summary links to the field.
        assert.equal(await summary.getByRole('link').first().getAttribute('href'), '#record-data');
        await assertAccessible(t, page, `change form with an error (${lang})`);
      });
    });

    describe(`exchange pages, signed in as a consumer (${lang})`, () => {
      let context;
      let page;
      const x = texts.exchange;

      before(async () => {
        ({ context, page } = await signedIn(browser, server, INSPECTOR_EMAIL, lang, { axe: true }));
      });

      after(async () => {
        await context?.close();
      });

      test(`every exchange page (${lang})`, async (t) => {
        const purpose = creds.exchange.purpose_id;
        await t.test('/exchange', (st) => check(st, page, lang, '/exchange', x.index));
        await t.test('/exchange/catalogue', (st) => check(st, page, lang, '/exchange/catalogue', x.catalogue));
        const service = await firstLink(page, 'main a[href^="/exchange/catalogue/"]');
        await t.test(service.href, (st) => check(st, page, lang, service.href, service.text));
        await t.test('/exchange/agreements', (st) => check(st, page, lang, '/exchange/agreements', x.agreements));
        const agreement = await firstLink(page, 'main table a[href^="/exchange/agreements/"]');
        await t.test(agreement.href, (st) => check(st, page, lang, agreement.href, x.agreement(agreement.text)));
        await t.test('/exchange/purposes', (st) => check(st, page, lang, '/exchange/purposes', x.purposes));
        const title = (await page.locator(`main table a[href="/exchange/purposes/${purpose}"]`).innerText()).trim();
        await t.test(`/exchange/purposes/${purpose}`,
          (st) => check(st, page, lang, `/exchange/purposes/${purpose}`, title));
        await t.test('/exchange/log', (st) => check(st, page, lang, '/exchange/log', x.log));
        // The count agrees with the rows, in the right number.
        const rows = await page.getByRole('main').locator('a[href^="/exchange/log/"]').count();
        assert.ok(rows >= 1, 'the gateway call is in the log');
        assert.equal((await page.locator('#entries-heading ~ p[role="status"]').innerText()).trim(), x.entries(rows));
        const entry = await firstLink(page, 'main a[href^="/exchange/log/"]');
        const seq = entry.href.split('/').pop();
        await t.test(entry.href, (st) => check(st, page, lang, entry.href, x.entry(seq)));
      });

      test(`the purpose form submitted empty (${lang})`, async (t) => {
        await page.goto('/exchange/purposes');
        const [answer] = await Promise.all([
          page.waitForResponse((res) => res.request().method() === 'POST'),
          page.getByRole('button', { name: x.declare, exact: true }).click(),
        ]);
        assert.ok(answer.status() >= 400 && answer.status() < 500, `status ${answer.status()}`);
        const summary = page.getByRole('alert');
        await summary.getByRole('heading', { name: texts.errorSummary, exact: true }).waitFor();
        await assertPage(page, lang, x.purposes);
        for (const label of [x.title, x.legalBasis, x.dailyCalls]) {
          assert.equal(await page.getByLabel(label, { exact: true }).getAttribute('aria-invalid'), 'true', label);
        }
        await assertAccessible(t, page, `purpose form with errors (${lang})`);
      });
    });

    describe(`exchange pages, signed in as a provider (${lang})`, () => {
      let context;
      let page;
      const x = texts.exchange;

      before(async () => {
        ({ context, page } = await signedIn(browser, server, REGISTRAR_EMAIL, lang, { axe: true }));
      });

      after(async () => {
        await context?.close();
      });

      test(`every exchange page (${lang})`, async (t) => {
        const purpose = creds.exchange.purpose_id;
        await t.test('/exchange', (st) => check(st, page, lang, '/exchange', x.index));
        await t.test('/exchange/catalogue', (st) => check(st, page, lang, '/exchange/catalogue', x.catalogue));
        const service = await firstLink(page, 'main a[href^="/exchange/catalogue/"]');
        await t.test(service.href, (st) => check(st, page, lang, service.href, service.text));
        await t.test('/exchange/agreements', (st) => check(st, page, lang, '/exchange/agreements', x.agreements));
        const agreement = await firstLink(page, 'main table a[href^="/exchange/agreements/"]');
        await t.test(agreement.href, (st) => check(st, page, lang, agreement.href, x.agreement(agreement.text)));
        await t.test('/exchange/purposes', (st) => check(st, page, lang, '/exchange/purposes', x.purposes));
        const title = (await page.locator(`main table a[href="/exchange/purposes/${purpose}"]`).innerText()).trim();
        await t.test(`/exchange/purposes/${purpose}`,
          (st) => check(st, page, lang, `/exchange/purposes/${purpose}`, title));
        await t.test('/exchange/log', (st) => check(st, page, lang, '/exchange/log', x.log));
        const entry = await firstLink(page, 'main a[href^="/exchange/log/"]');
        const seq = entry.href.split('/').pop();
        await t.test(entry.href, (st) => check(st, page, lang, entry.href, x.entry(seq)));
      });
    });

    describe(`the message log, signed in as the operator (${lang})`, () => {
      let context;
      let page;
      const x = texts.exchange;

      before(async () => {
        ({ context, page } = await signedIn(browser, server, OPERATOR_EMAIL, lang, { axe: true }));
      });

      after(async () => {
        await context?.close();
      });

      test(`the log, verified, and an entry (${lang})`, async (t) => {
        await t.test('/exchange/log', (st) => check(st, page, lang, '/exchange/log', x.log));
        await page.getByRole('button', { name: x.verifySubmit, exact: true }).click();
        await page.waitForURL(`${server.baseURL}/exchange/log?verify=1`);
        await page.getByRole('status').getByText(x.intact, { exact: true }).waitFor();
        await t.test('/exchange/log?verify=1', (st) => check(st, page, lang, '/exchange/log?verify=1', x.log));
        const entry = await firstLink(page, 'main a[href^="/exchange/log/"]');
        const seq = entry.href.split('/').pop();
        await t.test(entry.href, (st) => check(st, page, lang, entry.href, x.entry(seq)));
      });
    });

    describe(`the person's preview of the data a service asks for (${lang})`, () => {
      const e = texts.evidence;
      // In English the person agrees, in French they refuse.
      const decision = lang === 'en' ? 'approved' : 'refused';
      // Each language has its verified demo citizen; the other one is "someone else".
      let person;
      let someoneElse;
      let context;
      let page;

      before(async () => {
        const verified = creds.identity.citizens.filter((c) => c.level === 'verified');
        assert.ok(verified.length >= 2, 'the demo has two citizens at the verified level');
        [person, someoneElse] = lang === 'en' ? verified : [...verified].reverse();
        // The person is not signed in yet: they have only the link the service gave them.
        context = await browser.newContext({ baseURL: server.baseURL, bypassCSP: true });
        context.setDefaultTimeout(15_000);
        page = await context.newPage();
        if (lang !== 'en') {
          // The person has chosen their language on Publica before (the header's button).
          await page.goto('/');
          await page.getByRole('button', { name: TEXTS.en.switchTo, exact: true }).click();
          await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
        }
      });

      after(async () => {
        await context?.close();
      });

      test(`the service asks, the person signs in and ${decision === 'approved' ? 'agrees' : 'refuses'} (${lang})`, async (t) => {
        const P = person.national_id;
        const token = await voucher(server);
        const returnUrl = `${server.baseURL}/?case=${lang}-42`;
        const created = await askForEvidence(server, token, returnUrl, { record: P, person: P });
        const api = `/exchange/evidence-requests/${created.id}`;
        const pending = await evidenceApi(server, token, 'GET', api);
        assert.equal(pending.status, 200, JSON.stringify(pending.body));
        assert.equal(pending.body.status, 'pending');
        assert.equal(pending.body.data, undefined, 'nothing is released before the decision');

        // The link alone shows nothing: the identity provider asks the person to sign in with
        // two factors, then sends them back.
        const path = `/exchange/evidence/${created.id}`;
        await page.goto(created.preview_url);
        const signInUrl = new URL(page.url());
        assert.equal(signInUrl.pathname, '/identity/sign-in', 'sent to sign in');
        assert.equal(signInUrl.searchParams.get('return_to'), path, 'and back to the request afterwards');
        assert.equal(signInUrl.searchParams.get('aal'), 'aal2', 'with two factors');
        await assertPage(page, lang, texts.signIn);
        assert.doesNotMatch(await page.getByRole('main').innerText(), new RegExp(P), 'no data before signing in');
        await signInAsCitizen(page, person);
        assert.equal(page.url(), `${server.baseURL}${path}`, 'back on the request, signed in');
        // Reload for the response headers of the page itself.
        const response = await page.reload();
        assert.equal(response.status(), 200, `GET ${path}`);
        assert.equal(response.headers()['cache-control'], 'no-store', 'the page with personal data is not cached');
        await assertPage(page, lang, e.title);
        const who = await page.getByRole('region', { name: e.who, exact: true }).innerText();
        assert.match(who, /Housing benefit application/, 'the service that asks');
        assert.match(who, /To check your identity and address for your housing benefit/, 'why it asks');
        const what = page.getByRole('region', { name: e.what, exact: true });
        const items = (await what.getByRole('list', { name: e.items, exact: true }).getByRole('listitem').allInnerTexts())
          .map((i) => i.trim());
        const rows = await tableRows(what, e.data);
        assert.equal(rows['National id'], P, 'the data shown is about the person');
        // The data items are named as the table's rows are.
        for (const item of ['National id', 'Given names', 'Residence']) {
          assert.ok(items.includes(item), `"${item}" among the data items ${JSON.stringify(items)}`);
        }
        await assertAccessible(t, page, `the preview (${lang})`);

        // Someone else signed in with a verified identity sees that the request is not theirs,
        // and nothing about it.
        const other = await browser.newContext({
          baseURL: server.baseURL,
          bypassCSP: true,
          locale: lang === 'en' ? 'en-GB' : 'fr-FR',
        });
        try {
          const stranger = await other.newPage();
          await stranger.goto(path);
          assert.equal(new URL(stranger.url()).pathname, '/identity/sign-in', 'a stranger is asked to sign in');
          assert.doesNotMatch(await stranger.getByRole('main').innerText(), new RegExp(P), 'no data for a stranger');
          await signInAsCitizen(stranger, someoneElse);
          await t.test(`${path} signed in as someone else`, (st) => check(st, stranger, lang, path, e.other, 403));
          const main = await stranger.getByRole('main').innerText();
          for (const secret of [P, 'Housing benefit application', person.family_name]) {
            assert.ok(!main.includes(secret), `"${secret}" is not shown to someone else`);
          }
          const again = stranger.getByRole('main').getByRole('link', { name: e.otherSignIn, exact: true });
          assert.match(await again.getAttribute('href'), /^\/identity\/sign-in\?.*force=1/, 'a way to sign in as another');
        } finally {
          await other.close();
        }

        // The decision sends the browser back to the service, which learns it from the address.
        const button = decision === 'approved' ? e.approve : e.refuse;
        await page.getByRole('main').getByRole('button', { name: button, exact: true }).click();
        await page.waitForURL(returnedTo(returnUrl, created.id, decision));

        const answer = await evidenceApi(server, token, 'GET', api);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(answer.body.status, decision);
        assert.ok(answer.body.decided_at, 'decided_at');
        if (decision === 'approved') {
          // Exactly the data the person saw, once.
          const data = answer.body.data;
          assert.ok(data, `the data is released: ${JSON.stringify(answer.body)}`);
          assert.equal(data.national_id, P);
          assert.equal(rows['Given names'], [data.given_names].flat().join(', '), 'the given names previewed');
          assert.equal(rows['Residence › Municipality'], data.residence.municipality, 'the municipality previewed');
          assert.ok(answer.body.data_items.includes('given_names'), 'data_items');
          assert.ok(answer.body.released_at, 'released_at');
          const again = await evidenceApi(server, token, 'GET', api);
          assert.equal(again.status, 200);
          assert.equal(again.body.status, 'approved');
          assert.equal(again.body.data, undefined, 'the data is released once only');
          assert.equal(again.body.released_at, answer.body.released_at);
        } else {
          assert.equal(answer.body.data, undefined, 'nothing is released after a refusal');
          assert.equal(answer.body.released_at, undefined);
        }

        // Back on the page: what was decided, and the way back to the service.
        await t.test(`${path} after the decision`,
          (st) => check(st, page, lang, path, decision === 'approved' ? e.approved : e.refused));
        const back = page.getByRole('main').getByRole('link', { name: e.back, exact: true });
        assert.equal(await back.getAttribute('href'), returnedTo(returnUrl, created.id, decision));
      });

      test(`a record about someone else: nothing to agree to (${lang})`, async (t) => {
        const token = await voucher(server);
        // The service asks for another person's record on behalf of the person signed in above.
        const R = [creds.registry.sample_person_id, creds.exchange.sample_person_id]
          .find((id) => id !== person.national_id);
        const returnUrl = `${server.baseURL}/?case=${lang}-relative`;
        const created = await askForEvidence(server, token, returnUrl, { record: R, person: person.national_id });

        const response = await page.goto(created.preview_url);
        assert.equal(response.status(), 200, `GET ${created.preview_url}`);
        await assertPage(page, lang, e.title);
        await page.getByRole('main').getByRole('status').getByText(e.notYours, { exact: true }).waitFor();
        assert.equal(await page.getByRole('table', { name: e.data, exact: true }).count(), 0, 'no data shown');
        assert.doesNotMatch(await page.getByRole('main').innerText(), new RegExp(R), 'nothing about the other person');
        assert.equal(await page.getByRole('button', { name: e.approve, exact: true }).count(), 0, 'nothing to agree to');
        await assertAccessible(t, page, `the preview of someone else's record (${lang})`);

        await page.getByRole('main').getByRole('button', { name: e.back, exact: true }).click();
        await page.waitForURL(returnedTo(returnUrl, created.id, 'refused'));
        const answer = await evidenceApi(server, token, 'GET', `/exchange/evidence-requests/${created.id}`);
        assert.equal(answer.body.status, 'refused');
        assert.equal(answer.body.data, undefined, 'nothing is released');
      });
    });
  }
});

// The registry's and the exchange's forms work with JavaScript off, with the pages' real
// Content-Security-Policy: the browser posts the form and follows the server's redirect.
describe('registry and exchange without JavaScript', () => {
  let server;
  let browser;
  let creds;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    creds = await server.demoCredentials();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const h1 = async (page) => (await page.locator('h1').innerText()).trim();

  test('a change to a record of the population register', async () => {
    const { context, page } = await signedIn(browser, server, REGISTRAR_EMAIL, 'en', { axe: false });
    try {
      const id = creds.registry.sample_person_id;
      await page.goto(`/registry/population/${id}`);
      await page.getByRole('link', { name: 'Record a change', exact: true }).click();
      await page.waitForURL(`${server.baseURL}/registry/population/${id}/change`);
      assert.equal(await h1(page), 'Record a change');

      const { json, before: was, after: now } = await moveElsewhere(page);
      await page.getByLabel('Record data (JSON)', { exact: true }).fill(json);
      await page.getByLabel('Valid from', { exact: true }).fill('');
      await page.getByRole('button', { name: 'Record the change', exact: true }).click();

      await page.waitForURL(`${server.baseURL}/registry/population/${id}?done=changed`);
      assert.equal(await h1(page), `Record ${id}`);
      await page.getByRole('status').getByText('The change was recorded.', { exact: true }).waitFor();
      const row = page.getByRole('table', { name: TEXTS.en.registry.diffCaption }).first()
        .getByRole('row').filter({ hasText: '/residence/municipality' });
      await row.waitFor();
      assert.deepEqual((await row.getByRole('cell').allInnerTexts()).map((c) => c.trim()), [was, now]);
      // The current data is the new one.
      await page.getByRole('region', { name: 'Current data' }).getByText(now, { exact: true }).first().waitFor();
    } finally {
      await context.close();
    }
  });

  test('declaring a purpose for an agreement', async () => {
    const { context, page } = await signedIn(browser, server, INSPECTOR_EMAIL, 'en', { axe: false });
    try {
      await page.goto('/exchange');
      await page.getByRole('navigation', { name: 'Data exchange' }).getByRole('link', { name: 'Purposes', exact: true })
        .click();
      await page.waitForURL(`${server.baseURL}/exchange/purposes`);
      assert.equal(await h1(page), 'Purposes');

      const form = page.getByRole('form', { name: 'Declare a purpose' });
      await form.getByLabel('Title', { exact: true }).fill('Checking addresses on tax returns');
      await form.getByLabel('Legal basis', { exact: true }).fill('Tax Code, art. 12');
      await form.getByLabel('Expected calls a day', { exact: true }).fill('5');
      await form.getByRole('button', { name: 'Declare the purpose', exact: true }).click();

      await page.waitForURL(new RegExp(`^${server.baseURL}/exchange/purposes/[0-9a-f-]{36}\\?done=created$`));
      assert.equal(await h1(page), 'Checking addresses on tax returns');
      await page.getByRole('status').getByText('The purpose was declared.', { exact: true }).waitFor();
      const details = page.getByRole('region', { name: 'Details' });
      assert.match(await details.innerText(), /Tax Code, art\. 12/);

      // And it is in the list of the organisation's purposes.
      await page.goto('/exchange/purposes');
      await page.getByRole('link', { name: 'Checking addresses on tax returns', exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });

  test("a person's agreement to send their data, in their browser's language", async () => {
    // A French browser: the page follows its Accept-Language.
    const context = await browser.newContext({ baseURL: server.baseURL, javaScriptEnabled: false, locale: 'fr-FR' });
    context.setDefaultTimeout(15_000);
    try {
      const page = await context.newPage();
      const e = TEXTS.fr.evidence;
      const token = await voucher(server);
      const returnUrl = `${server.baseURL}/?case=no-js`;
      const citizen = creds.identity.citizens.find((c) => c.level === 'verified');
      const P = citizen.national_id;
      const created = await askForEvidence(server, token, returnUrl, { record: P, person: P });

      // The link leads to the identity provider's sign-in, then back: plain forms throughout.
      await page.goto(created.preview_url);
      assert.equal(new URL(page.url()).pathname, '/identity/sign-in');
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');
      await signInAsCitizen(page, citizen);
      assert.equal(page.url(), `${server.baseURL}/exchange/evidence/${created.id}`);
      const response = await page.reload();
      assert.equal(response.status(), 200, `GET ${created.preview_url}`);
      assert.match(response.headers()['content-security-policy'] ?? '', /default-src 'none'/, 'the page keeps its policy');
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');
      assert.equal(await h1(page), e.title);
      const rows = await tableRows(page, e.data);
      assert.equal(rows['National id'], P);

      await page.getByRole('button', { name: e.approve, exact: true }).click();
      await page.waitForURL(returnedTo(returnUrl, created.id, 'approved'));

      const { status, body } = await evidenceApi(server, token, 'GET', `/exchange/evidence-requests/${created.id}`);
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.status, 'approved');
      assert.equal(body.data?.national_id, P, 'the data is released');
      assert.equal(rows['Residence › Municipality'], body.data.residence.municipality, 'as previewed');

      // The page now says what the person decided.
      await page.goto(`/exchange/evidence/${created.id}`);
      assert.equal(await h1(page), e.approved);
    } finally {
      await context.close();
    }
  });
});
