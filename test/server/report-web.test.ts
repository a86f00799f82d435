import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { browserService, SHOTS, SKIP_BROWSER as skip, VIEWPORTS, type BrowserService } from '../helpers/browser.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { pdfText } from '../helpers/pdf.ts';
import { watchlist } from '../helpers/watchlist.ts';

// The report an officer files: styled, as PDF, with names, criteria in words, evidence in words,
// the sign-off, and no raw JSON.

const CASE = {
  // A Chinese name, as a partner's own: the report must print it, not boxes.
  title: 'Joint laboratory on visual perception 视觉感知联合实验室',
  partners: [
    { name: 'Delft University of Technology', role: 'lead', country: 'NL' },
    { name: 'Tsinghua University', role: 'partner', country: 'CN', kind: 'university' },
  ],
  funders: [],
  technology: { fields: ['eu-artificial-intelligence'], dual_use: 'yes', export_controlled: 'unknown' },
  application: { uses: ['general-purpose-other'] },
  data: { kinds: ['personal'], storage: ['EU'], transfer_to_china: 'yes', subjects: ['eu-residents'], access: 'both' },
  terms: { equal_access_to_data: 'yes', equal_right_to_publish: 'yes', ip_agreement: 'no', partner_veto_on_publication: 'no' },
};
// What raw JSON or a bare fact would look like on the page.
const RAW = [/= null/, /= (true|false)\b/, /"[a-z_]+":/, /\{"/, /technology\.export_controlled/];

let env: BrowserService;
const verdicts: Record<string, string> = {};
const caseIds: Record<string, string> = {};

before(async () => {
  if (skip) return;
  env = await browserService(async (dir) => {
    const store = await landscapeStore(dir);
    await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level: 'high' }]))]);
    await screenPending(store, await screeningContext(store));
    return store;
  });
  await env.service.db.query("UPDATE users SET name = 'Ada Officer' WHERE id = $1", [env.service.admin.userId]);
  const auth = { authorization: `Bearer ${env.service.token}` };
  for (const device of Object.keys(VIEWPORTS)) {
    const created = await env.service.app.inject({ method: 'POST', url: '/api/cases', headers: auth, payload: { ...CASE, title: `${CASE.title} (${device})` } });
    assert.equal(created.statusCode, 201, created.body);
    caseIds[device] = created.json().id;
    const assessed = await env.service.app.inject({ method: 'POST', url: `/api/cases/${caseIds[device]}/assess`, headers: auth, payload: {} });
    assert.equal(assessed.statusCode, 201, assessed.body);
    verdicts[device] = assessed.json().id;
  }
});
after(async () => {
  if (!skip) await env.close();
});

for (const device of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
  test(`an officer signs a verdict off on the case page and files the report, styled and as PDF (${device})`, { skip }, async () => {
    const page = await env.loggedIn(device, `#/cases/${caseIds[device]}`);
    try {
      await page.waitForSelector('#decision-form');
      const verdictText = await page.textContent('[data-testid=verdict-card]');
      assert.match(verdictText!, /assessed by Ada Officer/);
      const body = await page.textContent('#page');
      for (const raw of RAW) assert.doesNotMatch(body!, raw, `the case page shows ${raw}`);
      assert.match(body!, /export control: not answered/);
      await page.screenshot({ path: `${SHOTS}/report-case-${device}.png`, fullPage: true });

      await page.check('#decision-form input[value=approved-with-conditions]');
      await page.fill('#decision-form textarea[name=conditions]', 'No transfer of personal data to China\nExport-control check before the start');
      await page.click('#decision-form button[type=submit]');
      await page.waitForSelector('[data-testid=decision-card] ol li');
      const decided = await page.textContent('[data-testid=decision-card]');
      assert.match(decided!, /Approved with conditions/);
      assert.match(decided!, /No transfer of personal data to China/);
      assert.match(decided!, /decided by Ada Officer/);
      assert.doesNotMatch(decided!, new RegExp(env.service.admin.userId));

      // The HTML report: its own policy keeps its styles (a coloured badge), names, words, the sign-off.
      await page.goto(`${env.base}/api/assessments/${verdicts[device]}/report`);
      const colour = await page.evaluate(() => getComputedStyle(document.querySelector('.badge')!).backgroundColor);
      assert.notEqual(colour, 'rgba(0, 0, 0, 0)', 'the badge is coloured: the inline style applies');
      const report = (await page.textContent('body'))!;
      assert.match(report, /Decision and sign-off/);
      assert.match(report, /Approved with conditions/);
      assert.match(report, /Export-control check before the start/);
      assert.match(report, /Ada Officer/);
      assert.match(report, /export control: not answered/);
      assert.doesNotMatch(report, new RegExp(env.service.admin.userId), 'no user id in the report');
      for (const raw of RAW) assert.doesNotMatch(report, raw, `the report shows ${raw}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      await page.screenshot({ path: `${SHOTS}/report-html-${device}.png`, fullPage: true });
      if (device === 'desktop') assert.ok(overflow <= 0, `the report is ${overflow} px wider than the window`);

      // The PDF, as the button downloads it with the session.
      // Chromium prints on the server: on a busy machine that takes a while.
      const pdf = await page.request.get(`${env.base}/api/assessments/${verdicts[device]}/report.pdf`, { timeout: 180_000 });
      assert.equal(pdf.status(), 200);
      assert.equal(pdf.headers()['content-type'], 'application/pdf');
      const bytes = await pdf.body();
      const text = await pdfText(bytes);
      assert.match(text, /Overall verdict/);
      assert.match(text, /视觉感知联合实验室/, 'the Chinese name is in the PDF');
      assert.ok(/\/FontName\s*\/[A-Z]{6}\+Noto\w*CJK/.test(bytes.toString('latin1')), 'printed in an embedded CJK font, not as boxes');
      assert.match(text, /Approved with conditions/);
      assert.match(text, /Ada Officer/);
    } finally {
      await page.close();
    }
  });
}

test('a decision is recorded once, by an officer of the owning organisation, and audited', { skip }, async () => {
  const { service } = env;
  await service.accounts.createUser(OPERATOR, { orgId: 'local', email: 'analyst@example.org', name: 'Ana Lyst', role: 'analyst', password: 'a very long password' });
  const login = await service.app.inject({ method: 'POST', url: '/api/login', payload: { email: 'analyst@example.org', password: 'a very long password' } });
  assert.equal(login.statusCode, 200, login.body);
  const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const byAnalyst = await service.app.inject({ method: 'POST', url: `/api/assessments/${verdicts.phone}/decision`, headers: { cookie, 'x-csrf-token': login.json().csrf }, payload: { decision: 'approved' } });
  assert.equal(byAnalyst.statusCode, 403, 'an analyst does not sign off');
  const auth = { authorization: `Bearer ${service.token}` };
  const again = await service.app.inject({ method: 'POST', url: `/api/assessments/${verdicts.desktop}/decision`, headers: auth, payload: { decision: 'rejected' } });
  assert.equal(again.statusCode, 409, 'the desktop test decided it already');
  const bare = await service.app.inject({ method: 'POST', url: `/api/assessments/${verdicts.phone}/decision`, headers: auth, payload: { decision: 'approved-with-conditions', conditions: [] } });
  assert.equal(bare.statusCode, 400);
  const trail = await service.db.query<{ action: string; detail: string }>("SELECT action, detail FROM audit WHERE action = 'assessment.decide'");
  assert.ok(trail.length >= 1);
  assert.match(trail[0]!.detail, /approved-with-conditions/);
});
