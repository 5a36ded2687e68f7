// Edits a box's tokenHash in hub.yaml text with the yaml Document API, so comments and layout survive. Pure.
// A ward listed without `boxes` is one box of the ward's id (its tokenHash is the box's); a ward with `boxes` has a
// tokenHash per box (docs/wards-and-boxes.md).
import { isMap, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';

export class HubYamlError extends Error {}

/** Which box: `box` (its id), `ward` (its ward), or both; `ward` alone is the one box of a ward listed without boxes. */
export interface BoxTarget {
  box?: string | undefined;
  ward?: string | undefined;
}

export interface BoxTokenEdit {
  /** the new hub.yaml text */
  text: string;
  /** the box edited, and its ward */
  box: string;
  ward: string;
  /** what changed beside the hash, in the installer's words (a ward or box added, a ward given its boxes list) */
  notes: string[];
}

const idOf = (m: YAMLMap): string => String(m.get('id'));
const boxesOf = (ward: YAMLMap): YAMLSeq | undefined => {
  const boxes = ward.get('boxes', true);
  return isSeq(boxes) ? boxes : undefined;
};
const boxIds = (ward: YAMLMap): string[] => (boxesOf(ward)?.items ?? []).filter(isMap).map((b) => idOf(b as YAMLMap));

/** Where box `id` is listed: under a ward's boxes, or as a ward without boxes (its one box). */
function findBox(wards: YAMLSeq, id: string): { ward: YAMLMap; entry: YAMLMap } | undefined {
  for (const w of wards.items) {
    if (!isMap(w)) continue;
    const boxes = boxesOf(w);
    if (boxes) {
      const b = boxes.items.find((x): x is YAMLMap => isMap(x) && idOf(x) === id);
      if (b) return { ward: w, entry: b };
    } else if (idOf(w) === id) return { ward: w, entry: w };
  }
  return undefined;
}

function setHash(entry: YAMLMap, hash: string | undefined): void {
  if (hash === undefined) entry.delete('tokenHash');
  else entry.set('tokenHash', hash);
}

/**
 * Sets (hash) or removes (undefined) the tokenHash of a box. Issuing (a hash) for a box not listed adds it under
 * `ward` (and adds the ward when `addWardName` is given); a ward listed without boxes that gets a second box is given
 * its `boxes` list, its own box first (same id, same token). Everything else that cannot be done is an error naming
 * the fix. Returns the new text and what changed.
 */
export function setBoxTokenHash(text: string, target: BoxTarget, hash: string | undefined, addWardName?: string): BoxTokenEdit {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new HubYamlError(`not valid YAML (${doc.errors[0]!.message.split('\n')[0]})`);
  let wards = doc.get('wards', true);
  if (wards === undefined && addWardName !== undefined && hash !== undefined) {
    doc.set('wards', doc.createNode([]));
    wards = doc.get('wards', true);
  }
  if (!isSeq(wards)) throw new HubYamlError('has no "wards" list: add one (see examples/hub.yaml)');
  const done = (box: string, ward: string, notes: string[] = []): BoxTokenEdit => ({ text: doc.toString({ lineWidth: 0 }), box, ward, notes });
  const wardEntry = (id: string) => wards.items.find((w): w is YAMLMap => isMap(w) && idOf(w) === id);

  if (target.box === undefined) {
    // --ward alone: the ward's one box, as before boxes existed
    const ward = target.ward!;
    const entry = wardEntry(ward);
    if (entry && boxesOf(entry)) throw new HubYamlError(`ward "${ward}" has boxes (${boxIds(entry).join(', ')}): each box has its own token: name it with --box ID`);
    if (!entry) {
      if (hash === undefined) throw new HubYamlError(`lists no ward "${ward}": nothing to revoke`);
      if (addWardName === undefined) throw new HubYamlError(`lists no ward "${ward}" under wards: add it, or pass --name NAME to add it`);
      wards.items.push(doc.createNode({ id: ward, name: addWardName, tokenHash: hash }));
      return done(ward, ward, [`added ward ${ward} (${addWardName}), one box of the same id`]);
    }
    setHash(entry, hash);
    return done(ward, ward);
  }

  const box = target.box;
  const found = findBox(wards, box);
  if (found) {
    const owner = idOf(found.ward);
    if (target.ward !== undefined && target.ward !== owner) {
      const where = found.entry === found.ward ? `is ward ${owner}'s one box` : `is a box of ward ${owner}`;
      throw new HubYamlError(`box "${box}" ${where}, not of ward ${target.ward}: box ids are unique in the district; give the new box another id, or move "${box}" under ward ${target.ward} in hub.yaml by hand (docs/wards-and-boxes.md)`);
    }
    setHash(found.entry, hash);
    return done(box, owner);
  }
  if (hash === undefined) throw new HubYamlError(`lists no box "${box}"${target.ward ? ` under ward ${target.ward}` : ''}: nothing to revoke`);
  if (target.ward === undefined) throw new HubYamlError(`lists no box "${box}": add --ward WARD to add it to its ward`);
  const ward = target.ward;
  const entry = wardEntry(ward);
  if (!entry) {
    if (addWardName === undefined) throw new HubYamlError(`lists no ward "${ward}" under wards: add it, or pass --name NAME to add it with box ${box}`);
    wards.items.push(doc.createNode({ id: ward, name: addWardName, boxes: [{ id: box, tokenHash: hash }] }));
    return done(box, ward, [`added ward ${ward} (${addWardName}) with box ${box}`]);
  }
  const boxes = boxesOf(entry);
  if (boxes) {
    boxes.items.push(doc.createNode({ id: box, tokenHash: hash }));
    return done(box, ward, [`added box ${box} to ward ${ward}`]);
  }
  giveBoxes(doc, entry, box, hash);
  return done(box, ward, [`ward ${ward} was one box of its own id: it is now listed with boxes ${ward} (the same box, login and token as before) and ${box}`]);
}

/** A ward listed without boxes gets its `boxes`: its own box first (id and token kept), then the new one. */
function giveBoxes(doc: Document, ward: YAMLMap, box: string, hash: string): void {
  const own: Record<string, unknown> = { id: idOf(ward) };
  const old = ward.get('tokenHash');
  if (old !== undefined) own.tokenHash = String(old);
  ward.delete('tokenHash');
  ward.set('boxes', doc.createNode([own, { id: box, tokenHash: hash }]));
}

/** `--ward` alone: the ward's one box (the form before boxes existed). Returns the new text. */
export function setWardTokenHash(text: string, ward: string, hash: string | undefined, addName?: string): string {
  return setBoxTokenHash(text, { ward }, hash, addName).text;
}
