// The city's RTSP policy: a table of connection counts, and of relay refusals as RTSP answers.
import { describe, expect, it } from 'vitest';
import { checkLive } from '../live/policy.js';
import { refuseConnection, rtspRefusal } from './policy.js';

describe('refuseConnection', () => {
  const limits = { maxConnections: 64, maxConnectionsPerAddress: 16 };
  it.each([
    { open: 0, fromAddress: 0, refused: undefined },
    { open: 63, fromAddress: 15, refused: undefined },
    { open: 64, fromAddress: 0, refused: /64 RTSP connections open, at most 64 \(cityRtsp.maxConnections\)/ },
    { open: 20, fromAddress: 16, refused: /16 RTSP connections from this address, at most 16 \(cityRtsp.maxConnectionsPerAddress\)/ },
  ])('$open open, $fromAddress from the address', ({ open, fromAddress, refused }) => {
    const r = refuseConnection({ open, fromAddress, ...limits });
    if (refused) expect(r).toMatch(refused);
    else expect(r).toBeUndefined();
  });
});

describe('rtspRefusal', () => {
  const base = { wardKnown: true, cameraKnown: true, wardOnline: true, openForWard: 0, maxRelaysPerWard: 2 };
  it.each([
    { name: 'an unknown ward', input: { ...base, wardKnown: false }, status: 404, body: /^ward: no such ward/ },
    { name: 'a camera the ward never reported', input: { ...base, cameraKnown: false }, status: 404, body: /^camera: this ward has never reported this camera/ },
    { name: 'a ward offline', input: { ...base, wardOnline: false }, status: 503, body: /^ward: the ward box is offline/ },
    { name: 'a ward at its limit of relays', input: { ...base, openForWard: 2 }, status: 453, body: /at most 2, remoteAccess.maxRelaysPerWard/ },
  ])('$name → $status', ({ input, status, body }) => {
    const check = checkLive(input);
    if (check.ok) throw new Error('expected a refusal');
    const r = rtspRefusal(check);
    expect(r.status).toBe(status);
    expect(r.body).toMatch(body);
  });
});
