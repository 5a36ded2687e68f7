import { describe, expect, it } from 'vitest';
import { boxesOf } from './boxes.js';
import { hubConfigSchema } from './hub.js';

const H = 'scrypt$16384$8$1$c2FsdA$aGFzaA';

describe('boxesOf', () => {
  it.each([
    ['a ward without boxes is one box of its id (the form before 2025)', [{ id: 'p07', name: 'Phường 7', tokenHash: H }], [{ id: 'p07', ward: 'p07', name: 'Phường 7', tokenHash: H }]],
    [
      'a ward with boxes: each box its own login, named by its id when it has no name',
      [{ id: 'duc-nhuan', name: 'Phường Đức Nhuận', boxes: [{ id: 'dn-1', name: 'Đức Nhuận 1', tokenHash: H }, { id: 'dn-2' }] }],
      [{ id: 'dn-1', ward: 'duc-nhuan', name: 'Đức Nhuận 1', tokenHash: H }, { id: 'dn-2', ward: 'duc-nhuan', name: 'dn-2', tokenHash: undefined }],
    ],
    [
      'both forms side by side, in hub.yaml\'s order',
      [{ id: 'p01', name: 'Phường 1' }, { id: 'cau-kieu', name: 'Phường Cầu Kiệu', boxes: [{ id: 'p01-old' }] }],
      [{ id: 'p01', ward: 'p01', name: 'Phường 1', tokenHash: undefined }, { id: 'p01-old', ward: 'cau-kieu', name: 'p01-old', tokenHash: undefined }],
    ],
  ])('%s', (_, wards, boxes) => {
    expect(boxesOf(wards)).toEqual(boxes);
  });
});

describe('hub.yaml wards with boxes', () => {
  const base = { district: { name: 'Phú Nhuận' }, storage: { root: '/var/lib/wardwatch-hub' }, broker: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 1883 }] } };
  const problems = (wards: unknown[]) => {
    const r = hubConfigSchema.safeParse({ ...base, wards });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it.each([
    ['both forms together', [{ id: 'p07', name: 'Phường 7' }, { id: 'duc-nhuan', name: 'Phường Đức Nhuận', boxes: [{ id: 'dn-1' }, { id: 'dn-2' }] }], []],
    ['a box id used twice across wards', [{ id: 'a', name: 'A', boxes: [{ id: 'x-1' }] }, { id: 'b', name: 'B', boxes: [{ id: 'x-1' }] }],
      ['wards.1.boxes.0.id: box id "x-1" is used twice (wards[0].boxes[0] and wards[1].boxes[0])']],
    ['a box with the id of another one-box ward', [{ id: 'p01', name: 'P1' }, { id: 'b', name: 'B', boxes: [{ id: 'p01' }] }],
      ['wards.1.boxes.0.id: box id "p01" is used twice (wards[0] and wards[1].boxes[0])']],
    ['a ward with boxes and its own token', [{ id: 'a', name: 'A', tokenHash: H, boxes: [{ id: 'a-1' }] }],
      ['wards.0.tokenHash: ward "a" has boxes: each box logs in with its own token']],
    ['an empty boxes list', [{ id: 'a', name: 'A', boxes: [] }], [expect.stringMatching(/^wards\.0\.boxes: /)]],
    ['a box id that cannot be a topic level', [{ id: 'a', name: 'A', boxes: [{ id: 'A 1' }] }], [expect.stringMatching(/^wards\.0\.boxes\.0\.id: /)]],
  ])('%s', (_, wards, expected) => {
    expect(problems(wards)).toEqual(expected);
  });
});
