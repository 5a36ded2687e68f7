import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import type { DetectorError } from './detector.js';
import { createWorkerDetector } from './worker-detector.js';
import { packagedModel } from './model-file.js';
import { dogFrame } from '../../test-fixtures/media/frames.js';

const MODEL = packagedModel().path;

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
