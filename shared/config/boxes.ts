// Wards and their boxes, as hub.yaml lists them. A ward is the officers' and the city's unit (pages, roles, grants,
// the index); a box is one machine that records some of its cameras, logs in to the broker and publishes under its
// own id. A ward listed without `boxes` is one box of the ward's id: the form every hub.yaml had before boxes existed.
export interface Box {
  id: string;
  ward: string;
  name: string;
  /** absent: the box may not log in */
  tokenHash?: string | undefined;
  /** the hub's cameras of this box are named <prefix><camera id> (hub/ingest/camera-names.ts) */
  cameraPrefix?: string | undefined;
}

/** a ward as hub.yaml lists it (shared/config/hub.ts) */
export interface WardEntry {
  id: string;
  name: string;
  tokenHash?: string | undefined;
  boxes?: readonly { id: string; name?: string | undefined; tokenHash?: string | undefined; cameraPrefix?: string | undefined }[] | undefined;
}

type Wards = readonly WardEntry[];

/** Every box of the district, in hub.yaml's order. */
export function boxesOf(wards: Wards): Box[] {
  return wards.flatMap((w) =>
    w.boxes
      ? w.boxes.map((b) => ({ id: b.id, ward: w.id, name: b.name ?? b.id, tokenHash: b.tokenHash, ...(b.cameraPrefix ? { cameraPrefix: b.cameraPrefix } : {}) }))
      : [{ id: w.id, ward: w.id, name: w.name, tokenHash: w.tokenHash }],
  );
}

/** box id → the box (and so its ward) */
export function boxDirectory(wards: Wards): ReadonlyMap<string, Box> {
  return new Map(boxesOf(wards).map((b) => [b.id, b] as const));
}
