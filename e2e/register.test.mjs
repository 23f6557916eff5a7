// Browser tests: signing in, roles and lockout; the register list, its filters and sorting, and
// the create-record form, in a real Chromium. Screenshots go to target/browser/ (kept as CI artefacts).
//
// Needs LANTERN_BIN (the built `lantern` binary); CHROMIUM defaults to /usr/bin/chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { axe, shots, startDemo } from './lantern.mjs';

let demo, base, passwords, page, signIn;

before(async () => {
  demo = await startDemo('2025-06-30');
  ({ base, passwords, page, signIn } = demo);
});

after(async () => {
  await demo?.close();
});

test('signing in shows the pages of the role; signing out ends the session', async () => {
  const p = await page(null);
  await p.goto(`${base}/register/suicides`);
  await p.waitForURL(/\/login\?next=%2Fregister%2Fsuicides/);
  assert.match(await p.locator('.help-now').innerText(), /116\s123/);
  await p.screenshot({ path: join(shots, 'sign-in.png'), fullPage: true });
  await p.fill('#username', 'analyst');
  await p.fill('#password', passwords.analyst);
  await p.click('button:has-text("Sign in")');
  await p.waitForURL(/\/register\/suicides$/);
  assert.match(await p.locator('.account').innerText(), /analyst \(analyst\)/);
  await p.click('button:has-text("Sign out")');
  await p.goto(`${base}/register/suicides`);
  await p.waitForURL(/\/login/);
  await p.context().close();
});

test('a partner sees no person-level page and cannot reach an admin page', async () => {
  const p = await page('partner');
  const nav = await p.locator('nav').innerText();
  assert.ok(!/Suspected suicides|Audit log/.test(nav), nav);
  const res = await p.goto(`${base}/admin/audit`);
  assert.equal(res.status(), 403);
  assert.match(await p.locator('main').innerText(), /your role \(partner\) cannot open this page/);
  await p.screenshot({ path: join(shots, 'partner-refused.png'), fullPage: true });
  assert.equal((await p.goto(`${base}/register/suicides`)).status(), 403);
  assert.equal((await p.goto(`${base}/api/v1/suicides`)).status(), 403);
  await p.context().close();
});

test('repeated wrong passwords lock the account, even for the right password', async () => {
  const p = await page(null);
  for (let i = 0; i < 5; i += 1) {
    await signIn(p, 'lead', 'not the right password');
    assert.match(await p.locator('.error-summary').innerText(), /not right/);
  }
  await signIn(p, 'lead');
  assert.match(await p.locator('.error-summary').innerText(), /Too many failed sign-ins/);
  await p.screenshot({ path: join(shots, 'locked-out.png'), fullPage: true });
  await p.context().close();
});

test('the register list shows records, help now and the synthetic banner', async () => {
  const p = await page();
  await p.goto(`${base}/register/suicides`);
  assert.match(await p.locator('.help-now').innerText(), /116\s123/);
  assert.match(await p.locator('.synthetic').innerText(), /synthetic/);
  const rows = await p.locator('table.register tbody tr').count();
  assert.ok(rows > 10, `expected a page of records, saw ${rows}`);
  assert.match(await p.locator('#result-count').innerText(), /\d+ records · page 1 of \d+/);
  await p.screenshot({ path: join(shots, 'register-list.png'), fullPage: true });
  await p.context().close();
});

test('filters narrow the list and keep their values', async () => {
  const p = await page();
  await p.goto(`${base}/register/suicides`);
  const all = Number((await p.locator('#result-count').innerText()).match(/^(\d+)/)[1]);
  await p.selectOption('#status', 'awaiting_inquest');
  await p.click('button:has-text("Apply filters")');
  await p.waitForURL(/status=awaiting_inquest/);
  const filtered = Number((await p.locator('#result-count').innerText()).match(/^(\d+)/)[1]);
  assert.ok(filtered > 0 && filtered < all, `${filtered} of ${all}`);
  const statuses = await p.locator('table.register tbody tr td:nth-child(6)').allInnerTexts();
  assert.ok(statuses.every((s) => s === 'Awaiting inquest'), statuses.join(','));
  assert.equal(await p.locator('#status').inputValue(), 'awaiting_inquest');
  await p.selectOption('#area', 'X07000001');
  await p.fill('#from', '2024-01-01');
  await p.click('button:has-text("Apply filters")');
  await p.waitForURL(/area=X07000001/);
  const areas = await p.locator('table.register tbody tr td:nth-child(5)').allInnerTexts();
  assert.ok(areas.every((a) => a === '' || a.startsWith('Brackenford') || a.startsWith('No records')), areas.join(','));
  await p.screenshot({ path: join(shots, 'register-filtered.png'), fullPage: true });
  // Sorting by age, ascending, from the column header.
  await p.goto(`${base}/register/suicides`);
  await p.click('th a:has-text("Age")');
  await p.waitForURL(/sort=age/);
  const ages = (await p.locator('table.register tbody tr td:nth-child(3)').allInnerTexts()).map(Number);
  assert.deepEqual(ages, [...ages].sort((a, b) => a - b));
  await p.context().close();
});

