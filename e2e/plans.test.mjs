// Browser tests of the action plans: a lead signs in, sees only their organisation's actions,
// posts an update that changes an action's status, and the oversight summary reflects it.
// Screenshots go to target/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { axe, shots, startDemo } from './lantern.mjs';

const today = new Date().toISOString().slice(0, 10);
let demo, base, page;

before(async () => {
  demo = await startDemo(today);
  ({ base, page } = demo);
});

after(async () => {
  await demo?.close();
});

const ORG = 'Ashvale Public Health';
const actionsOf = (plan) => plan.sections.flatMap((s) => s.actions);
const ledBy = (a, org) => a.leads.some((l) => l.toLowerCase() === org.toLowerCase());

test('a lead sees only their actions, posts a status change, and the summary reflects it', async () => {
  const p = await page('lead');
  const [summary] = await (await p.request.get(`${base}/api/v1/plans`)).json();
  const plan = await (await p.request.get(`${base}/api/v1/plans/${summary.id}`)).json();
  const all = actionsOf(plan);
  const mine = all.filter((a) => ledBy(a, ORG));
  assert.ok(mine.length >= 3 && mine.length < all.length, `${mine.length} of ${all.length}`);

  // My actions: exactly the organisation's, and nothing else.
  await p.click('nav a:has-text("My actions")');
  await p.waitForURL(`${base}/plans/mine`);
  const rows = p.locator('table.actions-table tbody tr');
  assert.equal(await rows.count(), mine.length);
  const numbers = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.number));
  assert.deepEqual(numbers.sort(), mine.map((a) => a.number).sort());
  for (const leads of await rows.locator('td.leads').allInnerTexts()) {
    assert.match(leads, /Ashvale Public Health/);
  }
  await p.screenshot({ path: join(shots, 'plan-my-actions.png'), fullPage: true });

  // The plan page shows a lead their own actions unless they ask for all.
  await p.goto(`${base}/plans/${plan.id}`);
  assert.match(await p.locator('#shown').innerText(), new RegExp(`Showing ${mine.length} of ${all.length} actions: yours`));
  assert.equal(await p.locator('tr.action-row').count(), mine.length);
  await p.click('a:has-text("All actions")');
  assert.equal(await p.locator('tr.action-row').count(), all.length);

  // The oversight summary before the update.
  const before = await (await p.request.get(`${base}/api/v1/plans/${plan.id}/summary?since=${today}`)).json();
  const target = mine.find((a) => a.status === 'underway');
  assert.ok(target, 'the lead has an action underway');
  const section = target.number.split('.')[0];
  const completeBefore = before.sections.find((s) => s.number === section)
    .by_status.find((s) => s.status === 'complete').actions;

  // Post an update that completes the action.
  await p.goto(`${base}/plans/${plan.id}/actions/${target.id}`);
  await p.fill('#text', 'Campaign delivered with twelve firms; the evaluation is booked.');
  await p.selectOption('#new-status', 'complete');
  await p.selectOption('#rag', 'green');
  await p.screenshot({ path: join(shots, 'plan-action-update.png'), fullPage: true });
  await p.click('button:has-text("Save update")');
  await p.waitForURL(/saved=1$/);
  assert.equal(await p.locator('#current-status').innerText(), 'complete');
  assert.match(await p.locator('.history li').first().innerText(), /lead · status underway → complete · green/);
  assert.match(await p.locator('.history li').first().innerText(), /twelve firms/);

  // The summary counts it and lists the change.
  await p.goto(`${base}/plans/${plan.id}/summary?since=${today}`);
  const heads = await p.locator('table.summary thead th').allInnerTexts();
  const col = heads.findIndex((h) => h.trim() === 'complete');
  assert.ok(col > 0, heads.join('|'));
  const cells = await p.locator(`tr[data-section="${section}"] > *`).allInnerTexts();
  assert.equal(Number(cells[col]), completeBefore + 1);
  assert.match(await p.locator('#changes').innerText(), new RegExp(`${target.number.replaceAll('.', '\\.')}: underway → complete`));
  await p.screenshot({ path: join(shots, 'plan-summary.png'), fullPage: true });

  // Another organisation's action has no update form for this lead, and the server refuses.
  const other = all.find((a) => !ledBy(a, ORG));
  await p.goto(`${base}/plans/${plan.id}/actions/${other.id}`);
  assert.equal(await p.locator('#update').count(), 0);
  const refused = await p.request.post(`${base}/api/v1/plans/${plan.id}/actions/${other.id}/updates`, {
    data: { text: 'not mine', status: 'complete' },
  });
  assert.equal(refused.status(), 403);
  await p.context().close();
});

