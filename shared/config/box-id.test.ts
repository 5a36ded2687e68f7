import { describe, expect, it } from 'vitest';
import { boxIdOf, boxLogin } from './box-id.js';
import { edgeConfigSchema } from './edge.js';

describe('boxIdOf', () => {
  it.each([
    ['a box configured before boxes existed speaks as its ward', { ward: { id: 'p07' } }, 'p07', 'ward-p07'],
    ['box: absent (undefined) is the same', { ward: { id: 'p07' }, box: undefined }, 'p07', 'ward-p07'],
    ['a box of a ward with several boxes speaks as itself', { ward: { id: 'duc-nhuan' }, box: { id: 'dn-2' } }, 'dn-2', 'ward-dn-2'],
    ['an old box moved under a new ward keeps its id', { ward: { id: 'duc-nhuan' }, box: { id: 'p07' } }, 'p07', 'ward-p07'],
  ])('%s', (_, config, box, login) => {
    expect(boxIdOf(config)).toBe(box);
    expect(boxLogin(boxIdOf(config))).toBe(login);
  });
});

describe('edge.yaml box', () => {
  const base = { ward: { id: 'duc-nhuan', name: 'Phường Đức Nhuận' }, storage: { root: '/var/lib/wardwatch' }, cameras: [{ id: 'cam-01', name: 'Gate', streams: { main: { url: 'rtsp://10.0.0.5/m' } } }] };
  it.each([
    ['absent: the box is its ward (as before boxes existed)', {}, true],
    ['an id', { box: { id: 'dn-2' } }, true],
    ['an id that is no id', { box: { id: 'DN 2' } }, false],
    ['an unknown key beside the id', { box: { id: 'dn-2', name: 'x' } }, false],
    ['no id', { box: {} }, false],
  ])('%s', (_, extra, ok) => {
    const r = edgeConfigSchema.safeParse({ ...base, ...extra });
    expect(r.success).toBe(ok);
    if (!ok) expect(r.error!.issues[0]!.path[0]).toBe('box');
  });
});
