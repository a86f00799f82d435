import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { hasChromium, launchChromium } from '../../src/chromium.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';

// The account page as an admin uses it: the console's code logs them in, they add a colleague,
// change the colleague's role and disable them; the colleague's open browser is logged out.
const skip = !hasChromium() && 'Debian chromium is not installed (.ci/run installs it)';
const SHOTS = 'test-output';
const PASSWORD = 'Zweiundvierzig Kühe grasen am Deich';
let store: Store;
let service: TestService;
let browser: Browser;
let base: string;

before(async () => {
  if (skip) return;
  store = await landscapeStore(tempDir());
  service = await testService(store);
  base = await service.app.listen({ port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  if (skip) return;
  await browser.close();
  await service.close();
  store.close();
});

test('an admin adds a user, changes the role and disables them on the account page; the user’s open browser is logged out at once', { skip }, async () => {
  const admin = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  admin.on('dialog', (d) => void d.accept());
  await admin.goto(`${base}/#code=${await service.loginCode()}`);
  await admin.waitForSelector('body[data-ready=true]');
  assert.equal(new URL(admin.url()).hash, '#/', 'the code leaves the address bar');
  await admin.goto(`${base}/#/account`);
  await admin.waitForSelector('[data-testid=users-table]');
  await admin.fill('[data-testid=add-user] input[name=email]', 'colleague@localhost');
  await admin.fill('[data-testid=add-user] input[name=name]', 'Colleague');
  await admin.selectOption('[data-testid=add-user] select[name=role]', 'analyst');
  await admin.fill('[data-testid=add-user] input[name=password]', 'password1234');
  await admin.click('[data-testid=add-user] button');
  await admin.waitForSelector('#error:not([hidden])');
  assert.match((await admin.textContent('#error')) ?? '', /commonly used|common word/, 'a weak password is refused with the reason');
  await admin.fill('[data-testid=add-user] input[name=password]', PASSWORD);
  await admin.click('[data-testid=add-user] button');
  await admin.waitForSelector('tr[data-email="colleague@localhost"]');

  const colleague = await browser.newPage();
  await colleague.goto(base);
  await colleague.waitForSelector('#login-form');
  await colleague.fill('#login-form input[name=email]', 'colleague@localhost');
  await colleague.fill('#login-form input[name=password]', PASSWORD);
  await colleague.click('#login-form button');
  await colleague.waitForSelector('[data-testid=copubs-table]');

  await Promise.all([admin.waitForResponse((r) => r.request().method() === 'PATCH' && r.status() === 200), admin.selectOption('tr[data-email="colleague@localhost"] select[name=role]', 'viewer')]);
  assert.equal((await service.accounts.userByEmail('colleague@localhost'))!.role, 'viewer');
  await admin.click('tr[data-email="colleague@localhost"] button:text("Disable")');
  await admin.waitForSelector('tr[data-email="colleague@localhost"] button:text("Enable")');
  await admin.screenshot({ path: `${SHOTS}/account-users.png`, fullPage: true });

  await colleague.reload();
  await colleague.waitForSelector('#login-form');
  await admin.click('tr[data-email="colleague@localhost"] button:text("Delete")');
  await admin.waitForFunction(() => !document.querySelector('tr[data-email="colleague@localhost"]'));
  assert.equal(await service.accounts.userByEmail('colleague@localhost'), null);
});
