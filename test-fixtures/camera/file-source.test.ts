// Which files a fake camera can serve, and what it says about the others.
import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../shared/ffmpeg/probe.js';
import { checkFileSource, FileSourceError } from './file-source.js';

const h264: ProbeResult = {
  durationSeconds: 3.9,
  bytes: 1_000_000,
  bitRate: 2_050_000,
  streams: [{ type: 'video', codec: 'h264', width: 1062, height: 720, fps: 30 }, { type: 'audio', codec: 'aac' }],
};

describe('checkFileSource', () => {
  it('serves an H.264 file, audio or not: its size, rate and length', () => {
    expect(checkFileSource('/clips/street.mp4', h264)).toEqual({
      file: '/clips/street.mp4', width: 1062, height: 720, fps: 30, durationSeconds: 3.9, bitrateKbps: 2050,
    });
  });

  it.each([
    {
      name: 'another codec',
      probed: { ...h264, streams: [{ type: 'video' as const, codec: 'hevc', width: 1920, height: 1080, fps: 25 }] },
      says: /street\.mp4 cannot be served as a camera: its video is hevc, .*H\.264 only.*\(ffprobe: video hevc 1920×1080 25 fps; 3\.9 s\); re-encode it, e\.g\. ffmpeg -i street\.mp4 .*libx264/,
    },
    { name: 'no video', probed: { ...h264, streams: [{ type: 'audio' as const, codec: 'aac' }] }, says: /it has no video stream \(ffprobe: audio aac; 3\.9 s\)/ },
    { name: 'no frame rate', probed: { ...h264, streams: [{ type: 'video' as const, codec: 'h264', width: 640, height: 360 }] }, says: /no size or frame rate/ },
    { name: 'no duration', probed: { ...h264, durationSeconds: undefined }, says: /duration is unknown .*\(ffprobe: video h264 1062×720 30 fps; audio aac; duration unknown\)/ },
  ])('refuses a file with $name, saying why and what ffprobe found', ({ probed, says }) => {
    let error: unknown;
    try {
      checkFileSource('/clips/street.mp4', probed);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FileSourceError);
    expect((error as FileSourceError).code).toBe('FILE_NOT_SERVABLE');
    expect((error as Error).message).toMatch(says);
  });
});
