import { describe, expect, it } from 'vitest';
import { explainHubError, formatHubProblem, type ConnectionError, type HubProblemKind } from './hub-problem.js';

const hub = { host: '10.20.0.10', port: 8883, tls: true, caFile: '/etc/wardwatch/ca.pem', tokenSecret: 'hub-token', box: 'p07' };

describe('explainHubError', () => {
  const cases: { name: string; err: ConnectionError; kind: HubProblemKind; key: string; says: RegExp }[] = [
    { name: 'nothing listening', err: { message: 'connect ECONNREFUSED 10.20.0.10:8883', code: 'ECONNREFUSED' }, kind: 'refused', key: 'hub.port', says: /nothing accepts connections at 10\.20\.0\.10:8883/ },
    { name: 'no route', err: { message: 'connect EHOSTUNREACH', code: 'EHOSTUNREACH' }, kind: 'unreachable', key: 'hub.host', says: /cannot be reached/ },
    { name: 'a name that does not resolve', err: { message: 'getaddrinfo ENOTFOUND hub.local', code: 'ENOTFOUND' }, kind: 'unreachable', key: 'hub.host', says: /ENOTFOUND/ },
    { name: 'no CONNACK in time', err: { message: 'connack timeout' }, kind: 'timeout', key: 'hub.host', says: /no answer/ },
    {
      name: 'a certificate for other names',
      err: { message: "Hostname/IP does not match certificate's altnames", code: 'ERR_TLS_CERT_ALTNAME_INVALID', cert: { subjectaltname: 'DNS:hub.test, IP Address:127.0.0.1' } },
      kind: 'name-mismatch',
      key: 'hub.host',
      says: /certificate is for DNS:hub\.test, IP:127\.0\.0\.1, not 10\.20\.0\.10/,
    },
    { name: 'a CA that did not sign it', err: { message: 'self-signed certificate in certificate chain', code: 'SELF_SIGNED_CERT_IN_CHAIN' }, kind: 'untrusted', key: 'hub.caFile', says: /not signed by \/etc\/wardwatch\/ca\.pem/ },
    { name: 'a leaf it cannot verify', err: { message: 'unable to verify the first certificate', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, kind: 'untrusted', key: 'hub.caFile', says: /UNABLE_TO_VERIFY_LEAF_SIGNATURE/ },
    { name: 'an expired certificate', err: { message: 'certificate has expired', code: 'CERT_HAS_EXPIRED' }, kind: 'expired', key: 'hub.caFile', says: /expired/ },
    { name: 'TLS to a plain port', err: { message: 'wrong version number', code: 'EPROTO' }, kind: 'tls-mismatch', key: 'hub.tls', says: /TLS to a port that does not speak TLS/ },
    { name: 'a wrong token', err: { message: 'Connection refused: Bad username or password', code: 4 }, kind: 'bad-login', key: 'secret hub-token', says: /refused box p07's token \(login ward-p07/ },
    { name: 'a refused ward', err: { message: 'Connection refused: Not authorized', code: 5 }, kind: 'not-authorized', key: 'ward.id', says: /does not let box p07 log in as ward-p07/ },
    { name: 'anything else', err: { message: 'something odd' }, kind: 'other', key: 'hub', says: /something odd/ },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.kind}, fix ${c.key}`, () => {
      const p = explainHubError(c.err, hub);
      expect([p.kind, p.key]).toEqual([c.kind, c.key]);
      expect(p.message).toMatch(c.says);
      expect(p.fix.length).toBeGreaterThan(10);
      expect(formatHubProblem(p)).toContain(`fix ${c.key}: `);
    });
  }

  it('names the box and its ward: a box with box.id is fixed by box.id, and issued with --box and --ward', () => {
    const box = { ...hub, box: 'dn-2', ward: 'duc-nhuan' };
    const refused = explainHubError({ message: 'Connection refused: Not authorized', code: 5 }, box);
    expect([refused.key, refused.message]).toEqual(['box.id', expect.stringContaining('does not let box dn-2 log in as ward-dn-2')]);
    expect(refused.fix).toContain('boxes hub.yaml lists under ward duc-nhuan');
    expect(refused.fix).toContain('credentials issue --box dn-2 --ward duc-nhuan');
    const bad = explainHubError({ message: 'Connection refused: Bad username or password', code: 4 }, box);
    expect(bad.message).toContain("refused box dn-2's token (login ward-dn-2");
    expect(bad.fix).toContain('--box dn-2 --ward duc-nhuan');
    // a box of the ward's own id (no box.id) is issued as before
    expect(explainHubError({ message: 'x', code: 4 }, { ...hub, ward: 'p07' }).fix).toContain('issue --ward p07 …');
  });

  it('tells a box without hub.caFile that it trusts no CA for the hub', () => {
    const p = explainHubError({ message: 'x', code: 'SELF_SIGNED_CERT_IN_CHAIN' }, { ...hub, caFile: undefined });
    expect(p.message).toContain('edge.yaml sets no hub.caFile');
  });

  it('says plain MQTT to a TLS port when tls is off', () => {
    expect(explainHubError({ message: 'read ECONNRESET', code: 'ECONNRESET' }, { ...hub, tls: false }).message).toContain('plain MQTT to a TLS port');
  });
});
