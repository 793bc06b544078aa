// Shared helpers for the browser tests: start a demo Publica server on a
// free port with its own temporary data directory, mint sign-in links with
// the CLI, launch Debian's Chromium and run axe-core in a page.
//
// Every resource handed out here has a matching stop/close that the test
// files call from `after()` hooks, so the server and the browser go away
// even when a test fails. As a last resort a server still running when the
// Node process exits is killed by an 'exit' handler.

import { spawn, execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');

export const PUBLICA_BIN = process.env.PUBLICA_BIN || join(REPO, 'target', 'debug', 'publica');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** The demo operator seeded by `publica serve --demo`. */
export const OPERATOR_EMAIL = 'operator@digital.demoland.example';

/** The WCAG levels every page must meet. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

const running = new Set();
process.once('exit', () => {
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/**
 * Start `publica serve --demo` on 127.0.0.1 with an OS-chosen port and a
 * fresh data directory. Resolves once the server logs that it is listening.
 */
export async function startServer() {
  const dataDir = await mkdtemp(join(tmpdir(), 'publica-browser-'));
  const child = spawn(
    PUBLICA_BIN,
    ['serve', '--demo', '--data', dataDir, '--listen', '127.0.0.1:0'],
    {
      env: { ...process.env, PUBLICA_LOG__FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);

  // Keep every log line (for error messages) and keep draining both pipes
  // for the server's whole life so it never blocks on a full pipe.
  const log = [];
  child.stdout.on('data', (chunk) => log.push(chunk.toString()));
  const lines = createInterface({ input: child.stderr });

  // Settles when the process is gone, or was never started (spawn error).
  const exited = new Promise((res) => {
    child.once('exit', (code, signal) => res({ code, signal }));
    child.once('error', (error) => res({ code: null, signal: null, error }));
  });
  exited.then(() => running.delete(child));

  const server = {
    dataDir,
    baseURL: undefined,
    log,
    /** Ask the CLI for a single-use sign-in link; returns its path. */
    async loginPath(email = OPERATOR_EMAIL) {
      const { stdout, stderr } = await execFileAsync(
        PUBLICA_BIN,
        ['admin', 'login-link', '--email', email, '--data', dataDir],
        { env: { ...process.env, PUBLICA_LOG__FORMAT: 'json' }, timeout: 30_000 },
      );
      const match = stdout.match(/https?:\/\/\S+\/signin\/link\/[A-Za-z0-9_-]+/);
      if (!match) {
        throw new Error(`publica admin login-link printed no sign-in link.\nstdout: ${stdout}\nstderr: ${stderr}`);
      }
      // The CLI does not know our port: keep only the path.
      return new URL(match[0]).pathname;
    },
    /** The demo credentials the server wrote (`demo-credentials.json`). */
    async demoCredentials() {
      return JSON.parse(await readFile(join(dataDir, 'demo-credentials.json'), 'utf8'));
    },
    /**
     * Call the Notify API v2 with one of the demo service's keys (`live`, `team`, `test`);
     * resolves to the parsed JSON answer, and fails unless it is 201 Created.
     */
    async notify(path, body, keyType = 'live') {
      const creds = await this.demoCredentials();
      const response = await fetch(`${this.baseURL}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${notifyToken(creds.notify.api_keys[keyType])}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
      const answer = await response.json();
      if (response.status !== 201) {
        throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
      }
      return answer;
    },
    /** Stop the server (SIGTERM, then SIGKILL) and delete its data. */
    async stop() {
      if (running.has(child)) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      lines.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };

  try {
    server.baseURL = await new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`publica did not report "listening on" within ${STARTUP_TIMEOUT_MS} ms.\n${log.join('\n')}`)),
        STARTUP_TIMEOUT_MS,
      );
      lines.on('line', (line) => {
        log.push(line);
        let entry;
        try { entry = JSON.parse(line); } catch { return; }
        const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(entry.message ?? '');
        if (m) {
          clearTimeout(timer);
          res(m[1]);
        }
      });
      exited.then(({ code, signal, error }) => {
        clearTimeout(timer);
        rej(error
          ? new Error(`could not start ${PUBLICA_BIN}: ${error.message} (build it with cargo build -p publica, or set PUBLICA_BIN)`)
          : new Error(`publica exited before listening (code ${code}, signal ${signal}).\n${log.join('\n')}`));
      });
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** The demo Notify team's admin, in the Demoland Tax Office. */
export const NOTIFY_ADMIN_EMAIL = 'inspector@tax.demoland.example';

/**
 * A GOV.UK Notify API token for a key `{name}-{service id}-{secret}`: a JWT signed with
 * HS256 by the secret, issued by the service, now.
 */
export function notifyToken(key) {
  const secret = key.slice(-36);
  const serviceId = key.slice(-73, -37);
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ typ: 'JWT', alg: 'HS256' })}.${part({ iss: serviceId, iat: Math.floor(Date.now() / 1000) })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** Launch Debian's Chromium (no browser download: playwright-core only). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

let axeSource;
async function loadAxe() {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

/**
 * Run axe-core on the page's current document with the WCAG tags above.
 *
 * The pages send `Content-Security-Policy: default-src 'none'`, which blocks
 * any script we would inject. The page must therefore come from a browser
 * context created with `bypassCSP: true`; only the axe contexts do that, the
 * no-JavaScript contexts keep the real policy.
 */
export async function runAxe(page) {
  await page.addScriptTag({ content: await loadAxe() });
  return page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const results = await axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations', 'incomplete'],
    });
    const pick = (r) => ({
      id: r.id,
      impact: r.impact,
      help: r.help,
      helpUrl: r.helpUrl,
      nodes: r.nodes.map((n) => ({
        target: n.target,
        html: n.html,
        failureSummary: n.failureSummary,
      })),
    });
    return {
      version: results.testEngine.version,
      violations: results.violations.map(pick),
      incomplete: results.incomplete.map(pick),
    };
  }, AXE_TAGS);
}

/**
 * The kernel's main navigation (layout.html) in each language: its label and the link every
 * page has. Blocks whose pages extend the kernel's layout (notify, registry, exchange) have it too.
 */
export const MAIN_NAV = {
  en: { label: 'Main', home: 'Home' },
  fr: { label: 'Principal', home: 'Accueil' },
};

/**
 * Check the page is the expected one in the expected language: `html lang`, the real
 * stylesheet loaded, exactly one h1 with the expected text, and the kernel's main navigation
 * in that language.
 */
export async function assertPage(page, lang, h1) {
  assert.equal(await page.getAttribute('html', 'lang'), lang, 'html lang');
  // Contrast and target-size checks mean something only with the real styles.
  const styled = await page.evaluate(() => [...document.styleSheets]
    .some((sheet) => new URL(sheet.href ?? 'about:blank').pathname === '/assets/publica.css'
      && sheet.cssRules.length > 0));
  assert.ok(styled, 'the stylesheet /assets/publica.css is loaded');
  const headings = await page.locator('h1').allInnerTexts();
  assert.deepEqual(headings.map((h) => h.trim()), [h1], 'the page has exactly one h1, the expected one');
  const { label, home } = MAIN_NAV[lang];
  const nav = page.getByRole('navigation', { name: label, exact: true });
  assert.equal(
    (await nav.getByRole('link', { name: home, exact: true }).innerText()).trim(),
    home,
    'main navigation in the page language',
  );
}

/**
 * Run axe on the page and fail with the full list of violations; "needs review" results
 * (axe could not decide, e.g. contrast over an image) are reported as diagnostics of the
 * test `t`, not failed on.
 */
export async function assertAccessible(t, page, label) {
  const { version, violations, incomplete } = await runAxe(page);
  if (incomplete.length > 0) {
    t.diagnostic(`axe ${version} needs review on ${label}: ${incomplete.map((r) => r.id).join(', ')}`);
  }
  assert.equal(
    violations.length,
    0,
    `axe ${version} found ${violations.length} violation(s) on ${label}:\n${formatAxe(violations)}`,
  );
}

/** Human-readable list of axe results for assertion messages. */
export function formatAxe(results) {
  return results
    .map((v) => {
      const nodes = v.nodes
        .map((n) => {
          const summary = (n.failureSummary ?? '').replace(/\n/g, '\n        ');
          return `    target: ${n.target.join(' ')}\n      html: ${n.html}\n      ${summary}`;
        })
        .join('\n');
      return `- ${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n  ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}
