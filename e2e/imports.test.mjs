// Browser tests of uploads (/imports): a police recorder uploads the force's own file through a
// pasted profile, sees the preview with its problem by line and column and nothing written,
// fixes the profile, confirms, and sees the rows; a file of another source is refused; the page
// passes axe-core and is used with the keyboard alone. Screenshots go to target/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { axe, shots, startDemo } from './lantern.mjs';

let demo, base, page;

before(async () => {
  // The server logs everything (trace), so the test can look for identifiers in it.
  demo = await startDemo(new Date().toISOString().slice(0, 10), [], { LANTERN_LOG: 'trace' });
  ({ base, page } = demo);
});

after(async () => {
  await demo?.close();
});

const year = new Date().getFullYear();
// The force's own file: its column names, UK dates, a names column, labels and capitals, and a
// method written its own way. Saved as Excel saves "CSV (Comma delimited)": Windows-1252, CRLF.
const police = (source) => Buffer.from([
  'Force Ref,Forename,Date of Death,Age,Gender,LSOA,Classification,Method,Place',
  `UP/${year}/0001,Zoë,03/02/${year},41,M,X01000001,Suspected,Hanging/Strangulation,HOME`,
  `UP/${year}/0002,Ann,04/02/${year},35,F,X01000002,Suspected,Poisoning,Home`,
].join('\r\n') + '\r\n', 'latin1');

const profile = (source, fixed) => `dataset = "suicides"
source = "${source}"
[columns]
"Force Ref" = "source_ref"
"Forename" = "ignore"
"Date of Death" = "date_of_death"
"Gender" = "sex"
"LSOA" = "residence_area"
"Classification" = "status"
"Method" = "method_group"
"Place" = "location_type"
[values.sex]
"M" = "male"
"F" = "female"
${fixed ? '[values.method_group]\n"Hanging/Strangulation" = "hanging"\n' : ''}`;

async function upload(p, source, fixed) {
  await p.goto(`${base}/imports`);
  await p.setInputFiles('#file', { name: 'police.csv', mimeType: 'text/csv', buffer: police(source) });
  await p.selectOption('#dataset', 'suicides');
  await p.fill('#profile_text', profile(source, fixed));
  await p.click('button:has-text("Check the file")');
  await p.waitForSelector('.upload-preview');
}

test('a recorder uploads a file, sees its problem, fixes the profile, confirms and sees the rows', async () => {
  const p = await page('police.recorder', { bypassCSP: true });
  await p.click('nav a:has-text("Upload")');
  await p.waitForURL(`${base}/imports`);
  assert.match(await p.locator('main').innerText(), /You upload records for ashvale_police/);

  await upload(p, 'ashvale_police', false);
  const preview = await p.locator('.upload-preview').innerText();
  assert.match(preview, /1 problem: nothing will be written/);
  assert.match(preview, /police\.csv:2: Method: 1 value is not among the codes of method_group/);
  assert.match(preview, /'Hanging\/Strangulation' \(1 row, first on line 2\)/);
  assert.match(preview, /\[values\.method_group\]/);
  assert.equal(await p.locator('button:has-text("Confirm and save")').count(), 0, 'no confirm with problems');
  assert.deepEqual(await axe(p), [], 'the preview with problems');
  await p.screenshot({ path: join(shots, 'imports-problems.png'), fullPage: true });

  await upload(p, 'ashvale_police', true);
  assert.match(await p.locator('.counts').innerText(), /If you confirm: 2 new, 0 changed, 0 unchanged/);
  assert.deepEqual(await axe(p), [], 'the preview to confirm');
  await p.screenshot({ path: join(shots, 'imports-preview.png'), fullPage: true });
  await p.click('button:has-text("Confirm and save")');
  await p.waitForSelector('.notice');
  assert.match(await p.locator('.notice').innerText(), /Imported police\.csv: 2 new, 0 changed, 0 unchanged/);
  const uploads = await p.locator('table.uploads').innerText();
  assert.match(uploads, /imported/);
  assert.match(uploads, /refused/);
  await p.screenshot({ path: join(shots, 'imports-done.png'), fullPage: true });

  // The rows are in the register, with Lantern's codes.
  await p.goto(`${base}/register/suicides?from=${year}-02-03&to=${year}-02-04`);
  const list = await p.locator('main table').innerText();
  assert.match(list, new RegExp(`${year}-02-03\\s+41`));
  assert.match(list, new RegExp(`${year}-02-04\\s+35`));

  // Uploading the same file again: every row unchanged.
  await upload(p, 'ashvale_police', true);
  assert.match(await p.locator('.counts').innerText(), /0 new, 0 changed, 2 unchanged/);
  await p.context().close();
});