test('the plan page, the link graph and live measures render for an analyst', async () => {
  const p = await page('analyst');
  const [summary] = await (await p.request.get(`${base}/api/v1/plans`)).json();
  await p.goto(`${base}/plans/${summary.id}`);
  assert.ok(await p.locator('svg.graph a').count() >= 5, 'the link graph has nodes');
  await p.screenshot({ path: join(shots, 'plan.png'), fullPage: true });
  await p.selectOption('#status', 'complete');
  await p.click('button:has-text("Show")');
  const statuses = await p.locator('tr.action-row .status').allInnerTexts();
  assert.ok(statuses.length > 0 && statuses.every((s) => s === 'complete'), statuses.join());
  // An action with a live measure shows the indicators API's figure.
  const plan = await (await p.request.get(`${base}/api/v1/plans/${summary.id}`)).json();
  const live = actionsOf(plan).find((a) => a.measures.some((m) => m.indicator?.query.includes('rolling_3_year')));
  const detail = await (await p.request.get(`${base}/api/v1/plans/${summary.id}/actions/${live.id}`)).json();
  const latest = detail.live_measures.find((m) => m.latest).latest;
  await p.goto(`${base}/plans/${summary.id}/actions/${live.id}`);
  const shown = await p.locator('.live .figure').first().innerText();
  assert.equal(Number(shown), Math.round(latest.value * 10) / 10);
  assert.equal(await p.locator('svg.spark').count() >= 1, true);
  await p.screenshot({ path: join(shots, 'plan-live-measure.png'), fullPage: true });
  await p.goto(`${base}/plans/${summary.id}/attention`);
  assert.match(await p.locator('main').innerText(), /Overdue \(\d+\)/);
  await p.screenshot({ path: join(shots, 'plan-attention.png'), fullPage: true });
  await p.context().close();
});

test('a lead records a measure\'s value and proposes a new due date; both show in the history', async () => {
  const p = await page('lead', { bypassCSP: true });
  const [summary] = await (await p.request.get(`${base}/api/v1/plans`)).json();
  const plan = await (await p.request.get(`${base}/api/v1/plans/${summary.id}`)).json();
  const target = actionsOf(plan).find((a) => ledBy(a, ORG)
    && !['complete', 'cancelled'].includes(a.status)
    && a.measures.some((m) => !m.indicator));
  assert.ok(target, 'the lead has an open action with a measure in words');
  await p.goto(`${base}/plans/${summary.id}/actions/${target.id}`);
  assert.deepEqual(await axe(p), [], 'the update form');

  // The value is typed with the keyboard alone: Tab from the words to the value field.
  await p.focus('#text');
  for (let i = 0; i < 10; i += 1) {
    if (await p.evaluate(() => document.activeElement?.id) === 'value') break;
    await p.keyboard.press('Tab');
  }
  assert.equal(await p.evaluate(() => document.activeElement?.id), 'value');
  await p.keyboard.type('22 of 31');
  if (await p.locator('select#measure').count()) {
    await p.selectOption('#measure', '1');
  }
  const due = new Date(Date.now() + 90 * 86400e3).toISOString().slice(0, 10);
  await p.fill('#due', due);
  await p.fill('#due-reason', 'Schools asked to start after the spring term.');
  await p.screenshot({ path: join(shots, 'plan-action-value-due.png'), fullPage: true });
  await p.focus('button:has-text("Save update")');
  await p.keyboard.press('Enter');
  await p.waitForURL(/saved=1$/);

  const latest = await p.locator('.history li').first().innerText();
  assert.match(latest, /Measure value · .*: 22 of 31 \(71%\)/);
  assert.match(latest, /proposed a new due date, .*Reason: Schools asked to start after the spring term\./);
  assert.match(await p.locator('#proposed-due').innerText(), /waiting for an analyst/);
  assert.match(await p.locator('.measure', { hasText: 'reported by the lead' }).first().innerText(),
    /22 of 31 \(71%\) on .*recorded by lead/);
  assert.deepEqual(await axe(p), [], 'the action with a value and a proposal');
  await p.screenshot({ path: join(shots, 'plan-action-proposed.png'), fullPage: true });
  await p.context().close();

  // An admin sees the proposal with how to agree it, and the form that moves the date.
  const a = await page('admin', { bypassCSP: true });
  await a.goto(`${base}/plans/${summary.id}/actions/${target.id}`);
  assert.match(await a.locator('#proposed-due').innerText(), /to agree it, give the same date below/);
  assert.match(await a.locator('legend', { hasText: 'due date' }).innerText(), /Move the due date/);
  assert.deepEqual(await axe(a), [], 'the action as an admin sees it');
  await a.context().close();
});
