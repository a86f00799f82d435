import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { browserService, SHOTS, SKIP_BROWSER as skip, VIEWPORTS, type BrowserService } from '../helpers/browser.ts';
import { INPUT, tempDir, writeTemp } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';

// An upload as an analyst sees it in the page: progress and a disabled button while it runs, then
// what was kept and set aside and why; a file that is no Scopus export says what is wrong with it.

let env: BrowserService;

before(async () => {
  if (skip) return;
  env = await browserService((dir) => landscapeStore(dir), { home: tempDir() });
});
after(async () => {
  if (!skip) await env.close();
});

for (const device of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
  test(`an upload shows its progress, then the records kept and set aside with the reasons (${device})`, { skip }, async () => {
    const page = await env.loggedIn(device, '#/screen');
    try {
      await page.waitForSelector('#upload-form');
      // Each device uploads its own records: the same ones twice would be "already known".
      const file = writeTemp(`scopus-${device}.csv`, readFileSync(join(INPUT, 'scopus-upload.csv'), 'utf8').replaceAll('2-s2.0-850', `2-s2.0-85${Object.keys(VIEWPORTS).indexOf(device)}`));
      // The first look at the job is held until the page has been seen mid-upload.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let polled!: () => void;
      const firstPoll = new Promise<void>((resolve) => (polled = resolve));
      await page.route('**/api/uploads/jobs/*', async (route) => {
        polled();
        await held;
        await route.continue();
      });
      await page.setInputFiles('#upload-form input[type=file]', file);
      await page.selectOption('#upload-form select[name=kind]', 'scopus');
      await page.click('#upload-form button[type=submit]');
      // Fails (rather than waits on a poll that never comes) on a page that shows no progress.
      await page.waitForSelector('#upload-progress progress');
      await firstPoll;
      assert.equal(await page.isDisabled('#upload-form button[type=submit]'), true, 'no second upload while one runs');
      assert.equal(await page.isVisible('#upload-progress progress'), true);
      assert.match((await page.textContent('#upload-progress'))!, /scopus-(desktop|phone)\.csv/);
      await page.screenshot({ path: `${SHOTS}/upload-running-${device}.png`, fullPage: true });
      release();
      await page.waitForSelector('#upload-report');
      const report = (await page.textContent('#upload-report'))!;
      assert.match(report, /scopus-(desktop|phone)\.csv ingested/);
      assert.match(report, /2 records kept, 0 already known, 2 quarantined/);
      assert.match(report, /expected 8 columns, found 3 — 1 record \(line 5\)/, 'a reason with the line it was found on');
      assert.match(report, /missing or malformed EID: "" — 1 record \(line 4\)/, 'the record without its EID, and why');
      assert.equal(await page.isDisabled('#upload-form button[type=submit]'), false);
      assert.equal(await page.isVisible('#upload-progress'), false);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling');
      await page.screenshot({ path: `${SHOTS}/upload-report-${device}.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });

  test(`a file that is no Scopus export says which columns it lacks, not "internal error" (${device})`, { skip }, async () => {
    const page = await env.loggedIn(device, '#/screen');
    try {
      await page.waitForSelector('#upload-form');
      await page.setInputFiles('#upload-form input[type=file]', join(INPUT, 'scopus-upload-wrong-columns.csv'));
      await page.selectOption('#upload-form select[name=kind]', 'scopus');
      await page.click('#upload-form button[type=submit]');
      await page.waitForSelector('#upload-error');
      const error = (await page.textContent('#upload-error'))!;
      assert.match(error, /^scopus-upload-wrong-columns\.csv: .*missing column\(s\): EID, Year$/);
      assert.doesNotMatch(error, /internal error/i);
      assert.equal(await page.isDisabled('#upload-form button[type=submit]'), false, 'the user can try another file');
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling');
      await page.screenshot({ path: `${SHOTS}/upload-wrong-file-${device}.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });
}
