import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
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
