import { describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../shared/config/problems.js';
import { nextSteps } from './init.js';

const problem = (p: string): ConfigProblem => ({ file: 'edge.yaml', line: 1, path: p, message: 'm', hint: 'h' });
const hub = { host: '10.20.0.10', port: 8883 };
const plain = { host: '0.0.0.0', tls: false };

describe('init\'s next steps', () => {
  const cases: { name: string; out: string; hub: typeof hub | undefined; review?: { host: string; tls: boolean }; remaining: string[]; first: string[]; has: string[]; hasNot: string[] }[] = [
    {
      name: 'a fresh box: the hand-off (with the page certificate), the model, then validate, check, install, start, first officer',
      out: '/etc/wardwatch/edge.yaml',
      hub,
      remaining: ['hub.tokenSecret', 'hub.caFile', 'model.path'],
      first: ['on the hub: wardwatch provision credentials issue --ward p07', 'on the hub: systemctl reload wardwatch-hub', 'carry p07.bundle here', 'wardwatch provision model', 'wardwatch provision validate', 'wardwatch provision check', 'wardwatch provision install --role edge', 'systemctl enable --now wardwatch-edge', 'wardwatch edge user add'],
      has: ['--hub 10.20.0.10:8883 --box-host BOX-ADDRESS'],
      hasNot: ['install --role edge --config', 'credentials tls'],
    },
    {
      name: 'a fresh box whose page listens on one address: that address goes into its certificate',
      out: '/etc/wardwatch/edge.yaml',
      hub,
      review: { host: '10.7.0.2', tls: false },
      remaining: ['hub.tokenSecret', 'hub.caFile'],
      first: ['on the hub: wardwatch provision credentials issue --ward p07', 'on the hub: systemctl reload wardwatch-hub', 'carry p07.bundle here', 'wardwatch provision validate'],
      has: ['--bundle p07.bundle --hub 10.20.0.10:8883 --box-host 10.7.0.2'],
      hasNot: ['BOX-ADDRESS'],
    },
    {
      name: 'a box whose bundle (with the page certificate) and model are already there',
      out: '/srv/box/edge.yaml',
      hub,
      review: { host: '0.0.0.0', tls: true },
      remaining: [],
      first: ['wardwatch provision validate', 'wardwatch provision check'],
      has: ['install --role edge --config /srv/box/edge.yaml'],
      hasNot: ['credentials issue', 'provision model', 'credentials tls', '--box-host'],
    },
    {
      name: 'a box whose old bundle brought no page certificate: how to add TLS, before validate',
      out: '/etc/wardwatch/edge.yaml',
      hub,
      remaining: [],
      first: ['for HTTPS on the review page, on the hub: wardwatch provision credentials tls --out /etc/wardwatch-hub/tls --box p07 --host BOX-ADDRESS; copy box-p07.crt and box-p07.key to /etc/wardwatch/tls/', 'wardwatch provision validate'],
      has: ['set review.tls (certFile, keyFile) in /etc/wardwatch/edge.yaml'],
      hasNot: ['credentials issue'],
    },
    {
      name: 'a box whose review.tls names a certificate that is not there yet',
      out: '/etc/wardwatch/edge.yaml',
      hub,
      review: { host: '10.7.0.2', tls: true },
      remaining: ['review.tls.certFile', 'review.tls.keyFile'],
      first: ['for HTTPS on the review page, on the hub: wardwatch provision credentials tls --out /etc/wardwatch-hub/tls --box p07 --host 10.7.0.2;', 'wardwatch provision validate'],
      has: [],
      hasNot: ['credentials issue'],
    },
    {
      name: 'a box without a hub',
      out: '/etc/wardwatch/edge.yaml',
      hub: undefined,
      remaining: ['model.path'],
      first: ['for HTTPS on the review page', 'wardwatch provision model'],
      has: ['credentials tls --out /etc/wardwatch-hub/tls --box p07'],
      hasNot: ['credentials issue', 'credentials apply'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const steps = nextSteps({ out: c.out, ward: 'p07', hub: c.hub, review: c.review ?? plain, remaining: c.remaining.map(problem) });
      c.first.forEach((start, i) => expect(steps[i]).toMatch(new RegExp('^' + start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))));
      const text = steps.join('\n');
      for (const h of c.has) expect(text).toContain(h);
      for (const h of c.hasNot) expect(text).not.toContain(h);
    });
  }
});
