// Browser tests of the map and the area profiles (issue 15): an analyst's choropleth, with
// hover, keyboard focus and a click through to the area's profile; a partner's and the
// public's pages, with withheld figures visible as such and no person-level data; and axe-core
// (WCAG 2.2 AA) on each of them. Screenshots go to target/browser/.
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

test('an analyst\'s map: areas coloured, named on hover and focus, and a click opens the profile', async () => {
  const p = await page('analyst', { bypassCSP: true });
  await p.click('nav a:has-text("Map")');
  await p.waitForURL(`${base}/map`);
  const areas = p.locator('svg.choropleth a');
  const n = await areas.count();
  assert.ok(n >= 5, `${n} districts drawn`);
  // Every area names its figure, for the tooltip and for assistive technology.
  const label = await areas.first().getAttribute('aria-label');
  assert.match(label, /: \d+\.\d \(\d+\.\d to \d+\.\d\), \d+ counted, (better|similar|worse|not compared)/);
  assert.equal(await areas.first().locator('title').textContent(), label);
  // Small areas, statutory figures: one link per neighbourhood, and a legend of fifths.
  await p.selectOption('#dataset', 'self-harm');
  await p.selectOption('#level', 'msoa');
  await p.click('button:has-text("Show")');
  await p.waitForURL(/level=msoa/);
  assert.ok(await areas.count() > 20);
  assert.ok(await p.locator('ul.legend li').count() >= 3);
  const hovered = areas.nth(3);
  await hovered.hover();
  const stroke = await hovered.locator('path').evaluate((e) => getComputedStyle(e).strokeWidth);
  assert.equal(stroke, '3px', 'the area under the pointer is outlined');
  assert.deepEqual(await axe(p), [], 'the analyst\'s map');
  await p.screenshot({ path: join(shots, 'map-analyst.png'), fullPage: false });
  // Layers: open signals and the locations of concern over the areas.
  await p.check('input[name="layer_signals"]');
  await p.check('input[name="layer_locations"]');
  await p.click('button:has-text("Show")');
  await p.waitForURL(/layer_signals=1/);
  assert.ok(await p.locator('svg.choropleth circle.mark-signal').count() >= 1, 'signals are drawn');
  assert.ok(await p.locator('svg.choropleth circle.mark-location').count() >= 1, 'locations are drawn');
  assert.match(await p.locator('svg.choropleth circle.mark-signal').first().locator('title').textContent(), /^Signal: /);
  await p.screenshot({ path: join(shots, 'map-layers.png'), fullPage: false });
  // Keyboard: Tab reaches the map's areas, and Enter opens the focused area's profile.
  await p.locator('#area').focus();
  let focused = '';
  for (let i = 0; i < 20 && !focused; i += 1) {
    await p.keyboard.press('Tab');
    focused = await p.evaluate(() => (document.activeElement?.closest('svg.choropleth') ? document.activeElement.getAttribute('href') : ''));
  }
  assert.match(focused, /^\/areas\/X\d+$/, 'Tab reaches an area of the map');
  await p.screenshot({ path: join(shots, 'map-keyboard-focus.png'), fullPage: false });
  await p.keyboard.press('Enter');
  await p.waitForURL(`${base}${focused}`);
  // A click on another area opens its profile too.
  await p.goBack();
  const href = await areas.nth(7).getAttribute('href');
  await areas.nth(7).click();
  await p.waitForURL(`${base}${href}`);
  assert.match(await p.locator('h1').innerText(), /Neighbourhood/);
  await p.context().close();
});

