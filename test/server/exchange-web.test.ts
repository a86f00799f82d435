import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { SharedCorrection } from '../../src/exchange/service.ts';
import { stixBundle } from '../../src/exchange/stix.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { GREEN_CASE } from '../helpers/cases.ts';
import { browserService, SHOTS, SKIP_BROWSER as skip, type BrowserService } from '../helpers/browser.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

const HOSTILE = '<img src=x onerror="window.__xss=1">';

let env: BrowserService;
let analyst: string;

before(async () => {
  if (skip) return;
  env = await browserService(async (dir) => {
    const store = await landscapeStore(dir);
    await saveLists(store, [readWatchlist(watchlist([{ id: 'tsinghua', name: 'Tsinghua University', level: 'very-high', country: 'CN' }]))]);
    await screenPending(store, await screeningContext(store));
    return store;
  });
  analyst = await env.service.accounts.createUser(OPERATOR, { orgId: 'local', email: 'analyst@example.org', name: 'Analyst', role: 'analyst', password: 'a very long password' });
  // A verdict to share: the page names its case by title, not by id.
  const headers = { authorization: `Bearer ${env.service.token}`, 'content-type': 'application/json' };
  const made = (await (await fetch(`${env.base}/api/cases`, { method: 'POST', headers, body: JSON.stringify({ ...GREEN_CASE, title: 'Open sensor data with Delft' }) })).json()) as { id: string };
  await fetch(`${env.base}/api/cases/${made.id}/assess`, { method: 'POST', headers, body: '{}' });
});
after(async () => {
  if (!skip) await env.close();
});

const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
const item = (page: Page, text: string) => page.locator('[data-testid=exchange-item]', { hasText: text });

for (const device of ['desktop', 'phone'] as const) {
  test(`sharing controls (${device}): a note and a namesake decision written, shared at a distribution and TLP, unshared; audited; the decision shows beside the hit`, { skip }, async () => {
    const page = await env.loggedIn(device);
    try {
      await page.goto(`${env.base}/#/exchange`);
      await page.waitForSelector('#note-form');
      const body = `${device} note ${HOSTILE}`;
      await page.selectOption('#note-form select[name=kind]', 'entry');
      await page.fill('#note-form input[name=value]', 'my-watchlist/tsinghua');
      await page.fill('#note-form textarea[name=text]', body);
      await page.fill('#note-form input[name=opinion]', '80');
      await page.click('#note-form button[type=submit]');
      const note = item(page, `${device} note`);
      await note.waitFor();
      assert.match((await note.textContent()) ?? '', /Note on Tsinghua University: .*<img src=x/, 'hostile text shown as text');
      assert.match((await note.locator('[data-testid=marking]').textContent()) ?? '', /TLP:AMBER\+STRICT our organisation only/, 'nothing leaves by default');
      const verdict = (await item(page, 'Verdict').first().textContent()) ?? '';
      assert.match(verdict, /of case Open sensor data with Delft/);
      assert.doesNotMatch(verdict, /[0-9a-f]{8}-[0-9a-f]{4}-/, 'no raw case id');

      await note.locator('select[name=distribution]').selectOption('community');
      await note.locator('select[name=tlp]').selectOption('green');
      await note.locator('button[name=share]').click();
      await page.waitForFunction((d) => [...document.querySelectorAll('[data-testid=exchange-item]')].some((e) => e.textContent!.includes(`${d} note`) && /TLP:GREEN community/.test(e.querySelector('[data-testid=marking]')!.textContent!)), device);
      await page.screenshot({ path: `${SHOTS}/exchange-shared-${device}.png`, fullPage: true });

      await item(page, `${device} note`).locator('button[name=unshare]').click();
      await page.waitForFunction((d) => [...document.querySelectorAll('[data-testid=exchange-item]')].some((e) => e.textContent!.includes(`${d} note`) && /our organisation only/.test(e.querySelector('[data-testid=marking]')!.textContent!)), device);

      // A mistake is answered in words, and changes nothing.
      await page.fill('#namesake-form input[name=name]', 'Tsinghua University');
      await page.fill('#namesake-form input[name=entry]', 'my-watchlist/nobody');
      await page.fill('#namesake-form textarea[name=reason]', `${device}: Hsinchu, Taiwan`);
      await page.click('#namesake-form button[type=submit]');
      await page.waitForSelector('#error:not([hidden])');
      assert.match((await page.textContent('#error')) ?? '', /list my-watchlist has no entry nobody/);
      await page.fill('#namesake-form input[name=entry]', 'my-watchlist/tsinghua');
      await page.click('#namesake-form button[type=submit]');
      const decision = item(page, `${device}: Hsinchu`);
      await decision.waitFor();
      await decision.locator('select[name=distribution]').selectOption('everyone');
      await decision.locator('select[name=tlp]').selectOption('clear');
      await decision.locator('button[name=share]').click();
      await page.waitForFunction((d) => [...document.querySelectorAll('[data-testid=exchange-item]')].some((e) => e.textContent!.includes(`${d}: Hsinchu`) && /TLP:CLEAR everyone/.test(e.querySelector('[data-testid=marking]')!.textContent!)), device);
      assert.ok((await sideways(page)) <= 0, `the exchange page scrolls sideways on ${device}`);
      await page.screenshot({ path: `${SHOTS}/exchange-${device}.png`, fullPage: true });
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);

      // Screening shows the decision beside the hit, and the hit stays.
      await page.goto(`${env.base}/#/screen/name/${encodeURIComponent('Tsinghua University')}`);
      await page.waitForSelector('[data-testid=screen-state][data-state=listed]');
      const info = await page.waitForSelector('[data-testid=namesake-info]');
      assert.match((await info.textContent()) ?? '', /Information \(the hit stands\): 1 institution judged “Tsinghua University” not to be the listed entity Tsinghua University \(my-watchlist\)/);
      assert.match((await info.textContent()) ?? '', new RegExp(`This installation · TLP:CLEAR · ${device}: Hsinchu, Taiwan`));
      assert.equal(await page.locator('[data-testid=organisation]').count(), 1, 'the listing is still shown');
      assert.ok((await sideways(page)) <= 0, `the screening page scrolls sideways on ${device}`);
      await page.screenshot({ path: `${SHOTS}/exchange-screening-${device}.png`, fullPage: true });

      const audit = await env.service.db.query<{ action: string; detail: string }>("SELECT action, detail FROM audit WHERE action IN ('exchange.share', 'exchange.unshare') ORDER BY seq");
      assert.ok(
        audit.some((e) => e.action === 'exchange.unshare' && JSON.parse(e.detail).from.tlp === 'green'),
        'the unsharing is in the audit trail with the level before',
      );
    } finally {
      await page.close();
    }
  });
}

