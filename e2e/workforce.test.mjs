// Browser tests of organisations and training: an analyst uploads an organisations file with
// mistakes and sees each by line and column with nothing written, checks a good one without
// writing, then imports it and sees the coverage change; a partner sees the figures but no
// upload; axe-core on the page and its outcomes; the keyboard alone reaches the upload.
// Screenshots go to target/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { axe, shots, startDemo } from './lantern.mjs';

let demo, base, page;

before(async () => {
  demo = await startDemo('2025-06-30', ['--today', '2025-06-30']);
  ({ base, page } = demo);
});

after(async () => {
  await demo?.close();
});

/// The row of a type of organisation in the coverage table, as its cells' text.
const coverage = async (p, type) =>
  p.locator('table').first().locator('tr', { has: p.locator(`th:text-is("${type}")`) }).locator('td').allInnerTexts();

const bad = Buffer.from(
  'reference,name,sector,type,area,role,role_from\r\n' +
  'NEW-1,New Academy,education,school,X07000005,smhl,2025-01-06\r\n' +
  'NEW-2,,education,spaceship,X07000005,,\r\n',
);
const good = Buffer.from(
  'Org ID,Organisation name,Sector,Organisation type,Local authority,Role held,Since\r\n' +
  'NEW-1,New Academy,Education,Academy,X07000005,SMHL,06/01/2025\r\n' +
  'NEW-2,Coast High,education,school,X07000005,,\r\n',
);

test('an analyst uploads organisations: mistakes by line and column, a check, then the import', async () => {
  const p = await page('analyst', { bypassCSP: true });
  await p.goto(`${base}/workforce`);
  assert.equal(await p.locator('h1').innerText(), 'Organisations and training');
  // The demo's design: 16 of 20 schools with a lead on its last day, 3 of 6 veterans'
  // organisations with someone trained (Orange Button; one more in ASIST: 4 in any course).
  const first = await coverage(p, 'School');
  assert.deepEqual(first.slice(0, 3), ['20', '16 (80%)', '0 (0%)']);
  const vets = await coverage(p, "Veterans' organisation");
  assert.equal(vets[0], '6');
  assert.equal(vets[3], '4 (67%)');
  assert.deepEqual(await axe(p), [], '/workforce');

  await p.selectOption('#kind', 'organisations');
  await p.setInputFiles('#file', { name: 'orgs.csv', mimeType: 'text/csv', buffer: bad });
  await p.click('button:has-text("Upload")');
  await p.waitForSelector('.problems');
  const problems = await p.locator('.problems li').allInnerTexts();
  assert.ok(problems.includes('orgs.csv:3: name: the organisation\'s name is empty'), problems.join('\n'));
  assert.ok(problems.some((x) => x.startsWith("orgs.csv:3: type: 'spaceship' is not one of school|")), problems.join('\n'));
  assert.match(await p.locator('[role=alert]').innerText(), /2 problems: nothing was written/);
  assert.deepEqual(await axe(p), [], 'the problems');
  await p.screenshot({ path: join(shots, 'workforce-problems.png'), fullPage: true });
  assert.equal((await coverage(p, 'School'))[0], '20', 'nothing written');

  // Another list's own column names and words, checked only.
  await p.setInputFiles('#file', { name: 'their-list.csv', mimeType: 'text/csv', buffer: good });
  await p.check('#check_only');
  await p.click('button:has-text("Upload")');
  await p.waitForSelector('.counts');
  assert.match(await p.locator('.counts').innerText(), /Checked only, nothing written\. Imported, it would make 2 new, 0 changed, 0 unchanged/);
  assert.equal((await coverage(p, 'School'))[0], '20', 'a check writes nothing');

  // Imported: two more schools in Larkspur Coast, one with a lead.
  await p.setInputFiles('#file', { name: 'their-list.csv', mimeType: 'text/csv', buffer: good });
  await p.uncheck('#check_only');
  await p.click('button:has-text("Upload")');
  await p.waitForSelector('.counts');
  assert.match(await p.locator('.counts').innerText(), /Imported organisations: 2 new/);
  const schools = await coverage(p, 'School');
  assert.equal(schools[0], '22');
  assert.equal(schools[1], '17 (77%)');
  assert.deepEqual(await axe(p), [], 'the outcome');
  await p.screenshot({ path: join(shots, 'workforce.png'), fullPage: true });
  // The API agrees.
  const api = await (await p.request.get(`${base}/api/v1/indicators?dataset=coverage&by=lad,organisation_type&measure=role:senior_mental_health_lead`)).json();
  const coast = api.rows.find((r) => r.lad === 'X07000005' && r.organisation_type === 'school');
  assert.equal(coast.count, 1);
  assert.equal(coast.denominator, 6);
  await p.context().close();
});

