import { describe, expect, it } from 'vitest';
import { camerasWithin, metresBetween, type PlacedCamera } from './radius.js';

// Phú Nhuận: a crossing and points at known offsets (1e-3 degree of latitude is ~111.2 m everywhere)
const CROSSING = { lat: 10.8, lon: 106.68 };

describe('metresBetween', () => {
  it.each([
    ['the same point', CROSSING, CROSSING, 0, 0.001],
    ['0.001° north', CROSSING, { lat: 10.801, lon: 106.68 }, 111.2, 0.5],
    ['0.001° east at 10.8° N (cos 10.8° shorter)', CROSSING, { lat: 10.8, lon: 106.681 }, 109.2, 0.5],
    ['1 km north-ish', CROSSING, { lat: 10.809, lon: 106.68 }, 1000.8, 1],
    ['across the date line', { lat: 0, lon: 179.9995 }, { lat: 0, lon: -179.9995 }, 111.2, 0.5],
  ])('%s', (_name, a, b, metres, tolerance) => {
    expect(Math.abs(metresBetween(a, b) - metres)).toBeLessThanOrEqual(tolerance);
  });
});

const cameras: PlacedCamera[] = [
  { ward: 'p07', camera: 'cam-01', ...CROSSING },
  { ward: 'p07', camera: 'cam-02', lat: 10.801, lon: 106.68 }, // 111 m
  { ward: 'p08', camera: 'cam-01', lat: 10.8, lon: 106.6825 }, // 273 m
  { ward: 'p09', camera: 'gate', lat: 10.81, lon: 106.68 }, // 1 112 m
  { ward: 'p09', camera: 'blind', lat: null, lon: null },
];
const at = (ward: string, camera: string) => ({ ward, camera });

describe('camerasWithin', () => {
  it.each([
    ['a radius of 0: the camera alone', at('p07', 'cam-01'), 0, ['p07/cam-01']],
    ['100 m: still alone', at('p07', 'cam-01'), 100, ['p07/cam-01']],
    ['200 m: the next camera up the street', at('p07', 'cam-01'), 200, ['p07/cam-01', 'p07/cam-02']],
    ['500 m: across the ward boundary, nearest first', at('p07', 'cam-01'), 500, ['p07/cam-01', 'p07/cam-02', 'p08/cam-01']],
    ['2 km: every camera with a position, never one without', at('p07', 'cam-01'), 2000, ['p07/cam-01', 'p07/cam-02', 'p08/cam-01', 'p09/gate']],
    ['from another ward\'s camera', at('p09', 'gate'), 1050, ['p09/gate', 'p07/cam-02']],
  ])('%s', (_name, center, radius, expected) => {
    const r = camerasWithin(center, radius, cameras);
    expect(r.ok && r.cameras.map((c) => `${c.ward}/${c.camera}`)).toEqual(expected);
  });

  it.each([
    ['a camera the hub never heard of', at('p07', 'nope'), /no camera p07\/nope/],
    ['a camera without a position', at('p09', 'blind'), /has no position.*location/],
  ])('refuses %s, saying what to do', (_name, center, message) => {
    const r = camerasWithin(center, 500, cameras);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(message);
  });
});
