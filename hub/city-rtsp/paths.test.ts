// The city's RTSP URLs: a table of what each names, and the reasons for those that name nothing.
import { describe, expect, it } from 'vitest';
import { parseCityPath } from './paths.js';

describe('parseCityPath', () => {
  it.each([
    ['rtsp://hub:8554/p01/cam-1', { ward: 'p01', camera: 'cam-1', stream: 'main', track: false, base: 'rtsp://hub:8554/p01/cam-1/main/' }],
    ['rtsp://hub:8554/p01/cam-1/', { ward: 'p01', camera: 'cam-1', stream: 'main', track: false }],
    ['rtsp://hub:8554/p01/cam-1?stream=sub', { stream: 'sub', track: false, base: 'rtsp://hub:8554/p01/cam-1/sub/' }],
    ['rtsp://hub:8554/p01/cam-1/sub/trackID=0', { stream: 'sub', track: true }],
    ['rtsp://hub:8554/p01/cam-1/main/', { stream: 'main', track: false }],
    ['rtsp://hub:8554/p01/cam-1/trackID=0', { stream: 'main', track: true }],
    ['rtsps://hub:8322/p01/cam-1', { stream: 'main', base: 'rtsps://hub:8322/p01/cam-1/main/' }],
  ])('%s', (url, expected) => {
    expect(parseCityPath(url)).toMatchObject({ ok: true, ...expected });
  });

  it.each([
    ['rtsp://hub:8554/p01', 404, /no such stream/],
    ['rtsp://hub:8554/p01/cam-1/extra/more', 404, /no such stream/],
    ['rtsp://hub:8554/p01/cam-1/hd', 404, /no such stream/],
    ['rtsp://hub:8554/P 01/cam-1', 404, /not a ward id/],
    ['rtsp://hub:8554/p01/..%2F/', 404, /not a camera id/],
    ['rtsp://hub:8554/p01/cam-1?stream=hd', 400, /stream: must be main or sub/],
    ['http://hub/p01/cam-1', 400, /not an rtsp:\/\/ URL/],
    ['*', 400, /not a URL/],
  ])('%s → %i', (url, status, reason) => {
    const r = parseCityPath(url);
    expect(r).toMatchObject({ ok: false, status });
    expect(!r.ok && r.reason).toMatch(reason);
  });
});
