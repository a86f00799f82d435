import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium } from '../../src/chromium.ts';
import type { ServerOptions } from '../../src/server/app.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from './fixtures.ts';
import { testService, type TestService } from './service.ts';

/** Why a browser test is skipped, or false when Debian's Chromium is there. */
export const SKIP_BROWSER = !hasChromium() && 'Debian chromium is not installed (.ci/run installs it)';
export const SHOTS = 'test-output';
export const VIEWPORTS = { desktop: { width: 1440, height: 900 }, phone: { width: 390, height: 844 } } as const;
export type Device = keyof typeof VIEWPORTS;

export interface BrowserService {
  store: Store;
  service: TestService;
  browser: Browser;
  /** The listening server's address, without a trailing slash. */
  base: string;
  /** A new page at the device's viewport, logged in as `userId` (default the local admin) and showing `hash` (default the landscape). */
  loggedIn(device: Device | { width: number; height: number }, hash?: string, userId?: string): Promise<Page>;
  close(): Promise<void>;
}

/**
 * The set-up every browser test repeats: a store, a server over it listening on a free port, and
 * Chromium. `makeStore` builds the store in a fresh directory.
 */
export async function browserService(makeStore: (dir: string) => Promise<Store>, extra: Partial<ServerOptions> = {}): Promise<BrowserService> {
  const store = await makeStore(tempDir());
  const service = await testService(store, extra);
  const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
  return {
    store,
    service,
    browser,
    base,
    loggedIn: async (device, hash = '#/', userId = service.admin.userId) => {
      const page = await browser.newPage({ viewport: typeof device === 'string' ? VIEWPORTS[device] : device });
      page.on('dialog', (d) => void d.dismiss());
      // A fresh load carrying the code: the page redeems it when it starts.
      await page.goto(`${base}/#code=${await service.accounts.mintLoginCode(OPERATOR, userId, 'test')}`);
      await page.waitForSelector('body[data-ready=true]');
      if (hash !== '#/') await page.goto(`${base}/${hash}`);
      return page;
    },
    close: async () => {
      await browser.close();
      await service.close();
      store.close();
    },
  };
}

/**
 * Types `from` and commits it (a change event), types `to` while the address of that change is on
 * its way (the hashchange has not run yet), lets it arrive, then commits `to`: what a quick user
 * does, and what Playwright's fill does between its focus and its typing on a loaded machine.
 */
export async function typeWhileTheAddressArrives(page: Page, from: string, to: string): Promise<void> {
  // No named function inside: the page would not know the helper tsx wraps them in.
  await page.evaluate(
    async ([from, to]) => {
      const [fromBox, toBox] = ['from', 'to'].map((name) => document.querySelector(`#filters [name=${name}]`) as HTMLInputElement);
      const arrived = new Promise((resolve) => window.addEventListener('hashchange', resolve, { once: true }));
      fromBox!.value = from!;
      fromBox!.dispatchEvent(new Event('change', { bubbles: true }));
      toBox!.value = to!;
      await arrived;
      toBox!.dispatchEvent(new Event('change', { bubbles: true }));
    },
    [from, to],
  );
}