test('no date of birth, postcode, name or NHS number from an upload reaches the server\'s logs or its database files', async () => {
  // A police file with dates of birth, postcodes (one "NFA"), and names set aside.
  const policeFile = Buffer.from([
    'Force Ref,Forename,Surname,Date of Death,DOB,Gender,Home Postcode,Classification,Method,Place',
    `ID/${year}/1,Zoë,Hartley,05/02/${year},14/03/1983,F,AV1 0AA,Suspected,Poisoning,Home`,
    `ID/${year}/2,José,Brennan,06/02/${year},20/11/1961,M,NFA,Suspected,Poisoning,Home`,
  ].join('\r\n') + '\r\n', 'latin1');
  const policeProfile = `dataset = "suicides"
source = "ashvale_police"
[columns]
"Force Ref" = "source_ref"
"Forename" = "ignore"
"Surname" = "ignore"
"Date of Death" = "date_of_death"
"DOB" = "date_of_birth"
"Gender" = "sex"
"Home Postcode" = "residence_postcode"
"Classification" = "status"
"Method" = "method_group"
"Place" = "location_type"
[values.sex]
"M" = "male"
"F" = "female"
`;
  // An emergency department's file with NHS numbers, which become person keys.
  const edFile = Buffer.from([
    'Attendance No,Arrived,Patient NHS No,Patient Name,DOB,Postcode,Gender,Department,presentation_type,intent,methods',
    `ED/${year}/1,07/02/${year} 23:10,943 476 5919,Okafor,01/01/1990,AV1 0AB,F,ED,self_injury,self_harm,cutting`,
  ].join('\n') + '\n', 'utf8');
  const edProfile = `dataset = "self-harm"
source = "ashvale_general_ed"
[columns]
"Attendance No" = "source_ref"
"Arrived" = "presented_at"
"Patient NHS No" = "nhs_number"
"Patient Name" = "ignore"
"DOB" = "date_of_birth"
"Postcode" = "residence_postcode"
"Gender" = "sex"
"Department" = "setting"
[values.sex]
"F" = "female"
[values.setting]
"ED" = "ed"
`;
  const send = async (p, dataset, name, buffer, profileText) => {
    await p.goto(`${base}/imports`);
    await p.setInputFiles('#file', { name, mimeType: 'text/csv', buffer });
    await p.selectOption('#dataset', dataset);
    await p.fill('#profile_text', profileText);
    await p.click('button:has-text("Check the file")');
    await p.waitForSelector('.upload-preview');
    assert.match(await p.locator('.counts').innerText(), /If you confirm: [12] new/, await p.locator('.upload-preview').innerText());
    await p.click('button:has-text("Confirm and save")');
    await p.waitForSelector('.notice');
    assert.match(await p.locator('.notice').innerText(), /new/);
  };
  const recorder = await page('police.recorder');
  await send(recorder, 'suicides', 'identifiable.csv', policeFile, policeProfile);
  // "NFA" in the postcode column is no fixed abode, shown by its label.
  await recorder.goto(`${base}/register/suicides?area=no_fixed_abode&from=${year}-02-06&to=${year}-02-06`);
  assert.match(await recorder.locator('main table').innerText(), /No fixed abode/);
  await recorder.context().close();
  const analyst = await page('analyst');
  await send(analyst, 'self-harm', 'ed.csv', edFile, edProfile);
  await analyst.context().close();

  const stored = Buffer.concat(readdirSync(demo.dir)
    .filter((f) => f.startsWith('lantern.db'))
    .map((f) => readFileSync(join(demo.dir, f))));
  const log = demo.log();
  assert.ok(stored.length > 100000, 'the database and its WAL were read');
  assert.ok(log.length > 10000, `the server logged at trace level (${log.length} bytes)`);
  assert.ok(log.includes('import_merged') && log.includes('import_uploads'), 'the log covers the uploads and their writes');
  // A control: what is kept is there to be found.
  assert.ok(stored.includes(Buffer.from(`ID/${year}/1`)), 'the record is in the database');
  const identifiers = ['14/03/1983', '1983-03-14', '20/11/1961', '1961-11-20', '01/01/1990', '1990-01-01',
    'AV1 0AA', 'AV10AA', 'AV1 0AB', 'AV10AB', 'Hartley', 'Brennan', 'Okafor', '943 476 5919', '9434765919'];
  const encodings = (s) => [Buffer.from(s, 'utf8'), Buffer.from(s, 'latin1'), Buffer.from(s, 'utf16le')];
  for (const id of [...identifiers, 'Zoë', 'José']) {
    for (const bytes of encodings(id)) {
      assert.ok(!stored.includes(bytes), `${id} is in the database files`);
      assert.ok(!log.includes(bytes), `${id} is in the server's logs`);
    }
  }
});

