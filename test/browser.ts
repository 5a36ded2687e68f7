// The browser of the page tests: Debian's Chromium (CI installs it with apt), driven by playwright-core. A test
// file without it skips its page tests and says why.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasBrowser = existsSync(CHROMIUM);

/** Prints why `what` is skipped when there is no browser; returns whether there is one. */
export function browserOrSkip(what: string): boolean {
  if (!hasBrowser) console.warn(`${what} skipped: no browser at ${CHROMIUM} (apt-get install -y chromium)`);
  return hasBrowser;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  });
}
