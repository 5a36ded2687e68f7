// Edits a ward's tokenHash in hub.yaml text with the yaml Document API, so comments and layout survive. Pure.
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';

export class HubYamlError extends Error {}

/**
 * Sets (hash) or removes (undefined) `tokenHash` of ward `ward`. A ward not listed is added when `addName` is
 * given, otherwise it is an error naming the fix. Returns the new text.
 */
export function setWardTokenHash(text: string, ward: string, hash: string | undefined, addName?: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new HubYamlError(`not valid YAML (${doc.errors[0]!.message.split('\n')[0]})`);
  let wards = doc.get('wards', true);
  if (wards === undefined && addName !== undefined) {
    doc.set('wards', doc.createNode([]));
    wards = doc.get('wards', true);
  }
  if (!isSeq(wards)) throw new HubYamlError('has no "wards" list: add one (see examples/hub.yaml)');
  const entry = wards.items.find((w): w is YAMLMap => isMap(w) && String(w.get('id')) === ward);
  if (!entry) {
    if (hash === undefined) throw new HubYamlError(`lists no ward "${ward}": nothing to revoke`);
    if (addName === undefined) throw new HubYamlError(`lists no ward "${ward}" under wards: add it, or pass --name NAME to add it`);
    wards.items.push(doc.createNode({ id: ward, name: addName, tokenHash: hash }));
    return doc.toString({ lineWidth: 0 });
  }
  if (hash === undefined) entry.delete('tokenHash');
  else entry.set('tokenHash', hash);
  return doc.toString({ lineWidth: 0 });
}
