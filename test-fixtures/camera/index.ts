// Fake IP cameras speaking real RTSP, for tests, benches and the demo. Run directly it is the CLI:
//   npx tsx test-fixtures/camera --count 32 --scene traffic        (or --scene street, or --file clip.mp4)
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export { startCamera, startCameraFarm, DEFAULT_CREDENTIALS, type CameraFarm, type FarmOptions, type SingleCamera } from './farm.js';
export { FakeCamera } from './camera.js';
export { checkFileSource, probeFileSource, FileSourceError, type FileSource } from './file-source.js';
export { prepareScene, readGroundTruth, type EncodedScene } from './scene-cache.js';
export {
  matchSceneFrame,
  segmentTruth,
  SegmentTruthError,
  type SegmentTruth,
  type SegmentTruthCode,
  type SegmentTruthOptions,
} from './segment-truth.js';
export type { FeederRun, KeyframeMark, TimelineView } from './timeline.js';
export {
  boxAt,
  labelsAt,
  groundTruthFor,
  DEFAULT_FORMATS,
  SCENE_NAMES,
  type Box,
  type GroundTruth,
  type GroundTruthObject,
  type ObjectLabel,
  type SceneName,
  type StreamFormat,
  type StreamName,
  type StreetTruth,
} from './scenes.js';
export {
  expectedCrossings,
  expectedLineCounts,
  expectedStoppers,
  frameIntervals,
  pathObjectsOf,
  positionAt,
  stopsOf,
  streetBoxAt,
  zoneIntervals,
  type CountingLine,
  type Direction,
  type Dwell,
  type Interval,
  type Keyframe,
  type LineCounts,
  type LineCrossing,
  type PathObject,
  type Zone,
} from './path-truth.js';
export { STREET_LINES, STREET_SEED, STREET_ZONES, streetObjects, type StreetObject, type StreetRole } from './street-scene.js';

/** True when node/tsx was started on this folder or this file (not when imported). */
function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  const self = fileURLToPath(import.meta.url);
  try {
    const resolved = realpathSync(entry);
    return resolved === self || resolved === path.dirname(self) || `${resolved}.ts` === self;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const { runCli } = await import('./cli.js');
  process.exitCode = await runCli(process.argv.slice(2));
}
