// Where a ward box sends the city's live video: the public URL, else the address the city's system reached the hub at.
import { describe, expect, it } from 'vitest';
import { relayOrigin } from './start.js';

describe('relayOrigin', () => {
  const http = { host: '0.0.0.0', port: 8443, scheme: 'https' };
  it.each([
    ['the public URL first', { publicUrl: 'https://hub.phunhuan.example.vn', http }, '10.0.0.5', 'https://hub.phunhuan.example.vn'],
    ['the address the city reached, when the page listens on all', { http }, '10.0.0.5', 'https://10.0.0.5:8443'],
    ['an IPv6 address in brackets', { http: { ...http, host: '::' } }, 'fd00::5', 'https://[fd00::5]:8443'],
    ['the page\'s own address when it listens on one', { http: { host: '127.0.0.1', port: 8080, scheme: 'http' } }, '10.0.0.5', 'http://127.0.0.1:8080'],
    ['none when the page is down', { http: undefined }, '10.0.0.5', undefined],
  ])('%s', (_name, o, local, expected) => {
    expect(relayOrigin(o, local)).toBe(expected);
  });
});
