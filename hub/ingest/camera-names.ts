// The names the hub gives a box's cameras (pure). Camera ids are unique within a ward, across its boxes; boxes of
// two old wards that became one (Phú Nhuận, 2025) were both set up with cam-01, cam-02, … So a box may have a camera
// prefix in hub.yaml (`boxes[].cameraPrefix: p07-`): the hub files its cam-01 as p07-cam-01 (index, pages, search,
// grants) and strips the prefix from the commands it sends the box, which goes on knowing only cam-01. Nothing on the
// box changes, its recordings included.
import { ID_HINT, ID_PATTERN, type Decoded } from '../../shared/contract/index.js';
import { Invalid } from '../store/invalid.js';

/** The hub's id of a box camera; throws `Invalid` when the prefix makes it longer than an id may be. */
export function hubCamera(prefix: string | undefined, camera: string): string {
  if (!prefix) return camera;
  const named = prefix + camera;
  if (!ID_PATTERN.test(named)) throw new Invalid('camera-name', `camera ${camera} with the box's cameraPrefix ${prefix} is "${named}", not an id: ${ID_HINT} — shorten the prefix in hub.yaml`);
  return named;
}

/** The box's own id of a hub camera id (the prefix stripped); unchanged when it does not carry the prefix. */
export function boxCamera(prefix: string | undefined, camera: string): string {
  return prefix && camera.startsWith(prefix) ? camera.slice(prefix.length) : camera;
}

/** A decoded message with its cameras under the hub's names. */
export function withHubCameras(m: Decoded, prefix: string | undefined): Decoded {
  if (!prefix) return m;
  const rename = (camera: string) => hubCamera(prefix, camera);
  switch (m.kind) {
    case 'events':
      return { ...m, payload: { ...m.payload, event: { ...m.payload.event, camera: rename(m.payload.event.camera) } } };
    case 'sightings':
      return { ...m, payload: { ...m.payload, camera: rename(m.payload.camera), sightings: m.payload.sightings.map((s) => ({ ...s, camera: rename(s.camera) })) } };
    case 'counts':
      return { ...m, payload: { ...m.payload, camera: rename(m.payload.camera) } };
    case 'cameraStatus':
      return { ...m, topic: { ...m.topic, camera: rename(m.topic.camera) }, payload: { ...m.payload, camera: rename(m.payload.camera) } };
    default:
      return m;
  }
}

/** A command's payload with its camera under the box's own name (retrieve, live); other payloads unchanged. */
export function toBoxCameras<P>(prefix: string | undefined, payload: P): P {
  if (!prefix || typeof payload !== 'object' || payload === null || !('camera' in payload) || typeof payload.camera !== 'string') return payload;
  return { ...payload, camera: boxCamera(prefix, payload.camera) };
}
