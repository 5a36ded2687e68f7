// Distances between cameras on the ground, and the cameras within R metres of one (pure): the search's "near".
export interface CameraRef {
  ward: string;
  camera: string;
}

export interface PlacedCamera extends CameraRef {
  /** WGS 84, from the camera's status; null when its box sends none */
  lat: number | null;
  lon: number | null;
}

/** Mean Earth radius (IUGG), metres. */
const EARTH_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres (haversine: exact enough at a district's few kilometres). */
export function metresBetween(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export type Within = { ok: true; cameras: (CameraRef & { metres: number })[] } | { ok: false; message: string };

/**
 * The cameras within `radius` metres of `center` (the center itself first, at 0 m), nearest first. A camera whose
 * position is unknown is never within; a center whose position is unknown is a refusal naming the fix.
 */
export function camerasWithin(center: CameraRef, radius: number, cameras: readonly PlacedCamera[]): Within {
  const c = cameras.find((k) => k.ward === center.ward && k.camera === center.camera);
  if (!c) return { ok: false, message: `no camera ${center.ward}/${center.camera} at the hub: give a camera the hub has heard from` };
  if (c.lat === null || c.lon === null) {
    return { ok: false, message: `camera ${center.ward}/${center.camera} has no position: its box sends none (set cameras[].location in the ward's edge.yaml), so give wards or cameras instead` };
  }
  const from = { lat: c.lat, lon: c.lon };
  const found: (CameraRef & { metres: number })[] = [];
  for (const k of cameras) {
    if (k.lat === null || k.lon === null) continue;
    const metres = k === c ? 0 : metresBetween(from, { lat: k.lat, lon: k.lon });
    if (metres <= radius) found.push({ ward: k.ward, camera: k.camera, metres });
  }
  found.sort((a, b) => a.metres - b.metres || (a.ward < b.ward ? -1 : a.ward > b.ward ? 1 : a.camera < b.camera ? -1 : a.camera > b.camera ? 1 : 0));
  return { ok: true, cameras: found };
}
