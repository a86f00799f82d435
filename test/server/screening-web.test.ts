import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { STATE_NAMES, statesStore } from '../helpers/screening.ts';
import { SHOTS, SKIP_BROWSER, VIEWPORTS, browserService, type BrowserService, type Device } from '../helpers/browser.ts';

const skip = SKIP_BROWSER;

let env: BrowserService;

before(async () => {
  if (!skip) env = await browserService(statesStore);
});
after(async () => {
  if (!skip) await env.close();
});

/** Wider than the window: the page scrolls sideways. */
const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

for (const device of Object.keys(VIEWPORTS) as Device[]) {
  test(`screening page (${device}): each state in its own words and colour, never a bare "no listing"`, { skip }, async () => {
    const page = await env.loggedIn(device);
    try {
      const headlines: Record<string, RegExp> = {
        listed: /^Listed medium\s*Listed, medium: Tsinghua University on 1 list \(Our office watchlist\)/,
        'not-listed': /^Recognised, not listed\s*Recognised, not listed: University of Oxford \(United Kingdom, ROR 052gg0110\)/,
        unknown: /^Unknown organisation\s*Unknown organisation: neither the registry nor any loaded list recognised "Acme Widgets Ltd"\. Identify it before relying on this/,
        ambiguous: /^Ambiguous: which one\?\s*Ambiguous: "Northeastern University" is listed in China/,
      };
      for (const [state, q] of Object.entries(STATE_NAMES)) {
        await page.goto(`${env.base}/#/screen/name/${encodeURIComponent(q)}`);
        const box = await page.waitForSelector(`[data-testid=screen-state][data-state=${state}]`);
        assert.match((await box.textContent())!.trim(), headlines[state]!);
        assert.doesNotMatch((await page.textContent('main')) ?? '', /No loaded list names this organisation/);
        assert.ok((await sideways(page)) <= 0, `${state}: the page scrolls sideways on ${device}`);
        await page.screenshot({ path: `${SHOTS}/screen-${state}-${device}.png`, fullPage: true });
      }
      // Ambiguous: a choice per country, each screening that one.
      await page.goto(`${env.base}/#/screen/name/${encodeURIComponent(STATE_NAMES.ambiguous)}`);
      await page.click('[data-testid=choices] a.listed');
      await page.waitForSelector('[data-testid=screen-state][data-state=listed]');
      assert.match((await page.textContent('[data-testid=screen-state]')) ?? '', /Northeastern University on 1 list/);
      // One organisation across two lists, list names in words, level badges.
      await page.goto(`${env.base}/#/screen/name/${encodeURIComponent('Dahua Technology')}`);
      // The hash changes in the same page: wait for Dahua's answer, not the previous one still shown.
      await page.waitForSelector('[data-testid=organisation]:has-text("Dahua Technology Company")');
      assert.equal(await page.locator('[data-testid=organisation]').count(), 1);
      const rows = await page.$$eval('[data-testid=organisation] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      assert.deepEqual(rows, [
        ['Our office watchlist', 'Dahua Technology', 'high', 'its listed name'],
        ['Partner office watchlist', 'Dahua Technology Company', 'medium', 'its listed name'],
      ]);
      assert.equal(await page.getAttribute('[data-testid=organisation] h3 .badge', 'data-level'), 'high');
      assert.ok((await sideways(page)) <= 0);
      await page.screenshot({ path: `${SHOTS}/screen-organisation-${device}.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });

  test(`batch screening on the page (${device}): pasted names and a CSV file, each row with its state`, { skip }, async () => {
    const page = await env.loggedIn(device);
    try {
      await page.goto(`${env.base}/#/screen`);
      await page.fill('#batch-form textarea', Object.values(STATE_NAMES).join('\n'));
      await page.click('#batch-form button');
      await page.waitForSelector('[data-testid=batch-table] tbody tr');
      const states = await page.$$eval('[data-testid=batch-table] tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.state));
      assert.deepEqual(states, Object.keys(STATE_NAMES));
      assert.match((await page.textContent('[data-testid=batch-card]')) ?? '', /1 listed · 1 ambiguous \(say which one\) · 1 unknown organisation · 1 recognised, not listed.*Unknown organisations: identify them before relying on this/);
      assert.ok((await sideways(page)) <= 0, `batch: the page scrolls sideways on ${device}`);
      await page.screenshot({ path: `${SHOTS}/screen-batch-${device}.png`, fullPage: true });
      await page.fill('#batch-form textarea', '');
      await page.setInputFiles('#batch-form input[type=file]', { name: 'partners.csv', mimeType: 'text/csv', buffer: Buffer.from('name,country\n"Dahua Technology",CN\nUniversity of Oxford,GB\n') });
      await page.click('#batch-form button');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=batch-table] tbody tr').length === 2);
      assert.deepEqual(await page.$$eval('[data-testid=batch-table] tbody tr td:first-child', (tds) => tds.map((td) => td.textContent)), ['Dahua Technology', 'University of Oxford']);
    } finally {
      await page.close();
    }
  });
}
