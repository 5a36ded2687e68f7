// The detector's worker thread: owns the box's one onnxruntime session, so inference never blocks the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { createDetector, DetectorError, type DetectorOptions } from './detector.js';
import type { ToWorker, FromWorker } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('detector-worker.ts runs only as a worker thread (see worker-detector.ts)');

const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

try {
  const detector = await createDetector(workerData as DetectorOptions);
  port.on('message', (message: ToWorker) => {
    if (message.type === 'close') {
      void detector.close().then(() => port.close());
      return;
    }
    const { id, buffer, byteOffset, length, width, height } = message;
    const data = new Uint8Array(buffer, byteOffset, length);
    detector.detect({ data, width, height }).then(
      (detections) => post({ type: 'result', id, detections, buffer, byteOffset, length, stats: detector.stats() }, [buffer]),
      (err: unknown) => post({ type: 'failed', id, message: (err as Error).message, buffer, byteOffset, length }, [buffer]),
    );
  });
  post({ type: 'ready' });
} catch (err) {
  const code = err instanceof DetectorError ? err.code : 'MODEL_INVALID';
  post({ type: 'init-failed', code, message: (err as Error).message });
}