test('while a file is sent and checked, the page says so and the form cannot be sent twice', async () => {
  const p = await page('police.recorder', { bypassCSP: false });
  // Hold the server's answer, as a large file over a slow line would.
  let release;
  const held = new Promise((ok) => { release = ok; });
  await p.route(`${base}/imports`, async (r) => {
    if (r.request().method() === 'POST') await held;
    await r.continue();
  });
  await p.goto(`${base}/imports`);
  await p.setInputFiles('#file', { name: 'police.csv', mimeType: 'text/csv', buffer: police('ashvale_police') });
  await p.fill('#profile_text', profile('ashvale_police', true));
  // Sent as the button sends it; read in the page itself, since the next page is held (and
  // Playwright's locators would wait for it).
  const seen = await p.evaluate(async () => {
    const form = document.querySelector('form.upload');
    form.requestSubmit();
    await new Promise((ok) => { setTimeout(ok, 100); });
    const busy = form.querySelector('.busy');
    return {
      hidden: busy.hidden,
      text: busy.innerText,
      role: busy.getAttribute('role'),
      bars: form.querySelectorAll('progress').length,
      disabled: form.querySelector('button[type=submit]').disabled,
      ariaBusy: form.getAttribute('aria-busy'),
    };
  });
  try {
    assert.equal(seen.hidden, false, JSON.stringify(seen));
    assert.match(seen.text, /Uploading and checking the file \(police\.csv, \d+ bytes\)/);
    assert.equal(seen.role, 'status');
    assert.equal(seen.bars, 1);
    assert.equal(seen.disabled, true, 'the button cannot send it twice');
    assert.equal(seen.ariaBusy, 'true');
  } finally {
    release();
  }
  await p.waitForSelector('.upload-preview');
  assert.match(await p.locator('.counts').innerText(), /If you confirm/);
  await p.context().close();
});

test("a recorder cannot upload another source's records", async () => {
  const p = await page('police.recorder');
  await upload(p, 'ashvale_coroner', true);
  const preview = await p.locator('.upload-preview').innerText();
  assert.match(preview, /this file holds records of ashvale_coroner; as a recorder for ashvale_police you may upload ashvale_police's records only/);
  assert.equal(await p.locator('button:has-text("Confirm and save")').count(), 0);
  await p.screenshot({ path: join(shots, 'imports-other-source.png'), fullPage: true });
  await p.context().close();
});

test('the upload page passes axe-core and its form is reached with the keyboard alone', async () => {
  const p = await page('analyst', { bypassCSP: true });
  await p.goto(`${base}/imports`);
  assert.deepEqual(await axe(p), []);
  const reached = [];
  for (let i = 0; i < 60; i += 1) {
    await p.keyboard.press('Tab');
    const id = await p.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim());
    if (['file', 'dataset', 'profile', 'profile_text', 'Check the file'].includes(id) && !reached.includes(id)) reached.push(id);
    if (id === 'Check the file') break;
  }
  assert.deepEqual(reached, ['file', 'dataset', 'profile', 'profile_text', 'Check the file']);
  await p.context().close();
});

