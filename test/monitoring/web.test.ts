import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { AlertInbox, recordAlerts, type NewAlert } from '../../src/monitoring/alerts.ts';
import { loadBundledEntries } from '../../src/monitoring/bundled-entries.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { Store } from '../../src/store/store.ts';
import { browserService, SHOTS, SKIP_BROWSER as skip, type BrowserService } from '../helpers/browser.ts';
import { storedVerdict } from '../helpers/kb.ts';

const HOSTILE = '<img src=x onerror="window.__xss=1">Personality rights <b>protect</b> privacy.';

let env: BrowserService;
let page: Page;

const api = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${env.base}${path}`, { method, headers: { authorization: `Bearer ${env.service.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
};

before(async () => {
  if (skip) return;
  env = await browserService((dir) => Store.open(join(dir, 'store.duckdb')));
  const civil = loadBundledEntries().entries.find((e) => e.id === 'cn-civil-code')!;
  assert.equal((await api('PUT', '/api/kb/entries/cn-civil-code', { entry: { ...civil, summary: `${civil.summary} ${HOSTILE}` }, base_version: 1, note: 'privacy detail' })).status, 200);
  await storedVerdict(env.service.db, { org: 'local', title: 'Joint lab: data to China', holds: ['E-IMPORTANT-DATA-TO-CHINA'] });
  page = await env.loggedIn({ width: 1300, height: 1000 });
});
after(async () => {
  if (!skip) await env.close();
});

test('search in Chinese and English shows what the API finds', { skip }, async () => {
  await page.goto(`${env.base}/#/kb`);
  await page.waitForSelector('[data-testid=kb-entries] tbody tr');
  await page.fill('#kb-search input[name=q]', '标准化');
  await page.click('#kb-search button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=kb-entries] tbody tr').length === 3);
  const shown = await page.$$eval('[data-testid=kb-entries] tbody tr', (rows) => rows.map((r) => r.getAttribute('data-id')));
  const expected = (await api('GET', `/api/kb/entries?q=${encodeURIComponent('标准化')}`)).body.map((e: { id: string }) => e.id);
  assert.deepEqual(shown, expected);
  assert.match((await page.textContent('[data-testid=kb-entries]')) ?? '', /国家标准化发展纲要/);
  await page.screenshot({ path: `${SHOTS}/kb-search.png`, fullPage: true });
  await page.selectOption('#kb-search select[name=jurisdiction]', 'EU');
  await page.fill('#kb-search input[name=q]', 'prohibited practices');
  await page.click('#kb-search button[type=submit]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=kb-entries] tbody tr')].map((r) => r.getAttribute('data-id')).join() === 'eu-ai-act');
});

test('the timeline draws every dated event of the API, today marked, each dot linking to its entry', { skip }, async () => {
  await page.goto(`${env.base}/#/kb/timeline`);
  await page.waitForSelector('[data-testid=kb-timeline-svg] circle');
  const events = (await api('GET', '/api/kb/timeline')).body as { date: string; entry: string }[];
  const dots = await page.$$eval('[data-testid=kb-timeline-svg] circle', (c) => c.map((d) => `${d.getAttribute('data-date')} ${d.getAttribute('data-entry')}`));
  assert.deepEqual(dots.sort(), events.map((e) => `${e.date} ${e.entry}`).sort());
  assert.equal(await page.$$eval('[data-testid=kb-timeline] li', (l) => l.length), events.length);
  assert.match((await page.textContent('[data-testid=kb-timeline-svg]')) ?? '', /today/);
  await page.screenshot({ path: `${SHOTS}/kb-timeline.png`, fullPage: true });
  await page.fill('#kb-timeline-form input[name=from]', '2025');
  await page.fill('#kb-timeline-form input[name=to]', '2025');
  await page.click('#kb-timeline-form button[type=submit]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=kb-timeline] li')].every((li) => li.getAttribute('data-date')!.startsWith('2025')));
  await page.click('[data-testid=kb-timeline-svg] a');
  await page.waitForSelector('[data-testid=kb-entry-card]');
  assert.match(page.url(), /#\/kb\/entry\/eu-ai-act$/);
});

test('an entry: sources with checksums, unknowns said, versions, the diff word by word, hostile text shown as text', { skip }, async () => {
  await page.goto(`${env.base}/#/kb/entry/cn-civil-code`);
  await page.waitForFunction(() => document.querySelector('[data-testid=kb-entry-card] h2')?.textContent?.startsWith('Civil Code'));
  assert.match((await page.textContent('[data-testid=kb-summary]')) ?? '', /<img src=x onerror="window.__xss=1">Personality rights <b>protect<\/b> privacy\./);
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  assert.match((await page.textContent('[data-testid=kb-sources-card]')) ?? '', /sha256:7169cdf7aad5/);
  assert.match((await page.textContent('[data-testid=kb-entry-card]')) ?? '', /title\.original: the seeds give no Chinese title/);
  assert.equal(await page.$$eval('[data-testid=kb-versions] tbody tr', (r) => r.length), 2);
  await page.screenshot({ path: `${SHOTS}/kb-entry.png`, fullPage: true });
  await page.click('[data-testid=kb-versions] a[href$="/1/2"]');
  await page.waitForSelector('[data-testid=kb-diff]');
  const added = await page.$$eval('[data-testid=kb-diff] tr[data-path=summary] ins', (n) => n.map((x) => x.textContent).join(''));
  assert.match(added, /Personality rights <b>protect<\/b> privacy\./);
  assert.equal(await page.$$eval('[data-testid=kb-diff] tr[data-path=summary] del', (n) => n.length), 0, 'nothing removed, only words added');
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
  await page.screenshot({ path: `${SHOTS}/kb-diff.png`, fullPage: true });
});