test('an analyst writes notes but sees no sharing controls (an officer decides how far they travel)', { skip }, async () => {
  const page = await env.loggedIn('phone', '#/', analyst);
  try {
    await page.goto(`${env.base}/#/exchange`);
    await page.waitForSelector('#note-form');
    await item(page, 'desktop note').waitFor();
    assert.equal(await page.locator('.share-form').count(), 0);
    assert.match((await page.textContent('[data-testid=exchange-card]')) ?? '', /Nothing leaves your organisation until an officer shares it/);
  } finally {
    await page.close();
  }
});

// A partner's STIX file with two match corrections, imported by the administrator on the page.
const sent = (id: string, string: string, verdict: SharedCorrection['verdict'], rorId: string, reason: string): SharedCorrection => ({ id, orgId: 'uni-p', orgName: 'Partner University', string, verdict, rorId, reason, createdAt: '2026-11-20T10:00:00.000Z', distribution: 'community', tlp: 'green' });
const IS = sent('7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c01', 'Key Laboratory of Machine Perception, Beijing, China', 'is', '03cve4549', `the laboratory's web page names Tsinghua ${HOSTILE}`);
const NONE = sent('7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c02', 'Beijing Key Laboratory of Big Data Intelligence Systems Engineering Practice', 'none', '', 'a provincial label, no institution');
const received = (page: Page, uuid: string) => page.locator(`[data-testid=received-correction][data-uuid="${uuid}"]`);
const inState = (page: Page, uuid: string, state: string) => page.waitForSelector(`[data-testid=received-correction][data-uuid="${uuid}"][data-state=${state}]`);

