// `npm run screenshots`: starts a small district, logs in as the demo operator and a ward's officer in Chromium,
// and saves docs/screenshots/operator.png and review.png for the README.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Page } from 'playwright-core';
import { packageRoot } from '../shared/package.js';
import { DEMO_PASSWORD, findModel, startDistrict } from './district.js';

const CHROMIUM = '/usr/bin/chromium';
const NEW_PASSWORD = 'Screenshot-2026';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Logs in through the page's own API (as its form does), changing the initial password, then reloads. */
async function login(page: Page, base: string, name: string): Promise<void> {
  await page.goto(base + '/');
  // a string, not a function: the TypeScript loader would wrap a function with helpers the page does not have
  const script = `(async () => {
    const post = (url, body, csrf) => fetch(url, { method: 'POST', credentials: 'same-origin',
      headers: Object.assign({ 'content-type': 'application/json' }, csrf ? { 'x-csrf-token': csrf } : {}), body: JSON.stringify(body) });
    const r = await (await post('/api/login', { name: ${JSON.stringify(name)}, password: ${JSON.stringify(DEMO_PASSWORD)} })).json();
    if (r.status === 'must-change') return (await post('/api/password', { current: ${JSON.stringify(DEMO_PASSWORD)}, next: ${JSON.stringify(NEW_PASSWORD)} }, r.csrfToken)).ok;
    return r.status === 'ok';
  })()`;
  const ok = (await page.evaluate(script)) as boolean;
  if (!ok) throw new Error(`cannot log in as ${name}`);
  await page.reload();
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium`);
  const model = findModel();
  if (!model) throw new Error('no detector model: set WARDWATCH_MODEL');
  const out = path.join(packageRoot(), 'docs', 'screenshots');
  mkdirSync(out, { recursive: true });
  const district = await startDistrict({ dataDir: mkdtempSync(path.join(tmpdir(), 'ww-shots-')), wards: 2, camerasPerWard: 4, trafficPerWard: 2, modelPath: model, users: true, log: (l) => process.stdout.write(l + '\n') });
  try {
    process.stdout.write('waiting for incidents with clips…\n');
    const hubDb = path.join(district.hubDataDir, 'data', 'hub.db');
    for (let i = 0; i < 60; i++) {
      const db = new Database(hubDb, { readonly: true });
      const n = db.prepare("SELECT count(*) FROM incidents WHERE clip_state = 'present'").pluck().get() as number;
      db.close();
      if (n >= 4) break;
      await sleep(3000);
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
    });
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: 'Asia/Ho_Chi_Minh', locale: 'vi-VN' });
    const hubPage = await context.newPage();
    await login(hubPage, `http://127.0.0.1:${district.hubHttpPort}`, 'operator');
    await sleep(4000);
    await hubPage.screenshot({ path: path.join(out, 'operator.png') });
    const ward = district.wards[0]!;
    const reviewPage = await context.newPage();
    await login(reviewPage, `http://127.0.0.1:${ward.reviewPort}`, `officer-${ward.id}`);
    await sleep(8000); // the live grid starts playing
    await reviewPage.screenshot({ path: path.join(out, 'review.png') });
    await browser.close();
    process.stdout.write(`saved ${path.join(out, 'operator.png')} and review.png\n`);
  } finally {
    await district.stop();
  }
}

void main().catch((err: unknown) => {
  process.stderr.write(`screenshots: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
