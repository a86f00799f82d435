import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { landscapeStore } from '../helpers/landscape.ts';
import { SHOTS, SKIP_BROWSER, browserService, type BrowserService } from '../helpers/browser.ts';

// The account page as an admin uses it: the console's code logs them in, they add a colleague,
// change the colleague's role and disable them; the colleague's open browser is logged out.
const skip = SKIP_BROWSER;
const PASSWORD = 'Zweiundvierzig Kühe grasen am Deich';
let env: BrowserService;

before(async () => {
  if (!skip) env = await browserService(landscapeStore);
});
after(async () => {
  if (!skip) await env.close();
});

test('an admin adds a user, changes the role and disables them on the account page; the user’s open browser is logged out at once', { skip }, async () => {
  const admin = await env.browser.newPage({ viewport: { width: 1300, height: 900 } });
  admin.on('dialog', (d) => void d.accept());
  await admin.goto(`${env.base}/#code=${await env.service.loginCode()}`);
  await admin.waitForSelector('body[data-ready=true]');
  assert.equal(new URL(admin.url()).hash, '#/', 'the code leaves the address bar');
  await admin.goto(`${env.base}/#/account`);
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

  const colleague = await env.browser.newPage();
  await colleague.goto(env.base);
  await colleague.waitForSelector('#login-form');
  await colleague.fill('#login-form input[name=email]', 'colleague@localhost');
  await colleague.fill('#login-form input[name=password]', PASSWORD);
  await colleague.click('#login-form button');
  await colleague.waitForSelector('[data-testid=copubs-table]');

  await Promise.all([admin.waitForResponse((r) => r.request().method() === 'PATCH' && r.status() === 200), admin.selectOption('tr[data-email="colleague@localhost"] select[name=role]', 'viewer')]);
  assert.equal((await env.service.accounts.userByEmail('colleague@localhost'))!.role, 'viewer');
  await admin.click('tr[data-email="colleague@localhost"] button:text("Disable")');
  await admin.waitForSelector('tr[data-email="colleague@localhost"] button:text("Enable")');
  await admin.screenshot({ path: `${SHOTS}/account-users.png`, fullPage: true });

  await colleague.reload();
  await colleague.waitForSelector('#login-form');
  await admin.click('tr[data-email="colleague@localhost"] button:text("Delete")');
  await admin.waitForFunction(() => !document.querySelector('tr[data-email="colleague@localhost"]'));
  assert.equal(await env.service.accounts.userByEmail('colleague@localhost'), null);
});
