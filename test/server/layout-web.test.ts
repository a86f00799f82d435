import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statesStore } from '../helpers/screening.ts';
import { SHOTS, SKIP_BROWSER, VIEWPORTS, browserService, type BrowserService } from '../helpers/browser.ts';

const skip = SKIP_BROWSER;
const PAGES = { landscape: '#/', institution: '#/institution/052gg0110', network: '#/network', facts: '#/facts', screening: '#/screen', cases: '#/cases', 'new-case': '#/cases/new', kb: '#/kb', account: '#/account', glossary: '#/glossary' } as const;

let env: BrowserService;

before(async () => {
  if (!skip) env = await browserService(statesStore);
});
after(async () => {
  if (!skip) await env.close();
});

for (const [device, viewport] of Object.entries(VIEWPORTS)) {
  test(`no page scrolls sideways (${device}, login included)`, { skip }, async () => {
    const page = await env.browser.newPage({ viewport });
    const wide: string[] = [];
    const small: string[] = [];
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    try {
      await page.goto(`${env.base}/`);
      await page.waitForSelector('#login-form');
      if ((await overflow()) > 0) wide.push(`login: ${await overflow()} px`);
      await page.screenshot({ path: `${SHOTS}/layout-login-${device}.png`, fullPage: true });
      // A fresh load, not a change of fragment: the page redeems a login code when it starts.
      await page.goto('about:blank');
      await page.goto(`${env.base}/#code=${await env.service.loginCode()}`);
      await page.waitForSelector('body[data-ready=true]');
      await page.waitForSelector('#page section.card:not([data-testid=login-card])');
      for (const [name, hash] of Object.entries(PAGES)) {
        await page.goto(`${env.base}/${hash}`);
        await page.waitForLoadState('networkidle');
        assert.equal(await page.locator('#login-form').count(), 0, `${name}: logged in`);
        const px = await overflow();
        if (px > 0)
          wide.push(
            `${name}: ${px} px`,
            ...(process.env.DEBUG_WIDE
              ? await page.evaluate(() =>
                  [...document.querySelectorAll('body *')]
                    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
                    .slice(0, 6)
                    .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)} in ${e.parentElement!.tagName}.${e.parentElement!.className}`),
                )
              : []),
          );
        // A chart drawn wider than it is shown shrinks its text: on a phone a 560-unit chart in a 330 px card wrote its axes at 6 px.
        for (const scale of await page.evaluate(() => [...document.querySelectorAll<SVGSVGElement>('svg[role=img]')].map((s) => ({ drawn: s.viewBox.baseVal.width, shown: s.getBoundingClientRect().width })).filter((s) => s.drawn > 0 && s.drawn <= 600 && s.shown > 0)))
          if (scale.shown / scale.drawn < 0.8) small.push(`${name}: a chart ${scale.drawn} wide shown at ${Math.round(scale.shown)} px`);
        await page.screenshot({ path: `${SHOTS}/layout-${name}-${device}.png`, fullPage: true });
      }
      assert.deepEqual(wide, [], `wider than the ${viewport.width} px window`);
      assert.deepEqual(small, [], 'charts shown smaller than drawn');
    } finally {
      await page.close();
    }
  });
}

test("the filter bar takes little of a phone's first screen", { skip }, async () => {
  const page = await env.browser.newPage({ viewport: VIEWPORTS.phone });
  try {
    await page.goto(`${env.base}/#code=${await env.service.loginCode()}`);
    await page.waitForSelector('body[data-ready=true]');
    const height = await page.evaluate(() => document.getElementById('filters')!.getBoundingClientRect().height);
    assert.ok(height <= 844 * 0.15, `the filter bar is ${height} px high`);
  } finally {
    await page.close();
  }
});