test("an analyst finds the coroner's record of the same death in the review queue, confirms it and undoes it", async () => {
  const p = await page('analyst', { bypassCSP: true });
  // The coroner's record of the death the police file reported: a day later, a birthday between.
  const coroner = Buffer.from([
    'source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type',
    `ashvale_coroner,INQ/${year}/77,${year}-02-04,42,male,X01000001,awaiting_inquest,hanging,home`,
  ].join('\n') + '\n');
  await p.goto(`${base}/imports`);
  await p.setInputFiles('#file', { name: 'coroner.csv', mimeType: 'text/csv', buffer: coroner });
  await p.click('button:has-text("Check the file")');
  await p.waitForSelector('.counts');
  await p.click('button:has-text("Confirm and save")');
  await p.waitForSelector('.notice');
  assert.match(await p.locator('.notice').innerText(), /possible duplicates .* wait for an analyst's review/);

  await p.click('nav a:has-text("Duplicates")');
  await p.waitForURL(`${base}/register/duplicates`);
  assert.deepEqual(await axe(p), []);
  const pair = p.locator('article.pair', { hasText: `INQ/${year}/77` }).filter({ hasText: `UP/${year}/0001` });
  assert.equal(await pair.count(), 1, 'the pair is queued');
  await p.screenshot({ path: join(shots, 'duplicates-queue.png'), fullPage: true });
  const title = await pair.locator('h3').innerText();
  const id = /Pair (\d+)/.exec(title)[1];
  await pair.locator('button:has-text("Same person")').click();
  await p.waitForURL(`${base}/register/duplicates`);
  const decided = await p.locator('#decided-h + table').innerText();
  assert.match(decided, new RegExp(`${id}\\s[\\s\\S]*one person`));
  await p.screenshot({ path: join(shots, 'duplicates-decided.png'), fullPage: true });
  await p.click(`button:has-text("Undo pair ${id}")`);
  await p.waitForURL(`${base}/register/duplicates`);
  assert.equal(await p.locator('article.pair', { hasText: `INQ/${year}/77` }).count(), 1, 'back in the queue');
  await p.context().close();
});

test('an analyst imports a plan of an unknown layout in the browser once its columns and sections are named', async () => {
  const p = await page('analyst', { bypassCSP: true });
  await p.goto(`${base}/plans`);
  await p.click('a:has-text("Import a plan")');
  await p.waitForURL(`${base}/plans/import`);
  assert.deepEqual(await axe(p), []);
  const plan = Buffer.from([
    'Pillar I » Community',
    'Intervention\tPartner\tDeadline\tRAG',
    "Open a men's shed\tAge UK\tMay 2027\tGreen",
    'Pillar II » Clinical',
    'Intervention\tPartner\tDeadline\tRAG',
    'Safety plans for every patient\tTrust\tJuly 2027\tAmber',
  ].join('\r\n') + '\r\n');
  const choose = () => p.setInputFiles('#file', { name: 'pillars.txt', mimeType: 'text/plain', buffer: plan });
  await choose();
  await p.fill('#title', 'Pillars plan');
  await p.click('button:has-text("Check the plan")');
  await p.waitForSelector('.upload-preview');
  const refused = await p.locator('.upload-preview').innerText();
  assert.match(refused, /nothing will be imported/);
  assert.match(refused, /--columns/);
  assert.match(refused, /--sections/);
  await p.screenshot({ path: join(shots, 'plan-import-refused.png'), fullPage: true });

  await choose();
  await p.fill('#columns', 'Intervention=action,Partner=lead');
  await p.fill('#sections', 'Pillar {n} »');
  await p.click('button:has-text("Check the plan")');
  await p.waitForSelector('.plan-tree');
  assert.match(await p.locator('.counts').innerText(), /2 sections and 2 actions understood/);
  const tree = await p.locator('.plan-tree').innerText();
  assert.match(tree, /Community/);
  assert.match(tree, /Clinical/);
  assert.deepEqual(await axe(p), [], 'the plan tree');
  await p.screenshot({ path: join(shots, 'plan-import-tree.png'), fullPage: true });
  await p.click('button:has-text("Import this plan")');
  await p.waitForURL(/\/plans\/\d+$/);
  const shown = await p.locator('main').innerText();
  assert.match(shown, /Pillars plan/);
  assert.match(shown, /Safety plans for every patient/);
  await p.context().close();
});
