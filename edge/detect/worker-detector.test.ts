import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import type { DetectorError, RgbFrame } from './detector.js';
import { createWorkerDetector } from './worker-detector.js';
import { packagedModel } from './model-file.js';
import { DOG_JPG as DOG } from '../../test-fixtures/media/index.js';

const MODEL = packagedModel().path;

async function dogFrame(): Promise<RgbFrame> {
  const raw = await sharp(DOG).removeAlpha().resize(640, 360, { fit: 'fill' }).raw().toBuffer();
  const data = new Uint8Array(new ArrayBuffer(raw.length));
  data.set(raw);
  return { data, width: 640, height: 360 };
}

describe('detector in a worker thread', () => {
  it('detects in the worker, hands the transferred frame buffer back, and leaves the main thread free', async () => {
    const detector = await createWorkerDetector({ modelPath: MODEL, threads: 1, logger: silentLogger() });
    try {
      const frame = await dogFrame();
      const original = frame.data.slice();
      const pending = detector.detect(frame);
      // transferred, not copied: the main thread no longer holds the bytes while the worker has them
      expect(frame.data.byteLength).toBe(0);
      const detections = await pending;
      expect(frame.data.byteLength).toBe(640 * 360 * 3);
      expect(Buffer.compare(frame.data, original)).toBe(0);
      expect(detections.map((d) => d.label).sort()).toEqual(['bicycle', 'car']);

      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const start = performance.now();
      for (let i = 0; i < 20; i++) await detector.detect(frame);
      const elapsed = performance.now() - start;
      loop.disable();
      // session.run takes 5–15 ms; on the main thread the median timer delay would be about that
      expect(loop.percentile(50) / 1e6).toBeLessThan(4);
      expect(detector.stats().inferences).toBe(21);
      expect(elapsed).toBeGreaterThan(0);
    } finally {
      await detector.close();
    }
  });

  it('refuses to start without a model, saying how to install one', async () => {
    const error = (await createWorkerDetector({ modelPath: '/nonexistent/yolox_nano.onnx', logger: silentLogger() }).catch((e: unknown) => e)) as DetectorError;
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toMatch(/provision model/);
  });
});