test('the map pans and zooms with buttons, keys, the wheel and dragging, and shows Gi* hot spots', async () => {
  const p = await page('analyst', { bypassCSP: true });
  await p.goto(`${base}/map?dataset=self-harm&level=lsoa&audience=statutory`);
  const svg = p.locator('svg.choropleth').first();
  const zoom = async () => Number(await svg.getAttribute('data-zoom') ?? '1');
  const box = async () => (await svg.getAttribute('viewBox')).split(' ').map(Number);
  const home = await box();
  await p.click('button[aria-label="Zoom in"]');
  assert.ok(await zoom() > 1.4, 'the button zooms in');
  await p.click('button[aria-label="Pan east"]');
  assert.ok((await box())[0] > home[0], 'the view moves east');
  // Keys work from the buttons and from an area of the map.
  await p.locator('button[aria-label="Zoom in"]').focus();
  await p.keyboard.press('+');
  assert.ok(await zoom() > 2.2, 'the + key zooms in');
  await p.keyboard.press('0');
  assert.deepEqual(await box(), home, '0 shows the whole map again');
  // The wheel zooms about the pointer; a drag pans and does not open the area under it.
  await svg.scrollIntoViewIfNeeded();
  const r = await svg.boundingBox();
  const at = [r.x + r.width / 2, r.y + Math.min(r.height / 2, 150)];
  await p.mouse.move(at[0], at[1]);
  await p.mouse.wheel(0, -300);
  assert.ok(await zoom() > 1.1, 'the wheel zooms in');
  const before = await box();
  await p.mouse.down();
  await p.mouse.move(at[0] - 120, at[1] - 40, { steps: 5 });
  await p.mouse.up();
  assert.ok((await box())[0] > before[0], 'dragging west shows more of the east');
  assert.match(p.url(), /\/map\?/, 'a drag is not a click');
  // An area reached with Tab is brought into view.
  await p.click('button[aria-label="Zoom in"]');
  await p.click('button[aria-label="Zoom in"]');
  const areas = svg.locator('a');
  const last = areas.last();
  await last.focus();
  const [x, y, w, h] = await box();
  const b = await last.locator('path').evaluate((e) => { const q = e.getBBox(); return [q.x + q.width / 2, q.y + q.height / 2]; });
  assert.ok(b[0] >= x && b[0] <= x + w && b[1] >= y && b[1] <= y + h, 'the focused area is in view');
  await p.screenshot({ path: join(shots, 'map-zoomed.png'), fullPage: false });
  // Hot spots (Gi*): outlines, a legend entry, a column, and the method named.
  await p.check('input[name="layer_hotspots"]');
  await p.click('button:has-text("Show")');
  await p.waitForURL(/layer_hotspots=1/);
  assert.match(await p.locator('p.definition').last().innerText(), /Getis-Ord Gi\*/);
  assert.ok(await p.locator('th:has-text("Hot spot (Gi*)")').count() === 1);
  const outlined = await p.locator('svg.choropleth path.hs').count();
  const legend = await p.locator('ul.legend li:has-text("(Gi*)")').count();
  assert.ok(outlined === 0 || legend > 0, 'every outline has its legend entry');
  assert.deepEqual(await axe(p), [], 'the map with hot spots and zoom buttons');
  await p.screenshot({ path: join(shots, 'map-hot-spots.png'), fullPage: false });
  await p.context().close();
});