test('the create form shows problems beside fields, then saves', async () => {
  const p = await page();
  await p.goto(`${base}/register/suicides/new`);
  await p.fill('#source', 'ashvale_police');
  await p.fill('#source_ref', 'E2E-0001');
  await p.fill('#age', '130');
  await p.click('button:has-text("Save")');
  await p.waitForSelector('#error-summary');
  assert.match(await p.locator('#age-error').innerText(), /outside 0-120/);
  assert.match(await p.locator('#date_of_death-error').innerText(), /required/);
  assert.equal(await p.locator('#source_ref').inputValue(), 'E2E-0001', 'typed values are kept');
  await p.screenshot({ path: join(shots, 'create-form-errors.png'), fullPage: true });

  await p.fill('#age', '41');
  await p.fill('#date_of_death', '2025-05-01');
  await p.selectOption('#sex', 'female');
  await p.fill('#residence_area', 'X01000010');
  await p.selectOption('#method_group', 'poisoning');
  await p.selectOption('#location_type', 'home');
  await p.check('input[name="priority_groups"][value="financial_difficulty"]');
  await p.click('button:has-text("Save")');
  await p.waitForURL(/\/register\/suicides\/\d+\?saved=1$/);
  assert.match(await p.locator('.notice').innerText(), /Saved/);
  assert.match(await p.locator('dl.record').innerText(), /Financial difficulty/);
  await p.screenshot({ path: join(shots, 'record-saved.png'), fullPage: true });

  // The new record is in the list, found by its source filter.
  await p.goto(`${base}/register/suicides?source=ashvale_police&sort=source_ref&order=asc`);
  assert.ok((await p.locator('table.register').innerText()).includes('41'));

  // The audit log has the creation, from this client's address, and its chain is intact.
  await p.goto(`${base}/admin/audit`);
  assert.match(await p.locator('.notice').innerText(), /intact/);
  const log = await p.locator('table').innerText();
  assert.match(log, /admin\s+create\s+suicides \d+\s+web\s+127\.0\.0\.1/);
  await p.screenshot({ path: join(shots, 'audit-log.png'), fullPage: true });
  await p.context().close();
});

test('pages work without JavaScript', async () => {
  const p = await page('admin', { javaScriptEnabled: false });
  await p.goto(`${base}/register/self-harm`);
  await p.selectOption('#setting', 'ambulance');
  await p.click('button:has-text("Apply filters")');
  await p.waitForURL(/setting=ambulance/);
  const settings = await p.locator('table.register tbody tr td:nth-child(6)').allInnerTexts();
  assert.ok(settings.length > 0 && settings.every((s) => s.startsWith('Ambulance')), settings.join(','));
  await p.screenshot({ path: join(shots, 'self-harm-no-js.png'), fullPage: true });
  await p.context().close();
});

/** The exact postvention figures by year, as an analyst gets them: `year stage` -> count. */
async function exactStages() {
  const a = await page('analyst');
  const res = await a.request.get(`${base}/api/v1/indicators?dataset=postvention&by=year&audience=statutory`);
  assert.equal(res.status(), 200);
  const out = new Map((await res.json()).rows.map((r) => [`${r.year} ${r.postvention_stage}`, r.count]));
  await a.context().close();
  return out;
}

