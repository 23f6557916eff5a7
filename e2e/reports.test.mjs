// Browser tests of the Reports page: an analyst chooses a report, previews it and downloads it
// in every format; a partner gets partner and public reports only and is refused a statutory
// one; the page passes axe-core and works with the keyboard alone. Screenshots go to
// target/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { axe, shots, startDemo } from './lantern.mjs';

let demo, base, page;

// Schedules run on a date fixed for the test: Monday 5 October 2026, the first Monday of the
// quarter, so the quarterly report for July to September 2026 is due.
const scheduleDay = '2026-10-05';

before(async () => {
  demo = await startDemo(new Date().toISOString().slice(0, 10), ['--today', scheduleDay, '--reports-every', '0']);
  ({ base, page } = demo);
});

after(async () => {
  await demo?.close();
});

const lastYear = String(new Date().getFullYear() - 1);

test('an analyst chooses the audit, previews it and downloads every format', async () => {
  const p = await page('analyst');
  await p.click('nav a:has-text("Reports")');
  await p.waitForURL(`${base}/reports`);
  await p.selectOption('#kind', 'audit');
  await p.fill('#period', lastYear);
  await p.selectOption('#audience', 'statutory');
  await p.click('button:has-text("Preview")');
  await p.waitForSelector('.report-preview');
  const preview = await p.locator('.report-preview').innerText();
  assert.match(preview, new RegExp(`In ${lastYear}, \\d+ (people|person) died by suspected or confirmed suicide`));
  assert.match(preview, /data snapshot/);
  assert.match(await p.locator('.help-now').innerText(), /Samaritans/);
  await p.screenshot({ path: join(shots, 'reports-audit-preview.png'), fullPage: false });
  const headline = /In \d+, (\d+) (people|person) died/.exec(preview)[1];
  for (const format of ['html', 'pdf', 'csv', 'xlsx']) {
    const link = p.locator(`a.download[data-format="${format}"]`);
    const href = await link.getAttribute('href');
    const res = await p.request.get(`${base}${href}`);
    assert.equal(res.status(), 200, format);
    const body = await res.body();
    assert.ok(body.length > 1000, `${format}: ${body.length} bytes`);
    if (format === 'pdf') assert.equal(body.subarray(0, 5).toString(), '%PDF-');
    if (format === 'xlsx') assert.equal(body.subarray(0, 2).toString(), 'PK');
    if (format === 'csv') {
      const text = body.toString();
      assert.match(text, /^# report,Suicide audit/);
      assert.ok(text.split('\n').some((l) => l === `${lastYear},${headline}`), `the CSV holds ${headline} for ${lastYear}`);
    }
    if (format === 'html') assert.match(body.toString(), new RegExp(`In ${lastYear}, ${headline} `));
  }
  // The same link twice gives the same bytes.
  const pdf = await p.locator('a.download[data-format="pdf"]').getAttribute('href');
  const [a, b] = await Promise.all([p.request.get(`${base}${pdf}`), p.request.get(`${base}${pdf}`)]);
  assert.ok(Buffer.compare(await a.body(), await b.body()) === 0, 'two downloads differ');
  await p.context().close();
});

test('a partner gets partner and public reports only', async () => {
  const p = await page('partner');
  await p.goto(`${base}/reports`);
  const audiences = await p.locator('#audience option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(audiences, ['partner', 'public']);
  // No small area to choose from.
  const areas = await p.locator('#area option').allInnerTexts();
  assert.ok(!areas.some((a) => /\((lsoa|msoa)\)/.test(a)), areas.join('\n'));
  await p.selectOption('#kind', 'self-harm');
  await p.fill('#period', lastYear);
  await p.click('button:has-text("Preview")');
  await p.waitForSelector('.report-preview');
  assert.match(await p.locator('.report-preview').innerText(), /partner: counts from 1 to 4 withheld/);
  await p.screenshot({ path: join(shots, 'reports-partner-preview.png'), fullPage: false });
  // Asking for a statutory report by hand is refused, for the page and for the file.
  const page403 = await p.goto(`${base}/reports?kind=audit&period=${lastYear}&audience=statutory`);
  assert.equal(page403.status(), 403);
  const file403 = await p.request.get(`${base}/reports/file?kind=audit&period=${lastYear}&audience=statutory&format=pdf`);
  assert.equal(file403.status(), 403);
  await p.context().close();
});

test('the Reports page passes axe-core and works with the keyboard alone', async () => {
  const p = await page('analyst', { bypassCSP: true });
  await p.goto(`${base}/reports?kind=quarterly&period=${lastYear}Q4&audience=partner`);
  assert.deepEqual(await axe(p), []);
  await p.goto(`${base}/reports`);
  assert.deepEqual(await axe(p), []);
  // Tab to the report kind, choose the self-harm report with the arrow keys, and preview it
  // with Enter.
  for (let i = 0; i < 60; i += 1) {
    await p.keyboard.press('Tab');
    if (await p.evaluate(() => document.activeElement?.id === 'kind')) break;
  }
  assert.equal(await p.evaluate(() => document.activeElement?.id), 'kind');
  await p.keyboard.press('ArrowDown');
  await p.keyboard.press('ArrowDown');
  await p.keyboard.press('ArrowDown');
  for (let i = 0; i < 20; i += 1) {
    await p.keyboard.press('Tab');
    if (await p.evaluate(() => document.activeElement?.textContent?.trim() === 'Preview')) break;
  }
  await p.keyboard.press('Enter');
  await p.waitForSelector('.report-preview');
  assert.match(await p.locator('.report-preview h2').first().innerText(), /Self-harm report/);
  await p.context().close();
});

test('a schedule runs on its day, keeps its files, and partners download them', async () => {
  const p = await page('analyst');
  await p.goto(`${base}/reports`);
  assert.match(await p.locator('#schedules').innerText(), new RegExp(`Schedules run by the date ${scheduleDay}`));
  await p.selectOption('#s-kind', 'quarterly');
  await p.selectOption('#s-cadence', 'quarterly');
  await p.selectOption('#s-audience', 'partner');
  await p.click('button:has-text("Add schedule")');
  await p.waitForURL(`${base}/reports#schedules`);
  const schedule = p.locator('li.schedule').first();
  assert.match(await schedule.innerText(), /Quarterly report to the suicide prevention oversight group, partner audience/);
  assert.match(await schedule.innerText(), /2026Q3 is due \(since 2026-10-05\)/);
  assert.match(await schedule.innerText(), /Not run yet/);
  await p.click('button:has-text("Make due reports now")');
  await p.waitForSelector('li.schedule tr.run');
  const run = p.locator('li.schedule tr.run').first();
  assert.match(await run.innerText(), /2026Q3/);
  // A second press makes nothing new: the period has its run.
  await p.click('button:has-text("Make due reports now")');
  await p.waitForSelector('li.schedule tr.run');
  assert.equal(await p.locator('li.schedule tr.run').count(), 1);
  assert.match(await p.locator('li.schedule').first().innerText(), /the latest period has been made/);
  await p.locator('#schedules').screenshot({ path: join(shots, 'reports-schedules.png') });
  const pdfLink = await run.locator('a[data-format="pdf"]').getAttribute('href');
  const pdf = await p.request.get(`${base}${pdfLink}`);
  assert.equal(pdf.status(), 200);
  const pdfBytes = await pdf.body();
  assert.equal(pdfBytes.subarray(0, 5).toString(), '%PDF-');
  await p.context().close();
  // A partner sees the partner schedule's runs and downloads the same bytes.
  const q = await page('partner');
  await q.goto(`${base}/reports`);
  assert.match(await q.locator('li.schedule').first().innerText(), /2026Q3/);
  assert.equal(await q.locator('button:has-text("Add schedule")').count(), 0);
  const again = await q.request.get(`${base}${pdfLink}`);
  assert.equal(again.status(), 200);
  assert.ok(Buffer.compare(await again.body(), pdfBytes) === 0);
  await q.context().close();
  // The page with a schedule and its runs listed passes axe-core too.
  const a = await page('analyst', { bypassCSP: true });
  await a.goto(`${base}/reports`);
  assert.equal(await a.locator('li.schedule tr.run').count(), 1);
  assert.deepEqual(await axe(a), []);
  await a.context().close();
});