test('a partner sees the figures and no upload; the keyboard reaches the upload', async () => {
  const partner = await page('partner');
  await partner.goto(`${base}/workforce`);
  assert.ok((await partner.locator('table').count()) >= 2);
  assert.equal(await partner.locator('#file').count(), 0, 'no upload for a partner');
  await partner.context().close();

  const p = await page('analyst');
  await p.goto(`${base}/workforce`);
  let reached = false;
  for (let i = 0; i < 80 && !reached; i++) {
    await p.keyboard.press('Tab');
    reached = await p.evaluate(() => document.activeElement?.id === 'kind');
  }
  assert.ok(reached, 'Tab reaches the upload form');
  await p.context().close();
});

test('the explorer shows coverage to the public, as the API gives it', async () => {
  const p = await page(null, { bypassCSP: true });
  await p.goto(`${base}/explore?dataset=coverage&counting=course:orange_button&measure=rate&period=&first=organisation_type`);
  assert.deepEqual(await axe(p), [], 'the explorer');
  const row = await p.locator('table tr', { has: p.locator('td:text-is("veterans_organisation")') }).locator('td').allInnerTexts();
  assert.equal(row[1], '3', row.join('|'));
  assert.equal(row[2], '50.0', row.join('|'));
  assert.match(await p.locator('main').innerText(), /Percentage of the organisations/);
  assert.match(await p.locator('main').innerText(), /every figure is exact/);
  // A training breakdown by framework, from the menus.
  await p.selectOption('#dataset', 'training');
  await p.selectOption('#counting', 'delegates');
  await p.selectOption('#first', 'framework');
  await p.selectOption('#measure', 'count');
  await p.click('button[type=submit]');
  await p.waitForURL(/dataset=training/);
  const frameworks = await p.locator('table tbody tr').count();
  assert.equal(frameworks >= 4 * 1, true, `a row per framework and year: ${frameworks}`);
  await p.screenshot({ path: join(shots, 'workforce-explore.png'), fullPage: true });
  await p.context().close();
});

test('media reports: the core adds one from the form; a partner sees only the yearly figures', async () => {
  const p = await page('analyst', { bypassCSP: true });
  await p.goto(`${base}/media`);
  assert.deepEqual(await axe(p), [], '/media');
  const before = await p.locator('table').nth(1).locator('tbody tr').count();
  // A report with a mistake: no answer on help information.
  await p.fill('#outlet', 'Wynmoor Weekly');
  await p.fill('#published', '01/05/2025');
  await p.fill('#headline', 'Town mourns teenager');
  for (const [item, answer] of [['method_detail', 'no'], ['location_detail', 'yes'], ['sensational_language', 'no'], ['photo', 'no']]) {
    await p.check(`input[name=${item}][value=${answer}]`);
  }
  await p.click('button:has-text("Add the report")');
  assert.match(await p.locator('.error-summary').innerText(), /helpline: say yes or no/);
  assert.equal(await p.inputValue('#outlet'), 'Wynmoor Weekly', 'what was typed is kept');
  assert.deepEqual(await axe(p), [], 'the form with its problem');
  await p.check('input[name=helpline][value=yes]');
  await p.fill('#follow_up', 'Asked the newsdesk not to name the place');
  await p.click('button:has-text("Add the report")');
  await p.waitForURL(/added=/);
  assert.match(await p.locator('.notice').innerText(), /added/);
  assert.equal(await p.locator('table').nth(1).locator('tbody tr').count(), before + 1);
  assert.match(await p.locator('table').nth(1).locator('tbody tr', { hasText: 'Wynmoor Weekly' }).innerText(), /Named or pictured the place in detail[\s\S]*Asked the newsdesk/);
  await p.screenshot({ path: join(shots, 'media.png'), fullPage: true });
  await p.context().close();

  const partner = await page('partner', { bypassCSP: true });
  await partner.goto(`${base}/media`);
  assert.deepEqual(await axe(partner), [], '/media for a partner');
  assert.equal(await partner.locator('table').count(), 1, 'the yearly figures only');
  assert.equal(await partner.locator('#outlet').count(), 0);
  await partner.context().close();
});