test('the postvention worklist lists deaths with no offer of support, and recording one takes it off', async () => {
  const exactBefore = await exactStages();
  const p = await page('police.recorder', { bypassCSP: true });
  await p.goto(`${base}/register/suicides`);
  await p.click('a:has-text("Bereavement support not yet offered")');
  await p.waitForURL(`${base}/postvention`);
  const count = async () => Number(/^(\d+) deaths?/.exec(await p.locator('#result-count').innerText())[1]);
  // By default only deaths in the last 12 months: the demo ended in June 2025, so none.
  assert.equal(await count(), 0);
  assert.match(await p.locator('main').innerText(), /Every death in your records in the last 12 months, from 7 or more days ago, has an offer of support recorded/);
  assert.deepEqual(await axe(p), [], 'the empty worklist');
  await p.selectOption('#within', 'all');
  await p.click('button:has-text("Show")');
  await p.waitForURL(/within=all/);
  const before = await count();
  assert.ok(before > 0, 'the demo leaves some deaths without an offer recorded');
  const sources = await p.locator('table.register tbody td:nth-child(6)').allInnerTexts();
  assert.ok(sources.every((s) => s === 'ashvale_police'), `a recorder sees their own source's: ${sources}`);
  const days = (await p.locator('table.register tbody td:nth-child(3)').allInnerTexts()).map(Number);
  assert.ok(days.every((d) => d >= 7), 'none sooner than the wait');
  assert.deepEqual(days, [...days].sort((a, b) => b - a), 'oldest first');
  assert.deepEqual(await axe(p), []);
  await p.screenshot({ path: join(shots, 'postvention-worklist.png'), fullPage: true });

  // Open the oldest, record the offer, and it leaves the list.
  const first = p.locator('table.register tbody tr').first().locator('a');
  const id = await first.innerText();
  await first.click();
  // The panel on the record: a step out of order is refused and says which.
  await p.selectOption('#pv-support_consent', 'yes');
  await p.click('button:has-text("Save bereavement support")');
  assert.match(await p.locator('main').innerText(), /Consent to referral: needs an offer of support first/);
  await p.goBack();
  await p.reload();
  assert.equal(await p.locator('#pv-support_consent').inputValue(), '', 'nothing was saved');
  assert.deepEqual(await axe(p), [], 'the record with its panel');
  await p.selectOption('#pv-support_offered', 'yes');
  await p.selectOption('#pv-support_consent', 'yes');
  await p.fill('#pv-referral_date', '2025-06-10');
  await p.fill('#pv-referral_service', 'Ashvale bereavement service');
  await p.click('button:has-text("Save bereavement support")');
  await p.waitForURL(/\?saved=1#postvention$/);
  assert.equal(await p.locator('#pv-support_offered').inputValue(), 'yes');
  assert.equal(await p.locator('#pv-referral_service').inputValue(), 'Ashvale bereavement service');
  assert.match(await p.locator('table').last().innerText(), /Bereavement support offered: \(blank\) → yes/);
  await p.screenshot({ path: join(shots, 'postvention-panel.png'), fullPage: true });
  await p.goto(`${base}/postvention?within=all`);
  assert.equal(await count(), before - 1);
  const ids = await p.locator('table.register tbody td:first-child').allInnerTexts();
  assert.ok(!ids.includes(id), `${id} has left the list`);

  // The referral moved one death, in one year, from no offer recorded to referred.
  const exactAfter = await exactStages();
  const changed = [...new Set([...exactBefore.keys(), ...exactAfter.keys()])]
    .filter((k) => (exactBefore.get(k) ?? 0) !== (exactAfter.get(k) ?? 0))
    .map((k) => [k, (exactAfter.get(k) ?? 0) - (exactBefore.get(k) ?? 0)]);
  assert.equal(changed.length, 2, JSON.stringify(changed));
  const year = changed[0][0].split(' ')[0];
  assert.deepEqual(Object.fromEntries(changed), { [`${year} not_recorded`]: -1, [`${year} referred`]: 1 });

  // A partner sees the referral only in aggregate: the explorer's table of stages by year, no
  // record, no worklist, no exact figures.
  const partner = await page('partner', { bypassCSP: true });
  await partner.goto(`${base}/explore?dataset=postvention&measure=count&period=year`);
  const heads = await partner.locator('table thead th').allInnerTexts();
  assert.ok(heads.includes('postvention stage') && heads.includes('Median days to first contact'), heads.join('|'));
  assert.match(await partner.locator('main').innerText(), /Figures for the partner audience/);
  const shown = await partner.locator('table tbody tr').allInnerTexts();
  assert.ok(shown.some((row) => row.startsWith(year)), `the year of the death has rows: ${shown}`);
  assert.deepEqual(await axe(partner), [], 'the partner explorer of postvention');
  await partner.screenshot({ path: join(shots, 'postvention-partner.png'), fullPage: true });
  const api = await partner.request.get(`${base}/api/v1/indicators?dataset=postvention&by=year`);
  const body = await api.json();
  assert.equal(body.disclosure, 'partner');
  for (const r of body.rows) {
    assert.ok(r.count === 0 || r.count >= 5, `a partner never sees 1-4: ${JSON.stringify(r)}`);
    assert.equal(r.count, exactAfter.get(`${r.year} ${r.postvention_stage}`) ?? 0, 'published counts are exact');
    assert.deepEqual(Object.keys(r).filter((k) => /id|ref|date/.test(k)), [], 'no record fields');
  }
  for (const path of [`/register/suicides/${id}`, '/postvention', '/api/v1/indicators?dataset=postvention&by=year&audience=statutory']) {
    const refused = await partner.request.get(`${base}${path}`);
    assert.equal(refused.status(), 403, path);
  }
  await partner.context().close();

  // A longer wait lists fewer or the same; a wait it does not offer is refused.
  await p.selectOption('#days', '28');
  await p.click('button:has-text("Show")');
  await p.waitForURL(/days=28/);
  assert.ok(await count() <= before - 1);
  for (const bad of ['days=9', 'within=24']) {
    const refused = await p.request.get(`${base}/postvention?${bad}`);
    assert.equal(refused.status(), 422, bad);
  }
  await p.context().close();
});