test('an officer reviews the version on screen; a stale edit in the browser is refused with the reason', { skip }, async () => {
  await page.goto(`${env.base}/#/kb/entry/cn-deep-synthesis-provisions`);
  await page.waitForFunction(() => document.querySelector('[data-testid=kb-entry-card] h2')?.textContent?.startsWith('Provisions on the Administration of Deep Synthesis'));
  await page.click('#kb-review-button');
  await page.waitForFunction(() => document.querySelector('[data-testid=kb-review] .badge')?.textContent === 'reviewed');
  assert.match((await page.textContent('[data-testid=kb-review]')) ?? '', /reviewed version 1, \d{4}-\d{2}-\d{2} by Local administrator/);
  assert.equal((await api('GET', '/api/kb/entries/cn-deep-synthesis-provisions')).body.review.state, 'reviewed');
  // The editor opens on version 1; meanwhile someone else saves version 2.
  await page.goto(`${env.base}/#/kb/edit/cn-tc260`);
  await page.waitForSelector('[data-testid=kb-edit-card] #kb-edit-form [name=summary]');
  const tc260 = (await api('GET', '/api/kb/entries/cn-tc260')).body.entry;
  assert.equal((await api('PUT', '/api/kb/entries/cn-tc260', { entry: { ...tc260, summary: `${tc260.summary} Elsewhere.` }, base_version: 1 })).status, 200);
  await page.fill('#kb-edit-form input[name=note]', 'mine');
  await page.click('#kb-edit-form button[type=submit]');
  await page.waitForSelector('#kb-edit-error:not([hidden])');
  assert.match((await page.textContent('#kb-edit-error')) ?? '', /is at version 2, not 1: someone changed it since/);
});

test('an entry is edited with a form, not JSON: each problem is said beside its field, and a good edit is the next version (desktop and phone)', { skip }, async () => {
  const id = 'cn-deep-synthesis-provisions';
  for (const device of ['desktop', 'phone'] as const) {
    const p = await env.loggedIn(device, `#/kb/edit/${id}`);
    try {
      await p.waitForSelector('#kb-edit-form [name=title_en]');
      const { entry, version } = (await api('GET', `/api/kb/entries/${id}`)).body;
      assert.equal(await p.locator('#kb-edit-form .kb-json').count(), 0, 'no raw JSON');
      assert.equal(await p.inputValue('[name=title_en]'), entry.title.en);
      assert.equal(await p.inputValue('[name=date_issued]'), entry.dates.issued);
      assert.deepEqual((await p.$$eval('input[name=topic]:checked', (c) => c.map((x) => (x as HTMLInputElement).value))).sort(), [...entry.topics].sort());
      assert.equal(await p.locator('[data-path="status_history[0].date"] input').inputValue(), entry.status_history[0].date);
      assert.equal(await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), 0, 'no sideways scroll');
      // What the form can tell, all at once, each beside its field.
      await p.fill('[name=title_en]', '');
      await p.fill('[name=date_issued]', 'next year');
      await p.click('#kb-edit-form button[type=submit]');
      assert.match((await p.textContent('[data-path="title.en"] .kb-field-error:not([hidden])')) ?? '', /title in English/);
      assert.match((await p.textContent('[data-path="dates.issued"] .kb-field-error:not([hidden])')) ?? '', /"next year" is not a date/);
      // What only the server tells, beside the field it names: an unknown original title no longer explained.
      const unknown = await p.inputValue('[name=unknown]');
      await p.fill('[name=title_en]', entry.title.en);
      await p.fill('[name=date_issued]', entry.dates.issued);
      await p.fill('[name=unknown]', unknown.replace(/^title\.original:.*$/m, ''));
      await p.click('#kb-edit-form button[type=submit]');
      assert.match((await p.textContent('[data-path="title.original"] .kb-field-error:not([hidden])', { timeout: 30_000 })) ?? '', /say why in unknown/);
      assert.equal(await p.locator('[data-path="title.en"] .kb-field-error:not([hidden])').count(), 0, 'a problem fixed is no longer said');
      await p.screenshot({ path: `${SHOTS}/kb-form-${device}.png`, fullPage: true });
      // Fixed, the edit is saved as the next version, with what the form does not show (the sources' quotes and citations) kept.
      await p.fill('[name=unknown]', unknown);
      await p.fill('[name=summary]', `${entry.summary} Edited on a ${device}.`);
      await p.click('#kb-edit-form button[type=submit]');
      await p.waitForSelector(`[data-testid=kb-summary]:has-text("Edited on a ${device}.")`);
      const saved = (await api('GET', `/api/kb/entries/${id}`)).body;
      assert.equal(saved.version, version + 1);
      assert.deepEqual(saved.entry.sources, entry.sources);
      assert.deepEqual({ ...saved.entry, summary: entry.summary }, entry);
    } finally {
      await p.close();
    }
  }
});

