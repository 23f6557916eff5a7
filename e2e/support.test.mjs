// Browser tests of the public support directory: a search with JavaScript switched off, by
// postcode district, need and age; the printable leaflet; axe-core and the keyboard; and an
// owner told on their home page of an entry not checked for six months, who says it was.
// Screenshots go to target/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { axe, shots, startDemo } from './lantern.mjs';

let demo, base, page;

before(async () => {
  // The server's today is the demo's last day, so some entries are overdue and some are not.
  demo = await startDemo('2025-06-30', ['--today', '2025-06-30']);
  ({ base, page } = demo);
});

after(async () => {
  await demo?.close();
});

const names = async (p) => p.locator('li.service h2').allInnerTexts();

test('the public search works with JavaScript switched off', async () => {
  const p = await page(null, { javaScriptEnabled: false });
  await p.goto(`${base}/support`);
  assert.match(await p.locator('.help-box').innerText(), /116\s123/);
  const all = await names(p);
  assert.ok(all.length >= 15, `the whole directory is listed first: ${all}`);
  // A postcode district in lower case, a need in the list, an age.
  await p.fill('#place', 'av1');
  await p.selectOption('#need', 'bereavement_by_suicide');
  await p.fill('#age', '12');
  await p.click('button:has-text("Search")');
  await p.waitForURL(/place=av1/);
  assert.match(await p.locator('#result-count').innerText(), /for postcode district AV1, for bereaved by suicide, taking people aged 12/);
  const found = await names(p);
  assert.ok(found.includes('Little Lanterns: children bereaved by suicide'), found.join('|'));
  assert.ok(!found.includes('Ashvale Suicide Bereavement Service'), 'that service is for 16 and over');
  assert.ok(!found.some((n) => /Talking Therapies/.test(n)), 'another need');
  await p.screenshot({ path: join(shots, 'support-search.png'), fullPage: true });

  // An area chosen from the list; the district's own services and the county's, not another's.
  await p.goto(`${base}/support`);
  await p.selectOption('#area', { label: 'Larkspur Coast' });
  await p.click('button:has-text("Search")');
  const coast = await names(p);
  assert.ok(coast.includes("Coastal Men's Walk and Talk"), coast.join('|'));
  assert.ok(coast.includes('Ashvale Crisis Line'));
  assert.ok(!coast.includes('Shed Talk'), 'a Harrowdale group');
  const leaflet = p.locator('a:has-text("A printable list for this area")');
  await leaflet.click();
  await p.waitForURL(/\/support\/leaflet\?area=X07000005/);
  assert.match(await p.locator('h1').innerText(), /Support in Larkspur Coast/);
  assert.match(await p.locator('.help-box').innerText(), /116\s123/);
  await p.screenshot({ path: join(shots, 'support-leaflet.png'), fullPage: true });
  await p.emulateMedia({ media: 'print' });
  assert.equal(await p.locator('nav').isVisible(), false, 'no navigation on paper');
  await p.emulateMedia({ media: 'screen' });

  // What cannot be read says so, with the help numbers still on the page.
  const res = await p.goto(`${base}/support?place=ZZ99`);
  assert.equal(res.status(), 422);
  assert.match(await p.locator('.error-summary').innerText(), /ZZ99 is not a postcode district in the partnership's areas/);
  assert.match(await p.locator('.help-box').innerText(), /116\s123/);
  await p.context().close();
});

test('the directory passes axe-core and works from the keyboard', async () => {
  const p = await page(null, { bypassCSP: true });
  for (const path of ['/support', '/support?place=AV1+0AA&need=crisis', '/support/leaflet?area=X07000002', '/support?place=ZZ99']) {
    await p.goto(`${base}${path}`);
    assert.deepEqual(await axe(p), [], path);
  }
  // An entry not checked for six months says so.
  await p.goto(`${base}/support`);
  assert.match(await p.locator('#service-AV-MEN-01 .stale').innerText(), /Not checked since 30 July 2024/);
  assert.equal(await p.locator('#service-AV-CRISIS-01 .stale').count(), 0);
  // Keyboard only: tab from the top to the place box, type, and submit with Enter.
  await p.goto(`${base}/support`);
  let focused = '';
  for (let i = 0; i < 40 && focused !== 'place'; i += 1) {
    await p.keyboard.press('Tab');
    focused = await p.evaluate(() => document.activeElement?.id ?? '');
  }
  assert.equal(focused, 'place', 'the place box is reached with Tab');
  await p.keyboard.type('Eastmere');
  await p.keyboard.press('Enter');
  await p.waitForURL(/place=Eastmere/);
  assert.ok((await names(p)).includes('Eastmere University Wellbeing'));
  await p.context().close();
});

test('an owner is reminded of an entry not checked for six months, and says it was', async () => {
  // The demo's lead belongs to Ashvale Public Health, which keeps the carers' entry.
  const p = await page('lead', { bypassCSP: true });
  const panel = p.locator('section:has(h2:has-text("Support directory entries to check"))');
  assert.match(await panel.innerText(), /Ashvale Carers \(Ashvale Public Health\), last checked 30 August 2024/);
  assert.ok(!/Shed Talk/.test(await panel.innerText()), 'only their organisation\'s entries');
  assert.deepEqual(await axe(p), [], 'the dashboard with the reminder');
  await p.screenshot({ path: join(shots, 'support-reminder.png'), fullPage: true });
  // The entry's form: axe-clean, and a wrong phone is named beside its field.
  await panel.locator('a:has-text("Change")').click();
  await p.waitForURL(/\/support\/services\/AV-CARERS-01\/edit$/);
  assert.deepEqual(await axe(p), [], 'the entry form');
  await p.fill('#phone', 'ring us');
  await p.click('button:has-text("Save and mark as checked today")');
  assert.match(await p.locator('#phone-error').innerText(), /'ring us' is not a telephone number/);
  assert.deepEqual(await axe(p), [], 'the entry form with a problem');
  await p.screenshot({ path: join(shots, 'support-entry-form.png'), fullPage: true });
  await p.goto(`${base}/`);
  await panel.locator('button:has-text("Checked today")').click();
  await p.waitForURL(`${base}/`);
  assert.equal(await p.locator('h2:has-text("Support directory entries to check")').count(), 0);
  await p.goto(`${base}/support`);
  assert.match(await p.locator('#service-AV-CARERS-01').innerText(), /Last checked\s+30 June 2025/);
  assert.equal(await p.locator('#service-AV-CARERS-01 .stale').count(), 0);
  // Another organisation's entry is not theirs to check.
  const refused = await p.request.post(`${base}/support/services/AV-MEN-01/verify`, {
    form: { csrf: await p.locator('input[name=csrf]').first().inputValue() },
  });
  assert.equal(refused.status(), 403);
  await p.context().close();
});

test('the leaflet downloads as a PDF through the report engine', async () => {
  const p = await page(null);
  await p.goto(`${base}/support/leaflet?area=X07000005`);
  const href = await p.locator('a:has-text("download it as a PDF")').getAttribute('href');
  const res = await p.request.get(`${base}${href}`);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['content-type'], 'application/pdf');
  const bytes = await res.body();
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { execFileSync } = await import('node:child_process');
  const file = join(mkdtempSync(join(tmpdir(), 'leaflet-')), 'leaflet.pdf');
  writeFileSync(file, bytes);
  const text = execFileSync('pdftotext', ['-layout', file, '-']).toString();
  assert.match(text, /Support in Larkspur Coast/);
  assert.match(text, /116 123/);
  assert.match(text, /Coastal Men's Walk and Talk/);
  assert.ok(!/Shed Talk/.test(text), 'a Harrowdale group is not in the coast leaflet');
  const bad = await p.request.get(`${base}/support/leaflet?area=X07000005&format=doc`);
  assert.equal(bad.status(), 422);
  await p.context().close();
});