test('an analyst\'s area profile: spine chart against England, trends with intervals, and no axe violation', async () => {
  const p = await page('analyst', { bypassCSP: true });
  await p.goto(`${base}/areas`);
  await p.click('td a:has-text("Harrowdale")');
  await p.waitForURL(/\/areas\/X07/);
  const spine = p.locator('table.spine-table tbody tr');
  assert.equal(await spine.count(), 3);
  const suicide = await spine.first().innerText();
  assert.match(suicide, /England \d+\.\d/);
  assert.match(suicide, /\b(better|similar|worse)\b/);
  assert.ok(await p.locator('svg.trend').count() >= 3);
  assert.ok(await p.locator('svg.trend line.interval').count() > 0, 'intervals are drawn');
  // Each trend downloads as an image and as data.
  const images = p.locator('a[download$=".svg"]');
  assert.ok(await images.count() >= 3);
  assert.match(await images.first().getAttribute('href'), /^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
  assert.match(await p.locator('a[download$=".csv"]').first().getAttribute('href'), /^data:text\/csv;charset=utf-8,%23%20title/);
  // Breakdowns by sex, age (children and young people beside all ages), method, place,
  // priority group and setting.
  assert.equal(await p.locator('details.breakdown').count(), 7);
  assert.match(await p.locator('details.breakdown summary').first().innerText(), /by sex, \d{4}-\d{4}/);
  // The neighbourhoods inside, in a funnel plot around the district's own rate.
  assert.ok(await p.locator('svg.funnel circle').count() >= 5, 'a point per neighbourhood');
  assert.equal(await p.locator('svg.funnel path.limit95').count(), 2);
  // The figures behind each chart open from the keyboard.
  await p.locator('details summary').first().focus();
  await p.keyboard.press('Enter');
  assert.ok(await p.locator('details[open] table tbody tr').count() >= 3);
  assert.deepEqual(await axe(p), [], 'the analyst\'s profile');
  await p.screenshot({ path: join(shots, 'profile-analyst.png'), fullPage: true });
  await p.context().close();
});

test('a partner\'s and the public\'s map and profile: withheld figures shown as withheld, no person-level data', async () => {
  for (const who of ['partner', null]) {
    const p = await page(who, { bypassCSP: true });
    // A year of suicides by district: small counts are withheld.
    await p.goto(`${base}/map`);
    const years = await p.locator('#period option').allTextContents();
    assert.ok(years.length >= 2);
    await p.goto(`${base}/map?dataset=suicides&period=${new Date().getFullYear() - 2}`);
    const main = await p.locator('main').innerText();
    assert.match(main, new RegExp(`Figures for the ${who ? 'partner' : 'public'} audience`));
    const withheld = p.locator('svg.choropleth path.withheld');
    if (await withheld.count() > 0) {
      assert.match(main, /Withheld \(small numbers\)/);
      assert.match(main, /withheld/);
    }
    // Nothing below the local authority, no point for a person or place, and no record anywhere.
    assert.equal(await p.locator('input[name="layer_signals"]').count(), 0);
    await p.goto(`${base}/map?dataset=suicides&layers=signals,locations`);
    assert.equal(await p.locator('svg.choropleth circle').count(), 0);
    assert.equal(await p.locator('#level').inputValue(), 'lad');
    assert.equal(await p.locator('main a[href^="/register/"]').count(), 0);
    assert.deepEqual(await axe(p), [], `${who ?? 'public'} map`);
    await p.screenshot({ path: join(shots, `map-${who ?? 'public'}.png`), fullPage: false });
    await p.goto(`${base}/map?level=lsoa`);
    assert.match(await p.locator('main').innerText(), /cannot break counts down by lsoa/);
    // The profile of a district.
    await p.goto(`${base}/map`);
    const first = await p.locator('svg.choropleth a').first().getAttribute('href');
    await p.goto(`${base}${first}`);
    const profile = await p.locator('main').innerText();
    assert.match(profile, new RegExp(`Figures for the ${who ? 'partner' : 'public'} audience`));
    assert.equal(await p.locator('main a[href^="/register/"]').count(), 0);
    assert.deepEqual(await axe(p), [], `${who ?? 'public'} profile`);
    // A small area's profile says why there are no figures.
    const small = p.locator('main ul.columns a').first();
    if (await small.count() > 0) {
      await small.click();
      assert.match(await p.locator('main').innerText(), /cannot break counts down by msoa \(small areas\)/);
    }
    await p.screenshot({ path: join(shots, `profile-${who ?? 'public'}.png`), fullPage: true });
    await p.context().close();
  }
});

test('the plan page and the data quality page pass axe-core', async () => {
  const p = await page('admin', { bypassCSP: true });
  for (const path of ['/plans/1', '/plans/1/summary', '/quality', '/areas', '/']) {
    await p.goto(`${base}${path}`);
    assert.deepEqual(await axe(p), [], path);
  }
  await p.context().close();
});

test('the dashboard: an analyst\'s exact figures and signals, a partner\'s protected figures', async () => {
  const p = await page('analyst', { bypassCSP: true });
  const main = await p.locator('main').innerText();
  assert.match(main, /Figures for Ashvale, for the statutory audience/);
  const districts = p.locator('section[aria-labelledby="districts-h"] tbody tr');
  assert.equal(await districts.count(), 5);
  assert.match(main, /the 12 months to \w{3} \d{4}, against the same months of the three years before/);
  assert.ok(await p.locator('section[aria-labelledby="trend-h"] svg.trend').count() === 1);
  assert.match(main, /Suspected suicides in the 12 months to each quarter/);
  assert.match(main, /Open signals: [1-9]/);
  assert.match(main, /Overdue actions/);
  assert.ok(await p.locator('section[aria-labelledby="fresh-h"] tbody tr').count() >= 2);
  assert.deepEqual(await axe(p), [], 'the analyst\'s dashboard');
  await p.screenshot({ path: join(shots, 'dashboard-analyst.png'), fullPage: true });
  // The monthly view comes with a caution.
  await p.click('a:has-text("Monthly view")');
  await p.waitForURL(/cadence=month/);
  assert.match(await p.locator('main').innerText(), /Monthly numbers are small/);
  await p.context().close();

  const q = await page('partner', { bypassCSP: true });
  const text = await q.locator('main').innerText();
  assert.match(text, /for the partner audience/);
  // Every district is listed, withheld counts as withheld; no signals, sources or records.
  assert.equal(await q.locator('section[aria-labelledby="districts-h"] tbody tr').count(), 5);
  assert.equal(await q.locator('section[aria-labelledby="signals-h"]').count(), 0);
  assert.equal(await q.locator('section[aria-labelledby="fresh-h"]').count(), 0);
  assert.equal(await q.locator('main a[href^="/register/"]').count(), 0);
  assert.deepEqual(await axe(q), [], 'the partner\'s dashboard');
  await q.screenshot({ path: join(shots, 'dashboard-partner.png'), fullPage: true });
  await q.context().close();
});

test('the explorer: a table and a chart of the indicators\' numbers, for an analyst and a partner', async () => {
  const p = await page('analyst', { bypassCSP: true });
  await p.click('nav a:has-text("Explore")');
  await p.waitForURL(`${base}/explore`);
  await p.selectOption('#dataset', 'self-harm');
  await p.selectOption('#measure', 'rate');
  await p.selectOption('#period', 'year');
  await p.selectOption('#first', 'sex');
  await p.click('button:has-text("Show")');
  await p.waitForURL(/first=sex/);
  assert.equal(await p.locator('svg.bars').count(), 1);
  const rows = await p.locator('table tbody tr').count();
  assert.ok(rows >= 6, `${rows} rows`);
  // The same numbers as the API the page links to.
  const api = await p.locator('a:has-text("the indicators API")').getAttribute('href');
  const body = await (await p.request.get(`${base}${api}`)).json();
  assert.equal(body.rows.length, rows);
  const firstCount = await p.locator('table tbody tr').first().locator('td').nth(2).innerText();
  assert.equal(firstCount, String(body.rows[0].count));
  assert.deepEqual(await axe(p), [], 'the analyst\'s explorer');
  await p.screenshot({ path: join(shots, 'explore-analyst.png'), fullPage: true });
  await p.context().close();

  const q = await page('partner', { bypassCSP: true });
  await q.goto(`${base}/explore?dataset=suicides&measure=count&period=year&first=lad`);
  const text = await q.locator('main').innerText();
  assert.match(text, /for the partner audience/);
  for (const cell of await q.locator('table tbody tr td:nth-child(3)').allInnerTexts()) {
    const n = Number(cell);
    assert.ok(n === 0 || n >= 5, `a partner sees ${n}`);
  }
  assert.deepEqual(await axe(q), [], 'the partner\'s explorer');
  await q.screenshot({ path: join(shots, 'explore-partner.png'), fullPage: true });
  await q.context().close();
});
