import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { browserService, SHOTS, SKIP_BROWSER as skip, type BrowserService } from '../helpers/browser.ts';
import { landscapeStore } from '../helpers/landscape.ts';

// The mail setting on the account page: a user chooses off, immediate or the daily digest, and
// the choice is what the server keeps (and audits); where the installation sends no mail, only
// "off" can be chosen and the page says why.
let mailing: BrowserService;
let silent: BrowserService;

before(async () => {
  if (skip) return;
  // Mail is configured; nothing is mailed here (no alerts, and deliveries wait an hour).
  mailing = await browserService(landscapeStore, { monitoring: { deliveryIntervalMs: 3_600_000, checkIntervalMs: 3_600_000, mail: { smtpUrl: 'smtp://127.0.0.1:9', from: 'derisk <alerts@derisk.example>', publicUrl: 'https://derisk.example' } } });
  silent = await browserService(landscapeStore, { monitoring: { deliveryIntervalMs: 3_600_000, checkIntervalMs: 3_600_000 } });
});
after(async () => {
  if (skip) return;
  await mailing.close();
  await silent.close();
});

const modeKept = async (s: BrowserService) => (await s.service.db.query<{ mode: string }>('SELECT mode FROM mail_subscriptions WHERE user_id = $1', [s.service.admin.userId]))[0]?.mode ?? 'off';

test('a user sets alerts by mail to the daily digest on the account page, sees it kept after a reload, and turns it off again', { skip }, async () => {
  const page = await mailing.loggedIn('desktop', '#/account');
  const select = '[data-testid=mail-card] select[name=mode]';
  await page.waitForSelector(select);
  assert.equal(await page.inputValue(select), 'off', 'nobody takes mail until they choose to');
  await page.selectOption(select, 'digest');
  await page.waitForFunction(() => /Saved: daily digest/.test(document.querySelector('[data-testid=mail-status]')?.textContent ?? ''));
  assert.equal(await modeKept(mailing), 'digest');
  const audit = await mailing.service.db.query<{ detail: string }>("SELECT detail FROM audit WHERE action = 'mail.subscribe' ORDER BY seq");
  assert.deepEqual(JSON.parse(audit.at(-1)!.detail), { mode: 'digest', before: 'off' });
  await page.reload();
  await page.waitForSelector(select);
  assert.equal(await page.inputValue(select), 'digest', 'the page shows what the server keeps');
  await page.screenshot({ path: `${SHOTS}/account-mail.png` });
  await page.selectOption(select, 'immediate');
  await page.waitForFunction(() => /Saved: immediately/.test(document.querySelector('[data-testid=mail-status]')?.textContent ?? ''));
  assert.equal(await modeKept(mailing), 'immediate');
  await page.selectOption(select, 'off');
  await page.waitForFunction(() => /Saved: no alert mails/.test(document.querySelector('[data-testid=mail-status]')?.textContent ?? ''));
  assert.equal(await modeKept(mailing), 'off');
  await page.close();
});

test('where the installation sends no mail, only "off" can be chosen and the page names the settings an administrator sets', { skip }, async () => {
  const page = await silent.loggedIn('phone', '#/account');
  await page.waitForSelector('[data-testid=mail-card] select[name=mode]');
  const disabled = await page.$$eval('[data-testid=mail-card] option', (os) => os.map((o) => [(o as HTMLOptionElement).value, (o as HTMLOptionElement).disabled]));
  assert.deepEqual(disabled, [
    ['off', false],
    ['immediate', true],
    ['digest', true],
  ]);
  assert.match((await page.textContent('[data-testid=mail-status]')) ?? '', /sends no mail: an administrator sets DERISK_SMTP_URL, DERISK_MAIL_FROM and DERISK_PUBLIC_URL/);
  await page.close();
});
