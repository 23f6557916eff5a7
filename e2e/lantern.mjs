// Shared set-up for the browser tests: a demo database, a server on a free port, Debian's
// Chromium, and pages signed in as a demo user. Screenshots go to target/browser/.
//
// Needs LANTERN_BIN (the built `lantern` binary); CHROMIUM defaults to /usr/bin/chromium.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const shots = resolve('../target/browser');
mkdirSync(shots, { recursive: true });

// Start a demo ending on `end` (the server started with `serveArgs` too, and `env` added to its
// environment); returns { base, passwords, page, signIn, close, dir, log }: `dir` holds the
// database, and `log()` is everything the server has written to stderr (its logs).
export async function startDemo(end, serveArgs = [], env = {}) {
  const bin = process.env.LANTERN_BIN ?? resolve('../target/debug/lantern');
  const dir = mkdtempSync(join(tmpdir(), 'lantern-e2e-'));
  const db = `sqlite://${dir}/lantern.db`;
  // The pseudonymisation key lives outside the database, in a file of its own.
  process.env.LANTERN_PSEUDONYM_KEY_FILE = join(dir, 'pseudonym.key');
  // The demo prints each user's password once: `  NAME  PASSWORD  ROLE: ...`.
  const out = execFileSync(bin, ['demo', '--no-serve', '--end', end, '--database-url', db],
    { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const passwords = {};
  for (const m of out.matchAll(/^ {2}(\S+)\s+(\S+)\s+\w+:/gm)) passwords[m[1]] = m[2];
  assert.ok(passwords.admin && passwords.partner && passwords.lead, out);
  const server = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--database-url', db, ...serveArgs],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  const logged = [];
  server.stderr.on('data', (d) => logged.push(d));
  const base = await new Promise((ok, fail) => {
    let seen = '';
    server.stderr.on('data', (d) => {
      seen += d;
      // Wait for the whole address: stderr can arrive cut in the middle of it.
      const m = seen.match(/serving (http:\/\/[0-9.]+:[0-9]+) from/);
      if (m) ok(m[1]);
    });
    server.on('exit', (code) => fail(new Error(`server exited ${code}: ${seen}`)));
    setTimeout(() => fail(new Error(`server did not start: ${seen}`)), 20000);
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
  });

  async function signIn(p, user, password = passwords[user]) {
    await p.goto(`${base}/login`);
    await p.fill('#username', user);
    await p.fill('#password', password);
    await p.click('button:has-text("Sign in")');
  }

  // A page in a fresh browser context (its own cookies), signed in as `user` (admin by default).
  async function page(user = 'admin', options = {}) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 1000 }, ...options });
    const p = await ctx.newPage();
    p.setDefaultTimeout(15000);
    if (user) {
      await signIn(p, user);
      await p.waitForURL(`${base}/`);
    }
    return p;
  }

  async function close() {
    await browser.close();
    server.kill();
  }

  const log = () => Buffer.concat(logged);
  return { base, passwords, page, signIn, close, dir, log };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// The serious and critical axe-core (WCAG 2.2 AA rules) violations of a page as it is now, as
// `id: help (first node)`. axe is injected as a script, which the pages' strict CSP would
// refuse: use a page from a context with `bypassCSP: true`, for the check only.
export async function axe(p) {
  await p.addScriptTag({ content: axeSource });
  const result = await p.evaluate(() =>
    window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes[0]?.html.slice(0, 120)})`);
}