test("received corrections (desktop): an administrator imports a partner's file; each shows whose it is, what it says, their evidence, unsigned, when; accepted and rejected with the state after", { skip }, async () => {
  const page = await env.loggedIn('desktop', '#/exchange');
  try {
    await page.click('[data-testid=received-link]');
    await page.waitForSelector('#import-form');
    const file = JSON.stringify(stixBundle({ name: 'Partner platform', uuid: '0b0e4c1a-1111-4222-8333-444455556666' }, { notes: [], namesakes: [], corrections: [IS, NONE], assessments: [], heldBack: { groups: 0, assessments: 0, k: 3 }, keptAsReleased: 0 }, []));
    // A file that is not a bundle is refused in words, and nothing is listed.
    await page.setInputFiles('#import-form input[name=file]', { name: 'partner.json', mimeType: 'application/json', buffer: Buffer.from('{"type":"report"}') });
    await page.fill('#import-form input[name=from]', 'Partner University');
    await page.click('#import-form button[type=submit]');
    await page.waitForSelector('#error:not([hidden])');
    assert.match((await page.textContent('#error')) ?? '', /partner\.json: not a STIX 2\.1 bundle/);
    assert.equal(await page.locator('[data-testid=received-correction]').count(), 0);

    await page.setInputFiles('#import-form input[name=file]', { name: 'partner.json', mimeType: 'application/json', buffer: Buffer.from(file) });
    await page.fill('#import-form input[name=from]', 'Partner University');
    await page.click('#import-form button[type=submit]');
    await inState(page, IS.id, 'undecided');
    assert.match((await page.textContent('[data-testid=import-result]')) ?? '', /partner\.json: 2 new, 0 updated, 0 unchanged/);
    const is = received(page, IS.id);
    const text = (await is.textContent()) ?? '';
    assert.match(text, /“Key Laboratory of Machine Perception, Beijing, China” is 03cve4549/);
    assert.match(text, /Their evidence: the laboratory's web page names Tsinghua <img src=x/, 'hostile text shown as text');
    assert.match(text, /Claims to be from Partner University \(unverified: an unsigned file says so\) via Partner University · decided 2026-11-20 · received \d{4}-\d\d-\d\d · unsigned file TLP:GREEN file sha256 [0-9a-f]{16}/);
    assert.match(text, /Not decided: it changes nothing until you accept it/);
    assert.match((await received(page, NONE.id).textContent()) ?? '', /names no registry institution/);
    await page.screenshot({ path: `${SHOTS}/received-undecided-desktop.png`, fullPage: true });

    await is.locator('button[name=accept]').click();
    await inState(page, IS.id, 'accepted');
    assert.match((await received(page, IS.id).locator('[data-testid=decision]').textContent()) ?? '', /Accepted \d{4}-\d\d-\d\d: in force for your organisation/);
    await received(page, NONE.id).locator('input[name=reason]').fill('our registry office knows the lab');
    await received(page, NONE.id).locator('button[name=reject]').click();
    await inState(page, NONE.id, 'rejected');
    assert.match((await received(page, NONE.id).locator('[data-testid=decision]').textContent()) ?? '', /Rejected \d{4}-\d\d-\d\d: our registry office knows the lab/);
    assert.equal(await received(page, NONE.id).locator('button[name=reject]').count(), 0, 'a rejected one offers accepting only');
    assert.ok((await sideways(page)) <= 0, 'the received corrections page scrolls sideways on desktop');
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    await page.screenshot({ path: `${SHOTS}/received-desktop.png`, fullPage: true });
  } finally {
    await page.close();
  }
});

test('received corrections (phone): the state persists; an accepted one is withdrawn with a reason; an analyst decides but imports nothing', { skip }, async () => {
  const page = await env.loggedIn('phone', '#/exchange/received', analyst);
  try {
    await inState(page, IS.id, 'accepted');
    assert.equal(await page.locator('#import-form').count(), 0, 'importing is for administrators');
    await received(page, IS.id).locator('input[name=reason]').fill('the lab moved to another university');
    await received(page, IS.id).locator('button[name=reject]').click();
    await inState(page, IS.id, 'rejected');
    assert.match((await received(page, IS.id).locator('[data-testid=decision]').textContent()) ?? '', /Rejected .*: the lab moved to another university/);
    assert.ok((await sideways(page)) <= 0, 'the received corrections page scrolls sideways on a phone');
    await page.screenshot({ path: `${SHOTS}/received-phone.png`, fullPage: true });
    const audit = await env.service.db.query<{ action: string }>("SELECT action FROM audit WHERE action IN ('exchange.import', 'match.accept', 'match.reject') ORDER BY seq");
    assert.deepEqual(
      audit.map((e) => e.action),
      ['exchange.import', 'match.accept', 'match.reject', 'match.reject'],
    );
  } finally {
    await page.close();
  }
});

const RETRACTED = sent('7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c03', 'Joint Lab of Intelligent Sensing, Beijing, China', 'is', '03cve4549', 'their 2025 annual report');

test('a retracted correction (desktop and phone): the page says when, by whom, via whom and why, that it applies to nobody, and offers no decision; the API says the same', { skip }, async () => {
  const bundle = (retracted: boolean) =>
    JSON.stringify(
      stixBundle(
        { name: 'Partner platform', uuid: '0b0e4c1a-1111-4222-8333-444455556666' },
        { notes: [], namesakes: [], corrections: retracted ? [] : [RETRACTED], retractions: retracted ? [{ ...RETRACTED, retractedAt: '2026-12-01T09:00:00.000Z' }] : [], assessments: [], heldBack: { groups: 0, assessments: 0, k: 3 }, keptAsReleased: 0 },
        [],
      ),
    );
  const headers = { authorization: `Bearer ${env.service.token}`, 'content-type': 'application/json' };
  assert.equal((await fetch(`${env.base}/api/exchange/import?format=stix&from=Partner%20University&name=partner-2.json`, { method: 'POST', headers, body: bundle(false) })).status, 200);
  assert.equal((await fetch(`${env.base}/api/match/received/${RETRACTED.id}/accept`, { method: 'POST', headers: { authorization: headers.authorization } })).status, 200);
  const page = await env.loggedIn('desktop', '#/exchange/received');
  try {
    await inState(page, RETRACTED.id, 'accepted');
    assert.equal(await received(page, RETRACTED.id).getAttribute('data-retracted'), 'no');
    await page.setInputFiles('#import-form input[name=file]', { name: 'partner-retraction.json', mimeType: 'application/json', buffer: Buffer.from(bundle(true)) });
    await page.fill('#import-form input[name=from]', 'Partner University');
    await page.click('#import-form button[type=submit]');
    await page.waitForSelector(`[data-testid=received-correction][data-uuid="${RETRACTED.id}"][data-retracted=yes]`);
    const row = received(page, RETRACTED.id);
    assert.match((await page.textContent('[data-testid=import-result]')) ?? '', /partner-retraction\.json: 0 new, 0 updated, 0 unchanged, 1 retracted by their publisher\./);
    assert.match(
      (await row.locator('[data-testid=retraction]').textContent()) ?? '',
      /^Retracted 2026-12-01 by "Partner University" \(unverified: an unsigned file's claim\) via Partner University: its publisher no longer shares it: withdrawn, superseded by a later correction or shared less widely there \(a feed says no more\)\. It applies to nobody\. Taken in by the import of partner-retraction\.json on \d{4}-\d\d-\d\d\.$/,
    );
    assert.match((await row.locator('[data-testid=decision]').textContent()) ?? '', /Accepted \d{4}-\d\d-\d\d: no longer in force, since its retraction/);
    assert.equal(await row.locator('button').count(), 0, 'nothing left to decide: accepting it again is refused');
    assert.ok((await sideways(page)) <= 0);
    await page.screenshot({ path: `${SHOTS}/received-retracted-desktop.png`, fullPage: true });
  } finally {
    await page.close();
  }
  const phone = await env.loggedIn('phone', '#/exchange/received', analyst);
  try {
    await phone.waitForSelector(`[data-testid=received-correction][data-uuid="${RETRACTED.id}"][data-retracted=yes]`);
    assert.ok((await sideways(phone)) <= 0, 'the retraction fits a phone');
    await phone.screenshot({ path: `${SHOTS}/received-retracted-phone.png`, fullPage: true });
  } finally {
    await phone.close();
  }
  const listed = (await (await fetch(`${env.base}/api/match/received`, { headers })).json()) as { uuid: string; retractedAt: string | null; retraction: Record<string, unknown> | null }[];
  const got = listed.find((r) => r.uuid === RETRACTED.id)!;
  assert.equal(got.retractedAt, '2026-12-01T09:00:00.000Z');
  assert.deepEqual(
    { ...got.retraction, takenAt: typeof got.retraction?.takenAt },
    {
      at: '2026-12-01T09:00:00.000Z',
      by: `"Partner University" (unverified: an unsigned file's claim)`,
      via: 'Partner University',
      why: 'its publisher no longer shares it: withdrawn, superseded by a later correction or shared less widely there (a feed says no more)',
      takenAt: 'string',
      takenIn: 'import of partner-retraction.json',
    },
  );
  assert.equal(listed.find((r) => r.uuid === NONE.id)!.retraction, null);
});