test('links: an entry’s criteria lead to the verdicts that cited them and back to the entries behind a verdict', { skip }, async () => {
  await page.goto(`${env.base}/#/kb/entry/cn-national-intelligence-law`);
  await page.waitForFunction(() => document.querySelector('[data-testid=kb-entry-card] h2')?.textContent?.startsWith('National Intelligence Law'));
  assert.match((await page.textContent('[data-testid=kb-criteria-card]')) ?? '', /Joint lab: data to China/);
  await page.click('[data-testid=kb-criteria-card] a[href="#/kb/criterion/E-IMPORTANT-DATA-TO-CHINA"]');
  await page.waitForSelector('[data-testid=kb-criterion-verdicts] li');
  assert.match((await page.textContent('[data-testid=kb-criterion-entries]')) ?? '', /National Intelligence Law/);
  await page.click('[data-testid=kb-criterion-verdicts] a[href^="#/kb/verdict/"]');
  await page.waitForSelector('[data-testid=kb-verdict-card]');
  assert.match((await page.textContent('[data-testid=kb-verdict-card]')) ?? '', /E-IMPORTANT-DATA-TO-CHINA[\s\S]*Cyber Security Law/);
  await page.screenshot({ path: `${SHOTS}/kb-links.png`, fullPage: true });
});

test('the inbox: alerts newest first, a page at a time; read and unread for the reader alone; an unread-only view; hostile text and links shown as text', { skip }, async () => {
  const { orgId, userId } = env.service.admin;
  const alert = (i: number): NewAlert => ({
    orgId,
    userId: '',
    kind: i % 2 ? 'list-change' : 'new-copublication',
    dedupKey: `web-inbox:${i}`,
    title: i === 59 ? HOSTILE : `Inbox alert ${i}`,
    subject: `Subject ${i}`,
    evidence: { n: i },
    link: i === 59 ? 'javascript:window.__xss=1' : i === 58 ? 'https://doi.org/10.5555/inbox.58' : `/api/alerts/evidence-${i}`,
  });
  for (let i = 0; i < 60; i++) await env.service.db.transaction((tx) => recordAlerts(tx, [alert(i)], new Date(Date.UTC(2026, 10, 1, 0, i)).toISOString()));
  await page.goto(`${env.base}/#/alerts`);
  await page.waitForSelector('[data-testid=alert]');
  const titles = () => page.$$eval('[data-testid=alert-title]', (n) => n.map((x) => x.textContent));
  const first = await titles();
  assert.equal(first.length, 50, 'one page');
  assert.deepEqual(first.slice(0, 3), [HOSTILE, 'Inbox alert 58', 'Inbox alert 57'], 'newest first, the hostile title as text');
  assert.equal(await page.$eval('[data-testid=alert]', (li) => li.querySelector('[data-testid=alert-link]')!.tagName), 'SPAN', 'a javascript: link is no link');
  assert.equal(await page.$eval('[data-testid=alert]:nth-child(2) [data-testid=alert-link]', (a) => a.getAttribute('href')), 'https://doi.org/10.5555/inbox.58');
  await page.click('button[name=more]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=alert]').length === 60);
  assert.equal(await page.isHidden('button[name=more]'), true, 'no page after the last');
  assert.equal(await page.$$eval('[data-testid=alert][data-read=false]', (n) => n.length), 60);
  await page.screenshot({ path: `${SHOTS}/inbox.png`, fullPage: true });

  // Read by this reader: marked on screen and by the API, for this reader alone.
  await page.click('[data-testid=alert]:nth-child(2) button[name=read]');
  await page.waitForSelector('[data-testid=alert]:nth-child(2)[data-read=true]');
  const read = (await api('GET', '/api/alerts?limit=200')).body as { title: string; read: boolean }[];
  assert.deepEqual(
    read.filter((a) => a.read).map((a) => a.title),
    ['Inbox alert 58'],
  );
  const other = await env.service.accounts.createUser(OPERATOR, { orgId, email: 'viewer-inbox@example.org', name: 'Viewer', role: 'viewer', password: 'a long enough password' });
  assert.notEqual(other, userId);
  assert.equal((await new AlertInbox(env.service.db).list({ userId: other, orgId, role: 'viewer', name: 'Viewer' })).filter((a) => a.read).length, 0, 'another reader has read nothing');

  await page.click('input[name=unread]');
  await page.waitForFunction(() => location.hash === '#/alerts?unread=true' && document.querySelectorAll('[data-testid=alert]').length === 50);
  assert.ok(!(await titles()).includes('Inbox alert 58'), 'the read one is not among the unread');
  await page.click('button[name=more]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=alert]').length === 59);
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
});
