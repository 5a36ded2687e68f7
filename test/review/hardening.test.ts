// The ward box's review server against a hostile network: its officers' logins throttled per address (not per
// account), the same answer for every name, no-sniff and no-store on its API, changes from other sites refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientFrom } from '../http-from.js';
import { startReviewBox, type ReviewBox } from './review-box.js';

let box: ReviewBox;
const clients: ClientFrom[] = [];
const from = (address: string) => {
  const c = new ClientFrom(box.url, address);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  box = await startReviewBox({ ward: { id: 'p07', name: 'Phường 7' }, cameras: [] });
  await box.server.accounts.addUser({ name: 'minh', role: 'officer', ward: 'p07', password: 'first-pass-1' }, { actor: 'test' });
  const officer = from('127.0.0.40');
  await officer.login('minh', 'first-pass-1');
  expect((await officer.call('POST', '/api/password', { current: 'first-pass-1', next: 'officer-pass-2' })).status).toBe(200);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await box?.close();
});

describe('review logins', () => {
  it('locks the officer\'s name for a guessing address only: the officer stays logged in and logs in from elsewhere at once', async () => {
    const officer = from('127.0.0.41');
    expect((await officer.login('minh', 'officer-pass-2')).json).toMatchObject({ status: 'ok' });
    const guesser = from('127.0.0.42');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await guesser.login('minh', `guess-${i}-pw`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 403, 403]);
    expect((await guesser.login('minh', 'officer-pass-2')).json).toMatchObject({ code: 'LOCKED' });
    expect((await officer.call('GET', '/api/box')).status).toBe(200);
    const again = await from('127.0.0.43').login('minh', 'officer-pass-2');
    expect(again.status).toBe(200);
    expect(again.ms).toBeLessThan(1500);
  });

  it('answers a name the box does not know as it answers the officer\'s', async () => {
    const known: unknown[] = [];
    const unknown: unknown[] = [];
    const strip = (a: { status: number; json: Record<string, unknown> }) => ({ status: a.status, code: a.json.code });
    for (let i = 0; i < 6; i++) {
      known.push(strip(await from('127.0.0.44').login('minh', `guess-${i}-pw`)));
      unknown.push(strip(await from('127.0.0.45').login('no-such-officer', `guess-${i}-pw`)));
    }
    expect(unknown).toEqual(known);
    expect(known.at(-1)).toEqual({ status: 403, code: 'LOCKED' });
  });
});

describe('headers and Origin', () => {
  it('marks API answers nosniff and no-store', async () => {
    const anonymous = await from('127.0.0.46').call('GET', '/api/box');
    expect([anonymous.status, anonymous.headers['x-content-type-options'], anonymous.headers['cache-control']]).toEqual([401, 'nosniff', 'no-store']);
    const officer = from('127.0.0.47');
    await officer.login('minh', 'officer-pass-2');
    const answer = await officer.call('GET', '/api/box');
    expect([answer.status, answer.headers['x-content-type-options'], answer.headers['cache-control']]).toEqual([200, 'nosniff', 'no-store']);
    const page = await officer.call('GET', '/');
    expect([page.headers['x-content-type-options'], page.headers['cache-control']]).toEqual(['nosniff', 'no-cache']);
  });

  it('refuses changes sent from another site\'s page, and takes them from its own', async () => {
    const officer = from('127.0.0.48');
    expect(await officer.call('POST', '/api/login', { name: 'minh', password: 'officer-pass-2' }, { origin: 'http://evil.example' })).toMatchObject({ status: 403, json: { code: 'ORIGIN' } });
    expect((await officer.call('POST', '/api/login', { name: 'minh', password: 'officer-pass-2' }, { origin: box.url })).status).toBe(200);
    expect(await officer.call('POST', '/api/logout', undefined, { origin: 'http://192.168.1.50:8080' })).toMatchObject({ status: 403, json: { code: 'ORIGIN' } });
    expect((await officer.call('GET', '/api/box')).status).toBe(200); // still logged in
    expect((await officer.call('POST', '/api/logout', undefined, { origin: box.url })).status).toBe(204);
  });
});
