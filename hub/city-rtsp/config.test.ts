// hub.yaml `cityRtsp`: off when absent, its defaults when present, and RTSPS refused without the page's certificate.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHubConfig } from '../../shared/config/load.js';
import { tempDir, testWard } from '../../testing/hub/test-support.js';

function load(extra: string) {
  const dir = tempDir('ww-city-rtsp-config-');
  const file = path.join(dir, 'hub.yaml');
  writeFileSync(
    file,
    `district: { name: Test }\nstorage: { root: ${path.join(dir, 'data')} }\nbroker: { listeners: [{ type: tcp, host: 127.0.0.1, port: 0 }] }\n` +
      `wards:\n  - { id: p07, name: Phường 7, tokenHash: '${testWard('p07').tokenHash}' }\n${extra}`,
  );
  return loadHubConfig(file);
}

describe('hub.yaml cityRtsp', () => {
  it('is off when absent', () => {
    const r = load('');
    expect(r.ok && r.config.cityRtsp).toBeUndefined();
  });

  it('takes its defaults: all addresses, port 8554, plain RTSP, 10 s linger, 64 connections, 16 per address, 60 s timeout', () => {
    const r = load('cityRtsp: {}\n');
    expect(r.ok && r.config.cityRtsp).toEqual({ listen: { host: '0.0.0.0', port: 8554 }, tls: false, lingerMs: 10_000, maxConnections: 64, maxConnectionsPerAddress: 16, sessionTimeoutSeconds: 60 });
  });

  it.each([
    ['tls without the page\'s certificate', 'cityRtsp: { tls: true }\n', 'cityRtsp.tls', /http\.tls has none/],
    ['a port out of range', 'cityRtsp: { listen: { port: 70000 } }\n', 'cityRtsp.listen.port', /./],
    ['an unknown key', 'cityRtsp: { udp: true }\n', 'cityRtsp', /udp/],
  ])('refuses %s, naming the field', (_name, yaml, field, message) => {
    const r = load(yaml);
    expect(r.ok).toBe(false);
    const problem = !r.ok ? r.problems.find((p) => p.path.startsWith(field)) : undefined;
    expect(problem?.message).toMatch(message);
  });
});
